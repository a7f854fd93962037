"""Issuing a credit note against an invoice: the whole of it, chosen lines, or an amount.

The customer's payments and the invoice are locked first (``billing.payments.locks``), so two
credit notes, or a credit note and a payment, issued at once take turns and the invoice is
never credited beyond its total. What the invoice had been paid beyond its new total is
released by negative applications of its payments (newest first) and becomes the customer's
credit; an invoice owing nothing any more is Paid by itself.
"""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from billing.audit import record_event
from billing.credit_notes.lines import (
    amount_line,
    chosen_lines,
    line_remaining,
    money,
    qty_field,
    totals_of,
    whole_lines,
)
from billing.credit_notes.numbering import take_credit_note_number
from billing.errors import ForbiddenChange, ValidationFailed
from billing.payments.locks import lock_customer, lock_invoices
from billing.payments.settling import paid_when_settled
from clock import today
from models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentApplication,
    PaymentDirection,
    User,
    db,
)

__all__ = ["KINDS", "creditable_minor", "issue_credit_note", "line_remaining", "qty_field"]

KINDS = {"whole": "the whole invoice", "lines": "chosen lines", "amount": "an amount"}
MAX_REASON = 500


def creditable_minor(invoice: Invoice) -> int:
    """What may still be credited on ``invoice``: its total less earlier credit notes."""
    return invoice.total_minor - invoice.credited_minor


def _check_state(invoice: Invoice) -> None:
    if invoice.status == InvoiceStatus.DRAFT:
        raise ForbiddenChange(
            f"Invoice {invoice.number} is a Draft: a Draft is edited, not credited."
        )
    if invoice.status == InvoiceStatus.REFUNDED:
        raise ForbiddenChange(f"Invoice {invoice.number} is Refunded: there is nothing to credit.")


def _lines(
    invoice: Invoice,
    kind: str,
    reason: str,
    lines: dict[int, Decimal] | None,
    amount_minor: int | None,
    tax_rate_id: int | None,
) -> list[CreditNoteLine]:
    if kind == "whole":
        if invoice.credited_minor:
            raise ValidationFailed(
                f"Part of invoice {invoice.number} was credited already: "
                "credit its lines or an amount instead.",
                "kind",
            )
        return whole_lines(invoice)
    if kind == "lines":
        return chosen_lines(invoice, lines or {})
    return [amount_line(invoice, amount_minor, tax_rate_id, reason)]


def issue_credit_note(
    invoice: Invoice,
    *,
    kind: str,
    reason: str,
    user: User | None,
    issue_date: date | None = None,
    lines: dict[int, Decimal] | None = None,
    amount_minor: int | None = None,
    tax_rate_id: int | None = None,
) -> CreditNote:
    """Issue a credit note against ``invoice`` (Sent, Exported or Paid) and apply it: its
    credited amount grows, its balance falls, and what it had been paid beyond its new total
    becomes the customer's credit (``released_minor``). Nothing is committed here.

    ``kind`` is ``"whole"`` (every line, only while nothing is credited), ``"lines"``
    (``lines``: invoice line id -> quantity) or ``"amount"`` (``amount_minor`` net, at
    ``tax_rate_id``, one of the rates on the invoice's lines, or None: untaxed).

    :raise ValidationFailed: (beside ``kind``, ``reason``, ``issue_date``, ``amount``,
        ``tax_rate``, ``lines`` or ``qty_<line id>``) an unknown kind, no reason, a date before
        the invoice's, a quantity or amount refused, a total of nothing or more than the
        invoice's total less earlier credits.
    :raise ForbiddenChange: a Draft or Refunded invoice.
    :raise Conflict: another writer held the customer's payments too long.
    """
    if kind not in KINDS:
        raise ValidationFailed("Choose what to credit: the whole invoice, lines or an amount.",
                               "kind")  # fmt: skip
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the invoice is credited (it is on the credit note).",
                               "reason")  # fmt: skip
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"Keep the reason to {MAX_REASON} characters.", "reason")
    _check_state(invoice)
    lock_customer(invoice.customer_id)
    invoice = lock_invoices([invoice.id])[invoice.id]
    _check_state(invoice)  # as last committed: another writer may have changed it
    day = issue_date or today()
    if invoice.issue_date is not None and day < invoice.issue_date:
        raise ValidationFailed(
            f"A credit note cannot be dated before its invoice ({invoice.issue_date.isoformat()}).",
            "issue_date",
        )
    made = _lines(invoice, kind, reason, lines, amount_minor, tax_rate_id)
    result = totals_of(made)
    field = qty_field(made[0].invoice_line_id) if kind == "lines" else "amount"
    currency = invoice.currency
    if result.total_minor <= 0:
        raise ValidationFailed("This credits nothing: the total would be zero.", field)
    if result.total_minor > creditable_minor(invoice):
        raise ValidationFailed(
            f"{money(result.total_minor, currency)} is more than invoice {invoice.number}'s "
            f"total less earlier credits ({money(creditable_minor(invoice), currency)}).",
            field,
        )
    note = CreditNote(
        number=take_credit_note_number(),
        invoice=invoice,
        customer_id=invoice.customer_id,
        issue_date=day,
        currency=currency,
        reason=reason,
        kind=kind,
        subtotal_minor=result.subtotal_minor,
        tax_minor=result.tax_minor,
        total_minor=result.total_minor,
        released_minor=0,
        bill_to_name=invoice.bill_to_name,
        bill_to_address=invoice.bill_to_address or "",
        bill_to_emails=invoice.bill_to_emails or "",
        issuer=dict(invoice.issuer or {}),
        created_by_id=user.id if user else None,
        lines=made,
    )
    db.session.add(note)
    db.session.flush()
    invoice.credited_minor += note.total_minor
    note.released_minor = _release(invoice, note)
    _record(invoice, note, user)
    paid_when_settled(invoice, user, f"Settled by credit note {note.number}.",
                      {"credit_note_id": note.id})  # fmt: skip
    return note


def _release(invoice: Invoice, note: CreditNote) -> int:
    """Take back what ``invoice`` was paid beyond its total less credits, from its payments
    newest first (never more than a payment's net on it): what was released."""
    excess = invoice.paid_minor - creditable_minor(invoice)
    if excess <= 0:
        return 0
    net = sa.func.sum(PaymentApplication.amount_minor)
    rows = db.session.execute(
        sa.select(Payment, net)
        .join(PaymentApplication, PaymentApplication.payment_id == Payment.id)
        .where(
            PaymentApplication.invoice_id == invoice.id,
            Payment.direction == PaymentDirection.IN,
            Payment.deleted_at.is_(None),
        )
        .group_by(Payment.id)
        .having(net > 0)
        .order_by(Payment.payment_date.desc(), Payment.id.desc())
    ).all()
    released = 0
    for payment, applied in rows:
        share = min(int(applied), excess - released)
        if share <= 0:
            break
        db.session.add(
            PaymentApplication(payment=payment, invoice=invoice, amount_minor=-share,
                               applied_on=note.issue_date, credit_note_id=note.id)
        )  # fmt: skip
        released += share
    invoice.paid_minor -= released
    return released


def _record(invoice: Invoice, note: CreditNote, user: User | None) -> None:
    currency = invoice.currency
    message = (
        f"Credit note {note.number} ({KINDS[note.kind]}) of {money(note.total_minor, currency)}"
        f" issued: {note.reason.rstrip('.')}. Balance due {money(invoice.balance_minor, currency)}."
    )
    if note.released_minor:
        message += (
            f" {money(note.released_minor, currency)} already paid became "
            f"{invoice.bill_to_name}'s credit."
        )
    data = {
        "credit_note_id": note.id,
        "amount_minor": note.total_minor,
        "released_minor": note.released_minor,
    }
    record_event(invoice, user, "credit_note", message, data=data)
