"""The database itself refuses data that would corrupt the books, on every backend."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from models import (
    BillingPeriod,
    Contract,
    ContractType,
    Customer,
    Invoice,
    InvoiceBatch,
    InvoiceLine,
    TaxRate,
    Ticket,
    TimeEntry,
    db,
)
from tests.factories import build_invoice, make_line, make_user


def _customer(name="Acme"):
    customer = Customer(name=name, currency="USD")
    db.session.add(customer)
    db.session.flush()
    return customer


def _contract(customer, **terms):
    contract = Contract(
        customer=customer,
        name="Support",
        type=ContractType.HOURLY,
        billing_period=BillingPeriod.MONTHLY,
        start_date=date(2026, 1, 1),
        **terms,
    )
    db.session.add(contract)
    db.session.flush()
    return contract


def _invoice(customer, number="INV-1", **fields):
    dates = dict(issue_date=date(2026, 2, 1), due_date=date(2026, 3, 3))
    invoice = build_invoice(customer, number=number, **{**dates, **fields})
    db.session.add(invoice)
    db.session.flush()
    return invoice


def _refused(action):
    with pytest.raises((IntegrityError, StatementError)):
        action()
        db.session.flush()
    db.session.rollback()


def test_invoice_numbers_are_unique(app):
    customer = _customer()
    _invoice(customer)
    db.session.commit()
    _refused(lambda: _invoice(customer, "INV-1"))


def test_money_and_minutes_cannot_be_negative(app):
    customer = _customer()
    contract = _contract(customer)
    ticket = Ticket(customer=customer, contract=contract, title="Printer")
    user = make_user()
    db.session.add(ticket)
    db.session.commit()
    _refused(lambda: _invoice(customer, total_minor=-1))
    _refused(lambda: _contract(_customer("B"), unit_price_minor=-100))
    for minutes in (-5, 0, 1441):
        entry = TimeEntry(ticket_id=ticket.id, user_id=user.id, work_date=date(2026, 1, 5))
        entry.minutes = minutes
        _refused(lambda entry=entry: db.session.add(entry))


def test_due_date_cannot_precede_issue_date(app):
    _refused(lambda: _invoice(_customer(), due_date=date(2026, 1, 1)))


def test_a_ticket_bills_only_against_its_own_customers_contract(app):
    acme, globex = _customer("Acme"), _customer("Globex")
    foreign = _contract(globex)
    db.session.commit()
    _refused(
        lambda: db.session.add(
            Ticket(customer_id=acme.id, contract_id=foreign.id, title="Wrong contract")
        )
    )


def test_a_ticket_is_billed_by_at_most_one_existing_batch(app):
    customer = _customer()
    contract = _contract(customer)
    ticket = Ticket(customer=customer, contract=contract, title="Server")
    db.session.add(ticket)
    db.session.commit()
    ticket.batch_id = 999  # no such batch
    _refused(lambda: db.session.add(ticket))
    assert isinstance(Ticket.__table__.c.batch_id.type, sa.Integer)  # one column: one batch


def test_enums_are_checked_by_the_database(app):
    customer = _customer()
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.text(
                "INSERT INTO contracts (customer_id, name, type, billing_period, start_date, "
                "active, is_default, taxable, rounding_minutes, rollover, notes, created_at) "
                "VALUES (:c, 'X', 'bogus', 'monthly', '2026-01-01', true, false, false, 0, "
                "false, '', '2026-01-01')"
            ),
            {"c": customer.id},
        )
    db.session.rollback()


def test_only_one_default_tax_rate(app):
    db.session.add(TaxRate(name="State", percent=Decimal("6.25"), is_default=True))
    db.session.commit()
    _refused(lambda: db.session.add(TaxRate(name="City", percent=Decimal("1"), is_default=True)))


def test_quantities_and_percentages_round_trip_exactly(app):
    customer = _customer()
    invoice = _invoice(customer)
    cabling = make_line("Cabling", 1999, Decimal("1.125"), amount_minor=2249, invoice=invoice,
                        tax_percent=Decimal("8.875"))  # fmt: skip
    db.session.add(cabling)
    db.session.add(TaxRate(name="NYC", percent=Decimal("8.875")))
    db.session.commit()
    db.session.expire_all()
    line = db.session.scalar(sa.select(InvoiceLine))
    assert line.quantity == Decimal("1.125") and line.tax_percent == Decimal("8.875")
    raw = db.session.execute(sa.text("SELECT quantity, tax_percent FROM invoice_lines")).one()
    assert (raw.quantity, raw.tax_percent) == (1125, 88750)  # integers at rest, no float
    with pytest.raises(StatementError, match="more than 3 decimal places"):
        line.quantity = Decimal("1.0001")
        db.session.flush()
    db.session.rollback()


def test_deleting_an_invoice_keeps_its_audit_trail_and_drops_its_lines(app):
    from models import InvoiceEvent

    customer = _customer()
    invoice = _invoice(customer)
    batch = InvoiceBatch(name="Jan", period_start=date(2026, 1, 1), period_end=date(2026, 1, 31))
    invoice.batch = batch
    db.session.add(make_line("x", 100, invoice=invoice))
    db.session.add(InvoiceEvent(invoice=invoice, invoice_number=invoice.number, kind="created"))
    db.session.commit()
    db.session.execute(sa.delete(Invoice).where(Invoice.id == invoice.id))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(InvoiceLine.id))) == 0
    event = db.session.scalar(sa.select(InvoiceEvent))
    assert event.invoice_id is None and event.invoice_number == "INV-1"
