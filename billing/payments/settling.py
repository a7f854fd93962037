"""When an invoice's balance moves: Paid by itself at zero, back to its status before when
something owed again. Shared by payments, credit notes and refunds."""

from datetime import date
from typing import Any

import sqlalchemy as sa

from billing.invoices.status import change_status
from models import CreditNote, Invoice, InvoiceEvent, InvoiceStatus, PaymentApplication, User, db

# Paid by itself when nothing is owed, from these only (a Draft cannot be paid).
AUTO_PAID_FROM = (InvoiceStatus.SENT, InvoiceStatus.EXPORTED)


def settling_day(invoice: Invoice) -> date | None:
    """The day the last of what settled ``invoice`` took effect: its latest payment applied
    or credit note (None when it has neither)."""
    paid = db.session.scalar(
        sa.select(sa.func.max(PaymentApplication.applied_on)).where(
            PaymentApplication.invoice_id == invoice.id
        )
    )
    credited = db.session.scalar(
        sa.select(sa.func.max(CreditNote.issue_date)).where(CreditNote.invoice_id == invoice.id)
    )
    days = [day for day in (paid, credited) if day is not None]
    return max(days) if days else None


def paid_when_settled(
    invoice: Invoice, user: User | None, why: str, data: dict[str, Any]
) -> InvoiceEvent | None:
    """Make ``invoice`` Paid when nothing is owed any more (Sent or Exported only): the event,
    or None. ``data`` names what settled it (``payment_id`` or ``credit_note_id``), so that
    taking that back knows the Paid was automatic. Run after the rows are flushed."""
    if invoice.balance_minor != 0 or invoice.status not in AUTO_PAID_FROM:
        return None
    db.session.flush()
    day = settling_day(invoice)
    return change_status(invoice, InvoiceStatus.PAID, user, why, data, settled_on=day)


def unpaid_when_owed(invoice: Invoice, user: User | None, why: str, data: dict[str, Any]) -> None:
    """Move a Paid ``invoice`` that owes something again back to its status before, when
    that Paid was automatic (a Paid set by hand, paid elsewhere, stays)."""
    if invoice.status != InvoiceStatus.PAID or invoice.balance_minor == 0:
        return
    paid = db.session.scalars(
        sa.select(InvoiceEvent)
        .where(InvoiceEvent.invoice_id == invoice.id, InvoiceEvent.kind == "status",
               InvoiceEvent.to_status == InvoiceStatus.PAID.value)
        .order_by(InvoiceEvent.id.desc())
        .limit(1)
    ).first()  # fmt: skip
    settled_by = (paid.data or {}) if paid is not None else {}
    if not (settled_by.get("payment_id") or settled_by.get("credit_note_id")):
        return
    if paid is None or not paid.from_status:
        return
    change_status(invoice, InvoiceStatus(paid.from_status), user, why, data)
