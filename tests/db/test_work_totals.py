"""Work totals: rounding increments, contract rate prices, expenses, all in integer SQL."""

from datetime import date
from decimal import Decimal

from billing.work.totals import WorkTotals, sum_totals, totals_by_ticket
from models import (
    BillingPeriod,
    Contract,
    ContractRate,
    ContractType,
    Customer,
    Expense,
    Rate,
    Ticket,
    TimeEntry,
    db,
)
from tests.conftest import make_user


def test_totals_by_ticket_hand_computed(app):
    tech = make_user()
    standard = Rate(name="Standard", hourly_price_minor=12500, currency="USD")
    after = Rate(name="After hours", hourly_price_minor=18750, currency="USD")
    customer = Customer(name="Acme", currency="USD")
    contract = Contract(
        customer=customer,
        name="T&M",
        type=ContractType.HOURLY,
        billing_period=BillingPeriod.MONTHLY,
        start_date=date(2026, 1, 1),
        rounding_minutes=15,
    )
    contract.rates = [
        ContractRate(rate=standard, is_primary=True),
        ContractRate(rate=after, hourly_price_minor=20000),  # this contract's own price
    ]
    exact = Contract(
        customer=customer,
        name="Exact",
        type=ContractType.HOURLY,
        billing_period=BillingPeriod.MONTHLY,
        start_date=date(2026, 1, 1),
    )
    t1 = Ticket(customer=customer, contract=contract, title="Server down")
    t2 = Ticket(customer=customer, contract=exact, title="Mail")
    t3 = Ticket(customer=customer, contract=exact, title="No work yet")
    db.session.add_all([t1, t2, t3])
    day = date(2026, 1, 10)
    t1.time_entries = [
        # 50 min -> 60 billed x 125.00 = 125.00
        TimeEntry(technician=tech, work_date=day, minutes=50, rate=standard),
        # 10 min -> 15 billed x 200.00 (contract price) = 50.00
        TimeEntry(technician=tech, work_date=day, minutes=10, rate=after),
        # not billable: counts in hours only
        TimeEntry(technician=tech, work_date=day, minutes=30, rate=standard, billable=False),
    ]
    t1.expenses = [
        # 2.5 x 19.99 = 49.975 -> 49.98, less 5.00 discount = 44.98
        Expense(
            expense_date=day,
            description="Patch cables",
            quantity=Decimal("2.5"),
            unit_price_minor=1999,
            discount_minor=500,
        ),
        Expense(
            expense_date=day,
            description="Not billable",
            quantity=Decimal(1),
            unit_price_minor=9999,
            billable=False,
        ),
    ]
    # 7 min exact x 125.00 = 14.583.. -> 14.58; 1 min x 125.00 = 2.0833 -> 2.08
    t2.time_entries = [
        TimeEntry(technician=tech, work_date=day, minutes=7, rate=standard),
        TimeEntry(technician=tech, work_date=day, minutes=1, rate=standard),
    ]
    db.session.commit()

    totals = totals_by_ticket([t1.id, t2.id, t3.id])
    assert totals[t1.id] == WorkTotals(
        minutes=90, billable_minutes=75, time_minor=17500, expenses_minor=4498
    )
    assert totals[t1.id].amount_minor == 21998
    assert totals[t2.id] == WorkTotals(minutes=8, billable_minutes=8, time_minor=1458 + 208)
    assert totals[t3.id] == WorkTotals()
    assert sum_totals(totals.values()).amount_minor == 21998 + 1666
    assert totals_by_ticket([]) == {}
