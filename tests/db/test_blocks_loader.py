"""Loading a block contract's balance: ledger, unbilled time, prices, in three queries."""

from datetime import date

from billing.contracts.blocks import load_block_balance
from models import (
    BillingPeriod,
    BlockEntryKind,
    BlockLedgerEntry,
    ContractRate,
    ContractType,
    InvoiceBatch,
    db,
)
from tests.factories import make_contract, make_rate, make_ticket, make_time_entry

JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)


def ledger(contract, day, kind, minutes=0, amount_minor=0):
    entry = BlockLedgerEntry(
        contract_id=contract.id,
        entry_date=day,
        kind=kind,
        minutes=minutes,
        amount_minor=amount_minor,
    )
    db.session.add(entry)
    db.session.commit()


def test_block_hours_balance_from_ledger_and_unbilled_time(app, count_queries):
    contract = make_contract(
        type=ContractType.BLOCK_HOURS,
        block_minutes=600,
        unit_price_minor=100000,
        overage_rate_minor=15000,
        rollover=True,
        rounding_minutes=15,
        start_date=JAN,
    )
    ledger(contract, JAN, BlockEntryKind.PURCHASE, minutes=600)
    ticket = make_ticket(contract)
    make_time_entry(ticket, work_date=date(2026, 1, 5), minutes=50)  # billed as 60
    make_time_entry(ticket, work_date=date(2026, 1, 5), minutes=50)  # 60
    make_time_entry(ticket, work_date=date(2026, 1, 9), minutes=20, billable=False)  # not counted
    make_time_entry(ticket, work_date=date(2026, 2, 2), minutes=100)  # 105
    billed = make_ticket(contract)
    billed.batch = InvoiceBatch(name="Jan", period_start=JAN, period_end=date(2026, 1, 31))
    make_time_entry(billed, work_date=date(2026, 1, 7), minutes=90)  # billed: in the ledger
    ledger(contract, date(2026, 1, 31), BlockEntryKind.USAGE, minutes=-90)
    db.session.refresh(contract)
    with count_queries() as log:
        balance = load_block_balance(contract, date(2026, 2, 20))
    assert len(log) == 3
    rows = [(r.month, r.opening, r.purchased, r.used, r.closing) for r in balance.rows]
    # January: 600 - (60 + 60 + 90) = 390, rolled over; February: 390 + 600 - 105 = 885
    assert rows == [(JAN, 0, 600, 210, 390), (FEB, 390, 600, 105, 885)]
    assert balance.current == 885


def test_block_money_values_time_at_each_entrys_price(app):
    primary, after_hours = make_rate(hourly_price_minor=15000), make_rate(hourly_price_minor=20000)
    contract = make_contract(
        type=ContractType.BLOCK_MONEY,
        billing_period=BillingPeriod.QUARTERLY,
        block_amount_minor=500000,
        overage_rate_minor=16500,
        rates=[primary],
        start_date=JAN,
    )
    contract.rates.append(ContractRate(rate=after_hours, hourly_price_minor=22500))
    db.session.commit()
    ledger(contract, JAN, BlockEntryKind.PURCHASE, amount_minor=500000)
    ticket = make_ticket(contract)
    make_time_entry(ticket, work_date=date(2026, 1, 5), minutes=60)  # 150.00 (primary)
    make_time_entry(ticket, work_date=date(2026, 1, 6), minutes=60, rate=after_hours)  # 225.00
    make_time_entry(ticket, work_date=date(2026, 1, 7), minutes=7, rate=None)  # 17.50 (primary)
    make_time_entry(ticket, work_date=date(2026, 1, 8), minutes=1, rate=None)  # 2.50
    make_time_entry(ticket, work_date=date(2026, 1, 8), minutes=1, rate=None)  # 2.50
    balance = load_block_balance(contract, date(2026, 1, 20))
    assert [(r.purchased, r.used, r.closing) for r in balance.rows] == [
        (500000, 39750, 460250)  # 5,000.00 - 397.50
    ]
    assert balance.current == 460250


def test_a_block_contract_without_a_ledger_buys_its_block_by_the_rule(app):
    contract = make_contract(
        type=ContractType.BLOCK_HOURS,
        block_minutes=1200,
        unit_price_minor=230000,
        overage_rate_minor=13500,
        start_date=JAN,
    )
    balance = load_block_balance(contract, date(2026, 1, 15))
    assert [(r.purchased, r.unrecorded_purchase, r.closing) for r in balance.rows] == [
        (1200, 1200, 1200)
    ]
