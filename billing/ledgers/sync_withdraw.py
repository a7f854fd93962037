"""Deleting in the ledger the copies of payments and refunds deleted here after a sync sent
them (each ledger's half is in :mod:`billing.ledgers.payment_deletes`)."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from billing.audit import record_event
from billing.ledgers.export_text import failure_text
from billing.ledgers.ledger import Ledger
from billing.ledgers.sync_refs import sent_from_here
from billing.money import format_money
from clock import utcnow
from models import (
    CreditNote,
    Invoice,
    InvoiceEvent,
    LedgerRecord,
    Payment,
    PaymentDirection,
    db,
)

MOST_PER_SYNC = 300


def document_name(document: CreditNote | Payment) -> str:
    """ "Credit note CN-0001", "Payment #4 of $200.00", "Refund #5 of $30.00"."""
    if isinstance(document, CreditNote):
        return f"Credit note {document.number}"
    what = "Refund" if document.direction == PaymentDirection.OUT else "Payment"
    return f"{what} #{document.id} of {format_money(document.amount_minor, document.currency)}"


def pending_withdrawals(ledger: Ledger) -> list[LedgerRecord]:
    """Copies there of payments and refunds sent from here (or matched) and deleted here
    since."""
    return list(
        db.session.scalars(
            sa.select(LedgerRecord)
            .join(Payment, LedgerRecord.payment_id == Payment.id)
            .where(
                sent_from_here(ledger),
                Payment.deleted_at.is_not(None),
            )
            .options(selectinload(LedgerRecord.refs), selectinload(LedgerRecord.payment))
            .order_by(LedgerRecord.id)
            .limit(MOST_PER_SYNC)
        )
    )


def withdraw_deleted(ledger: Ledger) -> list[str]:
    """Delete in ``ledger`` the copies of payments deleted here since; a line for each (a
    refusal said once on the trail, as a failed send is). Not committed."""
    records = pending_withdrawals(ledger)
    if not records:
        return []
    results = ledger.with_one_refresh(lambda it: it.withdraw_payments(records))
    label, done = ledger.provider.label, []
    for record in records:
        error, payment = results[record.id], record.payment
        name = document_name(payment)
        if error is None:
            record.withdrawn_at, record.error = utcnow(), ""
            message = f"{name} was deleted here, so it was deleted in {label} too."
        else:
            text = failure_text(error, ledger.provider)
            if record.error == text:
                done.append(f"{name} could not be deleted in {label}: {text}")
                continue  # said already
            record.error = text
            message = f"{name} was deleted here but could not be deleted in {label}: {text}"
        for invoice in _deleted_from(payment):
            kind = "ledger_withdrawn" if error is None else "ledger_withdraw_failed"
            data = {"source": ledger.provider.value, "payment_id": payment.id}
            record_event(invoice, None, kind, message, data=data)
        done.append(message)
    db.session.flush()
    return done


def _deleted_from(payment: Payment) -> list[Invoice]:
    """The invoices a deleted payment had been applied to (its deletion is on their trail)."""
    ids = db.session.scalars(
        sa.select(InvoiceEvent.invoice_id).where(
            InvoiceEvent.kind == "payment_deleted",
            InvoiceEvent.data["payment_id"].as_integer() == payment.id,
        )
    ).all()
    return list(db.session.scalars(sa.select(Invoice).where(Invoice.id.in_(set(ids)))))
