"""What payments and credit notes lock, and what a Paid by hand says (both backends): a batch
holding a credited invoice cannot be deleted, a credited invoice cannot go back to Draft, a
Paid marked without a payment says so on the trail, and the settled day follows each change."""

from datetime import date

import pytest
import sqlalchemy as sa

from billing.batches.store import deletion_refusal
from billing.errors import Conflict
from billing.invoices.status import change_status
from billing.payments.store import delete_payment
from models import InvoiceBatch, InvoiceEvent, InvoiceStatus, db
from tests.factories import (
    make_credit_note,
    make_customer,
    make_invoice,
    make_line,
    make_payment,
)

SENT, PAID = InvoiceStatus.SENT, InvoiceStatus.PAID


def _sent(customer, amount: int, **fields):
    return make_invoice(customer, [make_line("Support", amount)], status=SENT,
                        issue_date=date(2026, 9, 1), due_date=date(2026, 10, 1),
                        **fields)  # fmt: skip


def test_a_batch_holding_a_credited_invoice_cannot_be_deleted(app, admin):
    customer = make_customer()
    batch = InvoiceBatch(name="September", period_start=date(2026, 9, 1),
                         period_end=date(2026, 9, 30))  # fmt: skip
    invoice = _sent(customer, 10000, batch=batch, number="INV-0077")
    assert deletion_refusal(batch) is None
    make_credit_note(invoice, "amount", admin, amount_minor=2500)
    assert deletion_refusal(batch) == (
        "Batch September cannot be deleted: INV-0077 has credit notes "
        "(a credit note is never deleted)."
    )


def test_a_credited_invoice_cannot_go_back_to_draft(app, admin):
    invoice = _sent(make_customer(), 10000)
    make_credit_note(invoice, "amount", admin, amount_minor=1000)
    with pytest.raises(Conflict, match="has credit notes: it cannot go back to Draft"):
        change_status(invoice, InvoiceStatus.DRAFT, admin, "fix a line")
    assert invoice.status == SENT


def test_a_paid_by_hand_says_no_payment_was_recorded_and_is_settled_that_day(app, admin):
    app.config["BILLING_TODAY"] = "2026-11-20"
    customer = make_customer()
    invoice = _sent(customer, 10000)
    make_payment(customer, 4000, user=admin)  # $40.00 recorded here, $60.00 not
    change_status(invoice, PAID, admin, "Paid by cheque at the office.")
    db.session.commit()
    event = db.session.scalars(
        sa.select(InvoiceEvent).where(InvoiceEvent.kind == "status",
                                      InvoiceEvent.to_status == PAID.value)
    ).one()  # fmt: skip
    assert event.message == (
        "Marked Paid by hand: no payment recorded here ($60.00 of the balance). "
        "Paid by cheque at the office."
    )
    assert invoice.settled_on == date(2026, 11, 20) and invoice.owed_minor == 0
    change_status(invoice, SENT, admin, "The cheque bounced.")
    assert invoice.settled_on is None and invoice.owed_minor == 6000


def test_paid_by_payments_is_settled_on_the_latest_payment_day(app, admin):
    customer = make_customer()
    invoice = _sent(customer, 10000)
    make_payment(customer, 4000, user=admin, payment_date=date(2026, 10, 20))
    # Recorded later, dated earlier: the invoice was settled when the later payment came.
    last = make_payment(customer, 6000, user=admin, payment_date=date(2026, 10, 5))
    assert invoice.status == PAID and invoice.settled_on == date(2026, 10, 20)
    delete_payment(last, "Recorded twice", admin)
    db.session.commit()
    assert invoice.status == SENT and invoice.settled_on is None
    event = db.session.scalars(
        sa.select(InvoiceEvent).where(InvoiceEvent.kind == "status").order_by(
            InvoiceEvent.id.desc())
    ).first()  # fmt: skip
    assert (event.from_status, event.to_status) == ("paid", "sent")


def test_a_whole_credit_note_settles_an_unpaid_invoice_on_its_date(app, admin):
    invoice = _sent(make_customer(), 10000)
    note = make_credit_note(invoice, "whole", admin, issue_date=date(2026, 10, 9))
    assert note.total_minor == 10000 and note.released_minor == 0
    assert invoice.status == PAID and invoice.balance_minor == 0
    assert invoice.settled_on == date(2026, 10, 9)
