"""Refunds: paying back what a credit note released as the customer's credit.

A refund is a :class:`models.Payment` going out (``direction`` OUT) tied to its credit note; it
lowers the customer's credit (``billing.payments.locks.customer_credit_minor``). An invoice
credited in full whose released credit has all been paid back is Refunded; deleting such a
refund (``billing.payments.store.delete_payment``) makes it Paid again.
"""

from datetime import date

import sqlalchemy as sa

from billing.audit import record_event
from billing.credit_notes.lines import money
from billing.errors import ValidationFailed
from billing.invoices.status import change_status
from billing.payments.locks import customer_credit_minor, lock_customer, lock_invoices
from models import (
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentDirection,
    PaymentMethod,
    User,
    db,
)

MAX_REFERENCE = 100


def _refunds_of(*conditions) -> int:
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_minor), 0)).where(
            Payment.direction == PaymentDirection.OUT,
            Payment.deleted_at.is_(None),
            *conditions,
        )
    )
    return int(total)


def refunded_minor(credit_note: CreditNote) -> int:
    """What live refunds of ``credit_note`` paid back."""
    return _refunds_of(Payment.credit_note_id == credit_note.id)


def refundable_minor(credit_note: CreditNote) -> int:
    """What may still be refunded on ``credit_note``: what it released less its refunds, and
    never more than the customer's credit in its currency (spent on other invoices, or taken
    back with a deleted payment, it is no longer there to pay back)."""
    left = credit_note.released_minor - refunded_minor(credit_note)
    credit = customer_credit_minor(credit_note.customer_id, credit_note.currency)
    return max(0, min(left, credit))


def record_refund(
    credit_note: CreditNote,
    refund_date: date,
    amount_minor: int,
    method: PaymentMethod | str,
    reference: str,
    note: str,
    user: User | None,
) -> Payment:
    """Record a refund of ``credit_note``'s released credit, paid out on ``refund_date``. The
    invoice becomes Refunded once it is credited in full and all its credit notes released is
    paid back. Nothing is committed here.

    :raise ValidationFailed: (beside ``amount``, ``method``, ``reference`` or ``refund_date``)
        no amount above zero, more than :func:`refundable_minor`, an unknown method, a
        reference over 100 characters, a date before the credit note's.
    :raise Conflict: another writer held the customer's payments too long.
    """
    if amount_minor <= 0:
        raise ValidationFailed("Enter an amount above zero.", "amount")
    try:
        method = PaymentMethod(method)
    except ValueError:
        raise ValidationFailed("Choose a payment method from the list.", "method") from None
    reference = (reference or "").strip()
    if len(reference) > MAX_REFERENCE:
        raise ValidationFailed(f"Keep the reference to {MAX_REFERENCE} characters.", "reference")
    if refund_date < credit_note.issue_date:
        raise ValidationFailed(
            f"A refund cannot be dated before its credit note "
            f"({credit_note.issue_date.isoformat()}).",
            "refund_date",
        )
    lock_customer(credit_note.customer_id)
    currency = credit_note.currency
    refundable = refundable_minor(credit_note)
    if amount_minor > refundable:
        said = money(refundable, currency) if refundable else "nothing"
        raise ValidationFailed(
            f"{money(amount_minor, currency)} is more than can be refunded on credit note "
            f"{credit_note.number} ({said}).",
            "amount",
        )
    refund = Payment(
        customer_id=credit_note.customer_id, payment_date=refund_date,
        amount_minor=amount_minor, currency=currency, method=method,
        direction=PaymentDirection.OUT, reference=reference, note=(note or "").strip(),
        credit_note_id=credit_note.id, created_by_id=user.id if user else None,
    )  # fmt: skip
    db.session.add(refund)
    db.session.flush()
    invoice = lock_invoices([credit_note.invoice_id])[credit_note.invoice_id]
    message = f"Refund #{refund.id} of {money(amount_minor, currency)} by "
    message += f"{method.label.lower()} on {refund_date.isoformat()}"
    message += f" (ref. {reference})" if reference else ""
    message += f" for credit note {credit_note.number}."
    data = {"payment_id": refund.id, "credit_note_id": credit_note.id, "amount_minor": amount_minor}
    record_event(invoice, user, "refund", message, data=data)
    if invoice.status == InvoiceStatus.PAID and _refunded_in_full(invoice):
        why = f"Refunded in full: refund #{refund.id} of credit note {credit_note.number}."
        change_status(invoice, InvoiceStatus.REFUNDED, user, why,
                      {"credit_note_id": credit_note.id}, settled_on=refund_date)  # fmt: skip
    return refund


def _refunded_in_full(invoice: Invoice) -> bool:
    """Credited in full, and its credit notes' released credit all paid back."""
    if invoice.credited_minor != invoice.total_minor:
        return False
    notes = sa.select(CreditNote.id).where(CreditNote.invoice_id == invoice.id)
    released = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(CreditNote.released_minor), 0)).where(
            CreditNote.invoice_id == invoice.id
        )
    )
    return int(released) > 0 and _refunds_of(Payment.credit_note_id.in_(notes)) >= released


def refund_deleted(refund: Payment, reason: str, user: User | None) -> None:
    """After ``refund`` (a payment out) is marked deleted: say so on its invoice's trail, and
    make a Refunded invoice Paid again (the customer has that credit back)."""
    if refund.credit_note_id is None:
        return
    credit_note = db.session.get(CreditNote, refund.credit_note_id)
    invoice = lock_invoices([credit_note.invoice_id])[credit_note.invoice_id]
    currency = refund.currency
    message = (
        f"Refund #{refund.id} of {money(refund.amount_minor, currency)} deleted ({reason}): "
        f"the customer has that credit back."
    )
    data = {"payment_id": refund.id, "credit_note_id": credit_note.id,
            "amount_minor": -refund.amount_minor}  # fmt: skip
    record_event(invoice, user, "refund_deleted", message, data=data)
    if invoice.status == InvoiceStatus.REFUNDED and not _refunded_in_full(invoice):
        # Refunded is final in the status machine (no edge back by hand); only taking the
        # refund back undoes it, so the move is made and recorded here.
        invoice.status = InvoiceStatus.PAID
        record_event(invoice, user, "status", f"Refund #{refund.id} deleted: Paid again.",
                     from_status=InvoiceStatus.REFUNDED, to_status=InvoiceStatus.PAID,
                     data={"payment_id": refund.id, "credit_note_id": credit_note.id})  # fmt: skip
