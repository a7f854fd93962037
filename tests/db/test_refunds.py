"""A credit note on a paid invoice: payment released as the customer's credit (newest payment
first), its refund, the Refunded status, and deleting payments and refunds afterwards."""

from datetime import date

import pytest
import sqlalchemy as sa

from billing.credit_notes.issue import issue_credit_note
from billing.credit_notes.refunds import record_refund, refundable_minor
from billing.errors import Conflict, ForbiddenChange, ValidationFailed
from billing.payments.locks import customer_credit_minor, unapplied_payments
from billing.payments.store import apply_credit, delete_payment
from models import (
    InvoiceEvent,
    InvoiceStatus,
    Payment,
    PaymentApplication,
    PaymentDirection,
    PaymentMethod,
    db,
)
from tests.factories import make_credit_note, make_customer, make_invoice, make_line, make_payment

SENT, PAID, REFUNDED = InvoiceStatus.SENT, InvoiceStatus.PAID, InvoiceStatus.REFUNDED


def _sent(customer, amount: int, due: date = date(2026, 12, 1)):
    return make_invoice(customer, [make_line("Support", amount)], status=SENT, due_date=due,
                        issue_date=date(2026, 11, 1))  # fmt: skip


def _events(invoice, kind: str) -> list[InvoiceEvent]:
    return db.session.scalars(
        sa.select(InvoiceEvent)
        .where(InvoiceEvent.invoice_id == invoice.id, InvoiceEvent.kind == kind)
        .order_by(InvoiceEvent.id)
    ).all()


def _refund(note, amount: int, user, day: date = date(2026, 12, 5), **fields):
    values = dict(method=PaymentMethod.BANK, reference="RF-1", note="")
    refund = record_refund(note, day, amount, user=user, **{**values, **fields})
    db.session.commit()
    return refund


def _released(invoice) -> list[tuple[int, int]]:
    return db.session.execute(
        sa.select(PaymentApplication.payment_id, PaymentApplication.amount_minor)
        .where(PaymentApplication.invoice_id == invoice.id, PaymentApplication.amount_minor < 0)
        .order_by(PaymentApplication.id)
    ).all()


def test_a_credit_on_a_paid_invoice_becomes_credit_then_its_refund_makes_it_refunded(app, admin):
    customer = make_customer()
    invoice = _sent(customer, 10000)
    payment = make_payment(customer, 10000, user=admin)
    note = make_credit_note(invoice, user=admin, reason="Cancelled")
    db.session.expire_all()
    # Paid 100.00, credited 100.00: all of the payment goes back to the customer.
    assert (note.total_minor, note.released_minor) == (10000, 10000)
    assert (invoice.paid_minor, invoice.credited_minor, invoice.balance_minor) == (0, 10000, 0)
    assert invoice.status == PAID
    assert _released(invoice) == [(payment.id, -10000)]
    released = db.session.scalars(
        sa.select(PaymentApplication).where(PaymentApplication.amount_minor < 0)
    ).one()
    assert (released.credit_note_id, released.applied_on) == (note.id, date(2026, 12, 1))
    assert customer_credit_minor(customer.id, "USD") == 10000
    assert [(p.id, left) for p, left in unapplied_payments(customer.id, "USD")] == [
        (payment.id, 10000)
    ]
    assert "$100.00 already paid became" in _events(invoice, "credit_note")[0].message
    assert refundable_minor(note) == 10000
    with pytest.raises(ValidationFailed) as refused:
        record_refund(note, date(2026, 12, 5), 10001, "bank", "", "", admin)
    db.session.rollback()
    assert refused.value.field == "amount"
    assert str(refused.value) == (
        f"$100.01 is more than can be refunded on credit note {note.number} ($100.00)."
    )
    first = _refund(note, 4000, admin)
    assert (first.direction, first.credit_note_id, first.currency) == (
        PaymentDirection.OUT, note.id, "USD",
    )  # fmt: skip
    db.session.expire_all()
    assert (invoice.status, refundable_minor(note)) == (PAID, 6000)  # not all paid back yet
    _refund(note, 6000, admin, date(2026, 12, 9), method="card", reference="")
    db.session.expire_all()
    assert (invoice.status, invoice.settled_on) == (REFUNDED, date(2026, 12, 1))
    assert customer_credit_minor(customer.id, "USD") == 0 and refundable_minor(note) == 0
    refunds = _events(invoice, "refund")
    assert refunds[0].message == (
        f"Refund #{first.id} of $40.00 by bank transfer on 2026-12-05 (ref. RF-1) "
        f"for credit note {note.number}."
    )
    status = _events(invoice, "status")[-1]
    assert (status.from_status, status.to_status, status.data) == (
        "paid", "refunded", {"credit_note_id": note.id},
    )  # fmt: skip
    with pytest.raises(ValidationFailed, match=r"\(nothing\)"):
        record_refund(note, date(2026, 12, 9), 1, "bank", "", "", admin)
    db.session.rollback()
    with pytest.raises(ForbiddenChange, match="Refunded"):
        issue_credit_note(invoice, kind="amount", reason="x", user=admin, amount_minor=1)
    db.session.rollback()


def test_release_takes_the_newest_payment_first(app, admin):
    customer = make_customer()
    invoice = _sent(customer, 10000)
    older = make_payment(customer, 6000, user=admin, payment_date=date(2026, 11, 20))
    newer = make_payment(customer, 4000, user=admin)
    make_credit_note(invoice, "amount", amount_minor=3000)
    assert _released(invoice) == [(newer.id, -3000)]
    # Newer has 10.00 left on the invoice, then the older gives the other 40.00.
    second = make_credit_note(invoice, "amount", amount_minor=5000)
    assert _released(invoice) == [(newer.id, -3000), (newer.id, -1000), (older.id, -4000)]
    db.session.expire_all()
    assert second.released_minor == 5000
    assert (invoice.paid_minor, invoice.credited_minor, invoice.status) == (2000, 8000, PAID)
    # The released credit pays the customer's next invoice.
    later = _sent(customer, 2500)
    (applied,) = apply_credit(customer, "USD", None, admin)
    db.session.commit()
    db.session.expire_all()
    assert (applied.payment_id, applied.amount_minor, later.status) == (older.id, 2500, PAID)
    assert customer_credit_minor(customer.id, "USD") == 5500
    # The credit note's refundable part is capped by what credit is left.
    assert refundable_minor(second) == 5000


def test_a_refund_is_refused_beside_its_field(app, admin):
    customer = make_customer()
    invoice = _sent(customer, 10000)
    make_payment(customer, 10000, user=admin)
    note = make_credit_note(invoice, "amount", amount_minor=2500)
    cases = [
        (dict(amount_minor=0), "amount", "above zero"),
        (dict(method="barter"), "method", "from the list"),
        (dict(reference="x" * 101), "reference", "100 characters"),
        (dict(refund_date=date(2026, 11, 30)), "refund_date", "before its credit note"),
        (dict(amount_minor=2501), "amount", "($25.00)"),
    ]
    values = dict(refund_date=date(2026, 12, 2), amount_minor=100, method="bank",
                  reference="", note="", user=admin)  # fmt: skip
    for fields, field, words in cases:
        with pytest.raises(ValidationFailed) as refused:
            record_refund(note, **{**values, **fields})
        db.session.rollback()
        assert refused.value.field == field and words in str(refused.value), str(refused.value)
    assert db.session.scalar(sa.select(sa.func.count(Payment.id))) == 1


def test_deleting_a_payment_part_of_which_a_credit_note_released(app, admin):
    customer = make_customer()
    invoice = _sent(customer, 10000)
    payment = make_payment(customer, 10000, user=admin)
    make_credit_note(invoice, "amount", amount_minor=4000)
    assert customer_credit_minor(customer.id, "USD") == 4000
    delete_payment(payment, "Bounced", admin)
    db.session.commit()
    db.session.expire_all()
    # 100.00 applied less 40.00 released: 60.00 comes off the invoice, the credit is gone.
    assert (invoice.paid_minor, invoice.credited_minor, invoice.balance_minor) == (0, 4000, 6000)
    assert invoice.status == SENT
    (deleted,) = _events(invoice, "payment_deleted")
    assert deleted.data == {"payment_id": payment.id, "amount_minor": -6000}
    assert "$60.00 no longer applied; balance due $60.00" in deleted.message
    assert customer_credit_minor(customer.id, "USD") == 0
    assert db.session.scalar(sa.select(sa.func.count(PaymentApplication.id))) == 0


def test_deleting_a_refund_makes_a_refunded_invoice_paid_again(app, admin):
    customer = make_customer()
    invoice = _sent(customer, 10000)
    payment = make_payment(customer, 10000, user=admin)
    note = make_credit_note(invoice)
    refund = _refund(note, 10000, admin)
    assert invoice.status == REFUNDED
    with pytest.raises(Conflict, match="part of its credit was refunded"):
        delete_payment(payment, "Bounced", admin)
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        delete_payment(refund, " ", admin)
    db.session.rollback()
    delete_payment(refund, "Never sent", admin)
    db.session.commit()
    db.session.expire_all()
    assert (invoice.status, customer_credit_minor(customer.id, "USD")) == (PAID, 10000)
    assert refundable_minor(note) == 10000
    (gone,) = _events(invoice, "refund_deleted")
    assert "Refund #" in gone.message and "(Never sent)" in gone.message
    back = _events(invoice, "status")[-1]
    assert (back.from_status, back.to_status) == ("refunded", "paid")
    # Now nothing was paid back, the payment can go: the invoice, credited in full, owes nothing.
    delete_payment(payment, "Bounced", admin)
    db.session.commit()
    db.session.expire_all()
    assert (invoice.paid_minor, invoice.balance_minor, invoice.status) == (0, 0, PAID)
    assert customer_credit_minor(customer.id, "USD") == 0
