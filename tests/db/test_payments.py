"""Payments with the database: recording, credit, deleting, the automatic Paid, the batch a
paid invoice holds, and two people paying the same invoice at once (both backends)."""

from datetime import date

import pytest
import sqlalchemy as sa

from billing.batches.store import deletion_refusal
from billing.errors import Conflict, ForbiddenChange, NotYours, ValidationFailed
from billing.invoices.status import change_status
from billing.payments.locks import customer_credit_minor
from billing.payments.store import apply_credit, delete_payment, record_payment
from models import (
    Invoice,
    InvoiceBatch,
    InvoiceEvent,
    InvoiceStatus,
    Payment,
    PaymentApplication,
    PaymentMethod,
    Role,
    db,
)
from tests.factories import make_customer, make_invoice, make_line, make_payment, make_user
from tests.races import assert_fair, race

SENT, EXPORTED, PAID = InvoiceStatus.SENT, InvoiceStatus.EXPORTED, InvoiceStatus.PAID


def _sent(customer, amount: int, due: date, status=SENT, **fields) -> Invoice:
    return make_invoice(customer, [make_line("Support", amount)], status=status, due_date=due,
                        issue_date=date(2026, 9, 1), **fields)  # fmt: skip


def _events(invoice: Invoice, kind: str) -> list[InvoiceEvent]:
    return db.session.scalars(
        sa.select(InvoiceEvent)
        .where(InvoiceEvent.invoice_id == invoice.id, InvoiceEvent.kind == kind)
        .order_by(InvoiceEvent.id)
    ).all()


def _assert_paid_is_sum_of_applications() -> None:
    db.session.expire_all()
    for invoice in db.session.scalars(sa.select(Invoice)):
        applied = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(PaymentApplication.amount_minor), 0)).where(
                PaymentApplication.invoice_id == invoice.id
            )
        )
        assert invoice.paid_minor == applied, invoice.number
        assert 0 <= invoice.paid_minor <= invoice.total_minor


def test_a_split_payment_pays_the_two_oldest_and_part_of_the_third(app, admin):
    customer = make_customer()
    a = _sent(customer, 10000, date(2026, 10, 1))
    b = _sent(customer, 25050, date(2026, 11, 1), status=EXPORTED)
    c = _sent(customer, 8025, date(2026, 11, 15))
    payment = make_payment(customer, 40000, user=admin, reference="WIRE-1")
    db.session.expire_all()
    assert [(x.paid_minor, x.balance_minor, x.status) for x in (a, b, c)] == [
        (10000, 0, PAID), (25050, 0, PAID), (4950, 3075, SENT),
    ]  # fmt: skip
    assert c.is_partly_paid and not a.is_partly_paid
    partly = db.session.scalars(sa.select(Invoice.number).where(Invoice.is_partly_paid)).all()
    assert partly == [c.number]
    (paid,) = _events(b, "status")
    assert (paid.from_status, paid.to_status) == ("exported", "paid")
    assert paid.data == {"payment_id": payment.id}
    assert f"payment #{payment.id}" in paid.message
    (applied,) = _events(c, "payment")
    assert applied.data["amount_minor"] == 4950 and "balance due $30.75" in applied.message
    assert customer_credit_minor(customer.id, "USD") == 0
    _assert_paid_is_sum_of_applications()


def test_an_overpayment_is_credit_applied_later_to_a_new_invoice(app, admin):
    customer = make_customer()
    first = _sent(customer, 12000, date(2026, 10, 1))
    make_payment(customer, 30000, user=admin)
    assert customer_credit_minor(customer.id, "USD") == 18000
    later = _sent(customer, 5000, date(2026, 12, 1))
    (made,) = apply_credit(customer, "USD", None, admin)
    db.session.commit()
    db.session.expire_all()
    assert made.amount_minor == 5000
    assert (first.status, later.status, later.balance_minor) == (PAID, PAID, 0)
    assert customer_credit_minor(customer.id, "USD") == 13000
    assert "Credit from payment" in _events(later, "payment")[0].message
    with pytest.raises(ValidationFailed) as refused:
        apply_credit(customer, "USD", {later.id: 1}, admin)
    assert refused.value.field == f"apply_{later.id}"  # nothing owed on it any more
    _assert_paid_is_sum_of_applications()


def test_refusals_say_why_beside_the_field(app, admin):
    customer, other = make_customer(), make_customer()
    mine = _sent(customer, 10000, date(2026, 10, 1))
    theirs = _sent(other, 10000, date(2026, 10, 1))
    euros = _sent(customer, 10000, date(2026, 10, 1), currency="EUR")
    draft = _sent(customer, 10000, date(2026, 10, 1), status=InvoiceStatus.DRAFT)

    def pay(amount, allocations):
        return record_payment(customer, date(2026, 12, 1), amount, "USD", "bank", "", "",
                              allocations, admin)  # fmt: skip

    cases = [
        (0, None, ValidationFailed, "amount", "above zero"),
        (100, {theirs.id: 100}, ValidationFailed, f"apply_{theirs.id}", "another customer"),
        (100, {euros.id: 100}, ValidationFailed, f"apply_{euros.id}", "is in EUR"),
        (100, {draft.id: 100}, ForbiddenChange, f"apply_{draft.id}", "Draft"),
        (20000, {mine.id: 10001}, ValidationFailed, f"apply_{mine.id}", "balance of $100.00"),
        (5000, {mine.id: 6000}, ValidationFailed, "amount", "more than the payment"),
    ]
    for amount, allocations, error, field, words in cases:
        with pytest.raises(error) as refused:
            pay(amount, allocations)
        db.session.rollback()
        assert refused.value.field == field and words in str(refused.value), str(refused.value)
    assert db.session.scalar(sa.select(sa.func.count(Payment.id))) == 0


def test_deleting_a_payment_reverses_it_and_puts_the_status_back(app, admin):
    customer = make_customer()
    a = _sent(customer, 10000, date(2026, 10, 1), status=EXPORTED)
    b = _sent(customer, 10000, date(2026, 10, 2))
    payment = make_payment(customer, 15000, user=admin)
    with pytest.raises(NotYours):
        delete_payment(payment, "typo", make_user(Role.TECHNICIAN))
    with pytest.raises(ValidationFailed) as refused:
        delete_payment(payment, "  ", admin)
    assert refused.value.field == "reason"
    delete_payment(payment, "Entered twice", admin)
    db.session.commit()
    db.session.expire_all()
    assert [(x.paid_minor, x.status) for x in (a, b)] == [(0, EXPORTED), (0, SENT)]
    back = _events(a, "status")[-1]
    assert (back.from_status, back.to_status) == ("paid", "exported")
    assert "Entered twice" in _events(b, "payment_deleted")[0].message
    kept = db.session.get(Payment, payment.id)
    assert kept.is_deleted and kept.delete_reason == "Entered twice" and not kept.applications
    assert customer_credit_minor(customer.id, "USD") == 0
    with pytest.raises(Conflict):
        delete_payment(kept, "again", admin)
    _assert_paid_is_sum_of_applications()


def test_a_paid_set_by_hand_stays_when_a_payment_is_deleted(app, admin):
    customer = make_customer()
    invoice = _sent(customer, 10000, date(2026, 10, 1))
    payment = make_payment(customer, 4000, user=admin)
    invoice.status = PAID  # the MSP says it was paid elsewhere
    db.session.commit()
    delete_payment(payment, "Wrong customer", admin)
    db.session.commit()
    assert (invoice.status, invoice.paid_minor) == (PAID, 0)


def test_an_invoice_with_payments_cannot_go_back_to_draft(app, admin):
    # A Draft's lines and total can be edited: the total could fall below what was paid.
    customer = make_customer()
    invoice = _sent(customer, 10000, date(2026, 10, 1))
    make_payment(customer, 4000, user=admin)
    with pytest.raises(Conflict, match="payments applied: it cannot go back to Draft"):
        change_status(invoice, InvoiceStatus.DRAFT, admin, "fix a line")
    assert invoice.status == SENT
    other = _sent(customer, 5000, date(2026, 10, 2))
    change_status(other, InvoiceStatus.DRAFT, admin, "nothing paid on it")
    assert other.status == InvoiceStatus.DRAFT


def test_a_batch_holding_an_invoice_with_a_payment_cannot_be_deleted(app, admin):
    customer = make_customer()
    batch = InvoiceBatch(name="November", period_start=date(2026, 11, 1),
                         period_end=date(2026, 11, 30))  # fmt: skip
    invoice = _sent(customer, 10000, date(2026, 10, 1), batch=batch, number="INV-0042")
    assert deletion_refusal(batch) is None
    payment = make_payment(customer, 2500, user=admin)
    assert deletion_refusal(batch) == (
        "Batch November cannot be deleted: INV-0042 has payments applied "
        "(delete those payments first)."
    )
    delete_payment(payment, "Bounced", admin)
    db.session.commit()
    assert deletion_refusal(batch) is None
    assert invoice.balance_minor == 10000


@pytest.mark.parametrize("amounts", [(3000, 4000), (6000, 7000)])
def test_two_people_paying_one_invoice_at_once_never_make_a_wrong_balance(app, admin, amounts):
    customer = make_customer()
    invoice = _sent(customer, 10000, date(2026, 10, 1))
    ids = (customer.id, invoice.id, admin.id)

    def pay(amount: int, ready) -> None:
        person = db.session.get(type(admin), ids[2])
        payer = db.session.get(type(customer), ids[0])
        ready()
        record_payment(payer, date(2026, 12, 1), amount, "USD", PaymentMethod.CARD,
                       "", "", {ids[1]: amount}, person)  # fmt: skip

    outcomes = race(app, pay, amounts)
    assert_fair(outcomes, amounts, room=10000)
    _assert_paid_is_sum_of_applications()
    landed = db.session.scalars(sa.select(Payment.amount_minor)).all()
    assert db.session.get(Invoice, ids[1]).paid_minor == sum(landed)


def test_the_database_refuses_a_non_positive_payment_or_a_negative_paid(app):
    customer = make_customer()
    invoice = _sent(customer, 10000, date(2026, 10, 1))
    bad = [
        Payment(customer_id=customer.id, payment_date=date(2026, 12, 1), amount_minor=0,
                currency="USD", method=PaymentMethod.CASH),
    ]  # fmt: skip
    for row in bad:
        db.session.add(row)
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Invoice).where(Invoice.id == invoice.id).values(paid_minor=-1))
    db.session.rollback()
