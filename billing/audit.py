"""The audit trail of invoices (InvoiceEvent rows)."""

from typing import Any

from models import Invoice, InvoiceEvent, InvoiceStatus, User, db


def record_event(
    invoice: Invoice,
    user: User | None,
    kind: str,
    message: str = "",
    *,
    from_status: InvoiceStatus | None = None,
    to_status: InvoiceStatus | None = None,
    data: dict[str, Any] | None = None,
) -> InvoiceEvent:
    """Add an event to ``invoice``'s trail (not committed): who did what, when, and why."""
    event = InvoiceEvent(
        invoice=invoice,
        invoice_number=invoice.number,
        user_id=user.id if user is not None else None,
        kind=kind,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        message=message,
        data=data or {},
    )
    db.session.add(event)
    return event
