"""The billing rule of every contract type, against hand-computed figures.

Objects are built in memory (no database): each rule is a plain function over them.
"""

from datetime import date
from decimal import Decimal

import pytest

from billing.batches.charges import BlockState, ContractWork
from billing.batches.rules import bill_contract
from billing.contracts.periods import Period, month_of
from billing.invoices.lines import totals
from models import (
    BillingPeriod,
    Contract,
    ContractRate,
    ContractService,
    ContractType,
    ContractUnitCount,
    Customer,
    DetailLevel,
    Expense,
    LineKind,
    Product,
    Rate,
    TaxRate,
    Ticket,
    TimeEntry,
    User,
)

NOV = month_of(date(2026, 11, 1))
DEC = month_of(date(2026, 12, 1))
TECH = User(id=1, name="Tom Tech")
STANDARD = Rate(id=1, name="Standard", hourly_price_minor=12000, currency="USD")
AFTER = Rate(id=2, name="After hours", hourly_price_minor=18000, currency="USD")
SALES = TaxRate(id=1, name="Sales", percent=Decimal("8.25"))
HARDWARE = TaxRate(id=2, name="Hardware", percent=Decimal("6.5"))


def make_contract(kind: ContractType, *, currency="USD", exempt=False, **terms) -> Contract:
    customer = Customer(id=1, name="Acme", currency=currency, tax_exempt=exempt)
    values = dict(
        id=10,
        name="Support",
        type=kind,
        billing_period=BillingPeriod.MONTHLY,
        start_date=date(2026, 1, 1),
        rounding_minutes=0,
        rollover=False,
        taxable=False,
    )
    values.update(terms)
    contract = Contract(customer=customer, customer_id=1, **values)
    if kind in (ContractType.HOURLY, ContractType.PROJECT_HOURLY, ContractType.BLOCK_MONEY):
        contract.rates = [
            ContractRate(rate_id=1, rate=STANDARD, is_primary=True),
            ContractRate(rate_id=2, rate=AFTER, is_primary=False, hourly_price_minor=20000),
        ]
    return contract


_ids = iter(range(100, 10_000))


def ticket(contract: Contract, *entries: tuple, expenses=()) -> Ticket:
    """``entries``: (day, minutes[, rate]) tuples."""
    t = Ticket(id=next(_ids), title="Printer", contract=contract, customer=contract.customer)
    for spec in entries:
        day, minutes, rate = (*spec, STANDARD)[:3]
        t.time_entries.append(
            TimeEntry(
                id=next(_ids),
                ticket_id=t.id,
                work_date=day,
                minutes=minutes,
                billable=True,
                rate_id=rate.id,
                rate=rate,
                technician=TECH,
            )
        )
    for expense in expenses:
        expense.ticket_id = t.id
        t.expenses.append(expense)
    return t


def bill(contract, periods=(NOV,), tickets=(), detail=DetailLevel.TICKET, block=None):
    work = ContractWork(contract, list(periods), list(tickets), detail, block=block)
    return bill_contract(work)


def amounts(result, kind=None):
    return [line.amount_minor for line in result.lines if kind is None or line.kind == kind]


# --- retainer ------------------------------------------------------------------------------


def test_retainer_bills_quantity_times_price_and_lists_tickets_free():
    contract = make_contract(
        ContractType.RETAINER, quantity=Decimal(10), unit_price_minor=1500
    )  # 10 mailboxes x 15.00
    t = ticket(contract, (date(2026, 11, 3), 90))
    result = bill(contract, tickets=[t])
    assert amounts(result, LineKind.SERVICE) == [15000]
    (free,) = [line for line in result.lines if line.kind == LineKind.TICKET]
    assert free.amount_minor == 0 and "1:30 h, included" in free.description
    assert result.charged_periods == [NOV]


def test_retainer_starting_mid_period_is_prorated_by_days():
    contract = make_contract(
        ContractType.RETAINER,
        quantity=Decimal(1),
        unit_price_minor=150000,
        start_date=date(2026, 11, 16),
    )
    # 15 of 30 days: 1,500.00 x 15/30 = 750.00
    assert amounts(bill(contract)) == [75000]
    ended = make_contract(
        ContractType.RETAINER,
        quantity=Decimal(1),
        unit_price_minor=100000,
        end_date=date(2026, 11, 10),
    )
    # 10 of 30 days: 1,000.00 / 3 = 333.333.. -> 333.33
    assert amounts(bill(ended)) == [33333]
    assert "prorated 10/30 days" in bill(ended).lines[0].description


def _terms(line):
    return (line.quantity, line.unit_price_minor, line.amount_minor)


def test_a_prorated_line_reads_as_it_adds_up():
    """Quantity x price = amount (PEPPOL-EN16931-R120): a share of the quantity when it is
    exact in thousandths, else the price for the days; never 1 x 1,500.00 = 750.00."""
    half = make_contract(
        ContractType.RETAINER, quantity=Decimal(1), unit_price_minor=150000,
        start_date=date(2026, 11, 16),
    )  # fmt: skip
    assert _terms(bill(half).lines[0]) == (Decimal("0.5"), 150000, 75000)
    third = make_contract(
        ContractType.RETAINER, quantity=Decimal(1), unit_price_minor=150000,
        start_date=date(2026, 11, 21),
    )  # fmt: skip  # 10 of 30 days: 1/3 is not exact in thousandths
    assert _terms(bill(third).lines[0]) == (Decimal(1), 50000, 50000)
    users = make_contract(
        ContractType.RETAINER, quantity=Decimal(5), unit_price_minor=3000,
        start_date=date(2026, 11, 14),
    )  # fmt: skip  # 17 of 30 days of 5 x 30.00: 17.00 a user
    assert _terms(bill(users).lines[0]) == (Decimal(5), 1700, 8500)


def test_recurring_service_lines_bill_each_period():
    contract = make_contract(ContractType.RETAINER, quantity=Decimal(1), unit_price_minor=0)
    contract.services = [
        ContractService(description="M365", quantity=Decimal(15), unit_price_minor=2200)
    ]
    result = bill(contract, periods=[NOV, DEC])
    assert amounts(result, LineKind.SERVICE) == [0, 0, 33000, 33000]


# --- hourly --------------------------------------------------------------------------------


def test_hourly_rounds_each_entry_up_to_the_increment_and_prices_by_rate():
    contract = make_contract(ContractType.HOURLY, rounding_minutes=15)
    t = ticket(
        contract,
        (date(2026, 11, 2), 50),  # -> 60 min x 120.00 = 120.00
        (date(2026, 11, 3), 10),  # -> 15 min x 120.00 = 30.00
        (date(2026, 11, 4), 10, AFTER),  # -> 15 min x 200.00 (contract price) = 50.00
    )
    result = bill(contract, tickets=[t])
    assert sorted(amounts(result, LineKind.TIME)) == [5000, 15000]
    standard = next(line for line in result.lines if "Standard" in line.description)
    assert standard.quantity == Decimal("1.250") and standard.unit_price_minor == 12000


def test_hourly_without_use_bills_nothing():
    result = bill(make_contract(ContractType.HOURLY))
    assert result.lines == [] and result.charged_periods == []


@pytest.mark.parametrize(
    ("detail", "count"),
    [(DetailLevel.CONTRACT, 1), (DetailLevel.TICKET, 2), (DetailLevel.TIME_ENTRY, 3)],
)
def test_detail_level_groups_time_lines_without_changing_the_total(detail, count):
    contract = make_contract(ContractType.HOURLY)
    # Whole thousandths of an hour (15 and 30 minutes), so grouping cannot round differently.
    t1 = ticket(contract, (date(2026, 11, 2), 15), (date(2026, 11, 3), 30))
    t2 = ticket(contract, (date(2026, 11, 4), 15))
    result = bill(contract, tickets=[t1, t2], detail=detail)
    time = [line for line in result.lines if line.kind == LineKind.TIME]
    assert len(time) == count
    assert sum(line.amount_minor for line in time) == 12000  # 60 min x 120.00


def test_zero_decimal_currency():
    yen = Rate(id=3, name="Standard", hourly_price_minor=15000, currency="JPY")  # ¥15,000/h
    contract = make_contract(ContractType.HOURLY, currency="JPY")
    contract.rates = [ContractRate(rate_id=3, rate=yen, is_primary=True)]
    # A line costs its hours (3 decimals) x the price, rounded to whole yen:
    t = ticket(contract, (date(2026, 11, 2), 7, yen))  # 0.117 h x 15,000 = 1,755
    t2 = ticket(contract, (date(2026, 11, 2), 1, yen))  # 0.017 h x 15,000 = 255
    t3 = ticket(contract, (date(2026, 11, 2), 2, yen))  # 0.033 h x 15,000 = 495
    result = bill(contract, tickets=[t, t2, t3], detail=DetailLevel.TIME_ENTRY)
    assert sorted(amounts(result)) == [255, 495, 1755]


def test_a_time_line_costs_its_hours_times_its_price():
    """PEPPOL-EN16931-R120 and every rendering of the invoice: quantity x price = amount."""
    contract = make_contract(ContractType.HOURLY)  # 120.00/h
    t = ticket(contract, (date(2026, 11, 2), 20), (date(2026, 11, 3), 40))
    result = bill(contract, tickets=[t], detail=DetailLevel.TIME_ENTRY)
    lines = [(line.quantity, line.unit_price_minor, line.amount_minor) for line in result.lines]
    assert lines == [(Decimal("0.333"), 12000, 3996), (Decimal("0.667"), 12000, 8004)]


# --- taxes --------------------------------------------------------------------------------


def _taxed_contract(exempt=False):
    contract = make_contract(
        ContractType.HOURLY, taxable=True, tax_rate=SALES, tax_rate_id=1, exempt=exempt
    )
    router = Product(id=5, name="Router", taxable=True, tax_rate=HARDWARE, tax_rate_id=2)
    labour_free = Product(id=6, name="Licence", taxable=False)
    expenses = [
        Expense(id=1, description="Router", product=router, product_id=5,
                quantity=Decimal(1), unit_price_minor=19999, discount_minor=0, billable=True),
        Expense(id=2, description="Licence", product=labour_free, product_id=6,
                quantity=Decimal(3), unit_price_minor=1000, discount_minor=500, billable=True),
    ]  # fmt: skip
    return contract, ticket(contract, (date(2026, 11, 2), 60), expenses=expenses)


def test_several_tax_rates_on_one_invoice_rounded_once_per_rate():
    contract, t = _taxed_contract()
    result = bill(contract, tickets=[t])
    summary = totals(result.lines)
    # labour 120.00 at 8.25 % = 9.90; router 199.99 at 6.5 % = 12.99935 -> 13.00;
    # licences 3 x 10.00 - 5.00 = 25.00, untaxed
    assert summary.subtotal_minor == 12000 + 19999 + 2500
    assert [(t.tax.name, t.base_minor, t.tax_minor) for t in summary.taxes] == [
        ("Hardware", 19999, 1300),
        ("Sales", 12000, 990),
    ]
    assert summary.total_minor == 34499 + 2290


def test_tax_exempt_customer_pays_no_tax():
    contract, t = _taxed_contract(exempt=True)
    summary = totals(bill(contract, tickets=[t]).lines)
    assert summary.tax_minor == 0 and summary.taxes == ()


def test_tax_per_rate_not_per_line():
    contract = make_contract(ContractType.HOURLY, taxable=True, tax_rate=SALES, tax_rate_id=1)
    # three 3-minute entries (0.05 h) at 120.00/h = 6.00 each; 8.25 % of 6.00 = 0.495 per
    # line, but of 18.00 once = 1.485 -> 1.49 (per line it would be 3 x 0.50 = 1.50)
    t = ticket(contract, *[(date(2026, 11, d), 3) for d in (2, 3, 4)])
    summary = totals(bill(contract, tickets=[t], detail=DetailLevel.TIME_ENTRY).lines)
    assert summary.subtotal_minor == 1800 and summary.tax_minor == 149


# --- per device / per user -------------------------------------------------------------------


def test_per_unit_count_change_mid_period_is_prorated_by_days():
    contract = make_contract(ContractType.PER_UNIT, unit_price_minor=1200, unit_label="device")
    contract.unit_counts = [
        ContractUnitCount(effective_date=date(2026, 1, 1), count=20),
        ContractUnitCount(effective_date=date(2026, 11, 11), count=25),
    ]
    result = bill(contract)
    # 20 devices x 10 days + 25 x 20 days = 700 device-days; x 12.00 / 30 days = 280.00
    (line,) = result.lines
    assert line.amount_minor == 28000 and line.quantity == Decimal("23.333")
    assert "20 x 10 d, 25 x 20 d" in line.description
    assert amounts(bill(contract, periods=[DEC])) == [30000]  # 25 x 12.00


# --- projects -----------------------------------------------------------------------------


def test_project_fixed_fee_and_project_hourly():
    once = Period(date(2026, 1, 1), date(2026, 11, 30))
    fixed = make_contract(
        ContractType.PROJECT_FIXED, billing_period=BillingPeriod.ONCE, fixed_amount_minor=500000
    )
    t = ticket(fixed, (date(2026, 11, 2), 600))
    result = bill(fixed, periods=[once], tickets=[t])
    assert amounts(result) == [500000, 0] and result.charged_periods == [once]
    hourly = make_contract(ContractType.PROJECT_HOURLY, billing_period=BillingPeriod.ONCE)
    t2 = ticket(hourly, (date(2026, 11, 2), 150))
    assert amounts(bill(hourly, periods=[once], tickets=[t2])) == [30000]  # 2.5 h x 120.00


# --- block hours ---------------------------------------------------------------------------


def block_hours(rollover=False):
    return make_contract(
        ContractType.BLOCK_HOURS,
        block_minutes=600,  # 10 h
        unit_price_minor=100000,  # 1,000.00 per block
        overage_rate_minor=15000,
        rollover=rollover,
    )


def test_block_hours_zero_use_buys_the_block_and_lapses_it():
    result = bill(block_hours())
    assert amounts(result) == [100000]
    assert [(m.kind, m.minutes) for m in result.block_moves] == [("purchase", 600), ("lapse", -600)]
    assert result.block_balance_after == 0


def test_block_hours_use_exactly_the_block_has_no_overage():
    contract = block_hours()
    t = ticket(contract, (date(2026, 11, 2), 600))
    result = bill(contract, tickets=[t])
    assert amounts(result) == [100000, 0]
    assert result.block_balance_after == 0
    assert [m.kind for m in result.block_moves] == ["purchase", "usage"]


def test_block_hours_overage_at_the_overage_rate():
    contract = block_hours()
    t = ticket(contract, (date(2026, 11, 2), 690))  # 11:30 used of 10:00
    result = bill(contract, tickets=[t])
    # 1.5 h x 150.00 = 225.00
    assert amounts(result, LineKind.SERVICE) == [100000, 22500]
    assert result.block_balance_after == 0


def test_block_hours_rollover_carries_unused_hours_into_the_next_period():
    contract = block_hours(rollover=True)
    t = ticket(contract, (date(2026, 11, 2), 240), (date(2026, 12, 2), 1000))
    result = bill(contract, periods=[NOV, DEC], tickets=[t])
    # Nov: 10 h bought, 4 h used -> 6 h roll over. Dec: 6 + 10 = 16 h, 16:40 used -> 0:40 over
    assert amounts(result, LineKind.SERVICE) == [100000, 100000, 10005]  # 0.667 h x 150.00
    assert result.block_balance_after == 0


def test_block_hours_without_rollover_lapse_each_period():
    contract = block_hours(rollover=False)
    t = ticket(contract, (date(2026, 11, 2), 240), (date(2026, 12, 2), 700))
    result = bill(contract, periods=[NOV, DEC], tickets=[t])
    # Nov: 6 h lapse. Dec: 10 h bought, 11:40 used -> 1:40 over = 250.00
    assert amounts(result, LineKind.SERVICE) == [100000, 100000, 25005]  # 1.667 h x 150.00
    assert [(m.kind, m.minutes) for m in result.block_moves if m.kind == "lapse"] == [
        ("lapse", -360)
    ]


def test_block_already_bought_this_period_is_not_billed_again():
    contract = block_hours(rollover=True)
    state = BlockState(balance=600, purchased_in={NOV.start})
    t = ticket(contract, (date(2026, 11, 2), 120))
    result = bill(contract, tickets=[t], block=state)
    assert amounts(result, LineKind.SERVICE) == []
    assert result.block_balance_after == 480


# --- block money ---------------------------------------------------------------------------


def test_block_money_deducts_use_at_its_rate_and_bills_overage():
    contract = make_contract(
        ContractType.BLOCK_MONEY,
        block_amount_minor=500000,  # 5,000.00 prepaid
        overage_rate_minor=17500,
        rollover=True,
    )
    # 20 h x 120.00 = 2,400.00 used -> 2,600.00 left (Atera's own example, our rate)
    t = ticket(contract, (date(2026, 11, 2), 1200))
    result = bill(contract, tickets=[t])
    assert amounts(result, LineKind.SERVICE) == [500000]
    assert result.block_balance_after == 260000
    # next month nothing bought (already), 25 h x 120.00 = 3,000.00: 400.00 beyond the balance,
    # i.e. 200 min at 120.00/h, billed at 175.00/h: 3.333 h x 175.00 = 583.28
    t2 = ticket(contract, (date(2026, 12, 2), 1500))
    state = BlockState(balance=260000, purchased_in={DEC.start})
    result = bill(contract, periods=[DEC], tickets=[t2], block=state)
    assert amounts(result, LineKind.SERVICE) == [58328]
    assert result.block_balance_after == 0
