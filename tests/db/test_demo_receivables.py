"""The demo's receivables: two months billed and sent, payments (in full, partly, over), a
credit note and overdue invoices, all consistent with the payment rules (every backend)."""

from datetime import date

from sqlalchemy import func, select

from billing.payments.locks import customer_credit_minor
from demo.build import seed_demo
from demo.receivables import seed_receivables
from models import (
    CreditNote,
    Customer,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentApplication,
    db,
)

DAY = date(2026, 12, 3)


def _seeded(app):
    app.config["BILLING_TODAY"] = DAY.isoformat()
    seed_demo(DAY)
    made = seed_receivables(DAY)
    db.session.commit()
    return made


def test_every_state_of_getting_paid_is_there(app):
    made = _seeded(app)
    invoices = db.session.scalars(select(Invoice)).all()
    assert made.invoices == len(invoices) > 10
    assert {i.status for i in invoices} >= {InvoiceStatus.SENT, InvoiceStatus.PAID}
    assert InvoiceStatus.DRAFT not in {i.status for i in invoices}
    assert any(i.is_partly_paid for i in invoices)
    overdue = [i for i in invoices if i.is_overdue(DAY) and i.owed_minor > 0]
    assert any(i.days_overdue(DAY) > 30 for i in overdue)
    assert any(i.days_overdue(DAY) <= 7 for i in overdue)
    assert made.payments == db.session.scalar(select(func.count(Payment.id)))
    credit = [customer_credit_minor(c.id, c.currency) for c in db.session.scalars(select(Customer))]
    assert any(amount > 0 for amount in credit)  # the overpayment
    assert made.credit_notes == 1 == db.session.scalar(select(func.count(CreditNote.id)))
    credited = db.session.scalars(select(Invoice).where(Invoice.credited_minor > 0)).all()
    assert len(credited) == 1 and credited[0].balance_minor >= 0


def test_the_figures_hold_together(app):
    _seeded(app)
    for invoice in db.session.scalars(select(Invoice)):
        applied = db.session.scalar(
            select(func.coalesce(func.sum(PaymentApplication.amount_minor), 0)).where(
                PaymentApplication.invoice_id == invoice.id
            )
        )
        credits = db.session.scalar(
            select(func.coalesce(func.sum(CreditNote.total_minor), 0)).where(
                CreditNote.invoice_id == invoice.id
            )
        )
        assert invoice.paid_minor == applied and invoice.credited_minor == credits
        assert 0 <= invoice.balance_minor <= invoice.total_minor
        settled = invoice.status in (InvoiceStatus.PAID, InvoiceStatus.REFUNDED)
        assert (invoice.settled_on is not None) == settled, invoice.number
        if settled:
            assert invoice.issue_date <= invoice.settled_on <= DAY
