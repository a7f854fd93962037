"""Sending to the ledger what was recorded here since: credit notes, payments and refunds.

A document goes once its invoice is in that ledger (a payment: every invoice it is applied
to; a refund: its credit note), with the same idempotency, batch forms and error text as
invoices. What was brought from the ledger is never sent back. A failure is kept on the
document's :class:`models.LedgerRecord` (shown on its page) and the next sync tries again.
"""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from billing.audit import record_event
from billing.ledgers.export_text import error_kind, failure_text
from billing.ledgers.ledger import Ledger
from billing.ledgers.mapping import LineMapper, mappings_of
from billing.ledgers.payment_updates import sent_applied
from billing.ledgers.sync_reapply import send_reapplied
from billing.ledgers.sync_refs import exported_invoices, money_refs
from billing.ledgers.sync_types import Sent
from billing.ledgers.sync_withdraw import document_name, withdraw_deleted
from clock import utcnow
from integrations.ledger_errors import LedgerError
from models import (
    CreditNote,
    ExportState,
    Invoice,
    LedgerRecord,
    LedgerRef,
    Payment,
    PaymentApplication,
    PaymentDirection,
    db,
)

MOST_PER_SYNC = 300  # documents sent per sync; the rest go with the next one


def _sent(ledger: Ledger, column):
    return sa.select(column).where(
        LedgerRecord.provider == ledger.provider,
        LedgerRecord.state == ExportState.EXPORTED,
        column.is_not(None),
    )


def pending_credit_notes(ledger: Ledger) -> list[CreditNote]:
    """Credit notes on invoices in the ledger, not there yet (or failed last time)."""
    return list(
        db.session.scalars(
            sa.select(CreditNote)
            .where(CreditNote.invoice_id.in_(exported_invoices(ledger)))
            .where(CreditNote.id.not_in(_sent(ledger, LedgerRecord.credit_note_id)))
            .options(selectinload(CreditNote.lines), selectinload(CreditNote.invoice))
            .order_by(CreditNote.id)
            .limit(MOST_PER_SYNC)
        )
    )


def pending_payments(ledger: Ledger, exported: set[int]) -> list[Payment]:
    """Payments recorded here (not brought from a ledger) and applied to invoices in the
    ledger, and refunds, not there yet; ``exported`` holds the credit notes in the ledger."""
    applied = sa.select(PaymentApplication.payment_id).where(
        PaymentApplication.invoice_id.in_(exported_invoices(ledger))
    )
    candidates = db.session.scalars(
        sa.select(Payment)
        .where(Payment.recorded_in == "", Payment.deleted_at.is_(None))
        .where(Payment.id.not_in(_sent(ledger, LedgerRecord.payment_id)))
        .where(
            sa.or_(
                sa.and_(Payment.direction == PaymentDirection.IN, Payment.id.in_(applied)),
                sa.and_(
                    Payment.direction == PaymentDirection.OUT, Payment.credit_note_id.in_(exported)
                ),
            )  # fmt: skip
        )
        .options(selectinload(Payment.applications))
        .order_by(Payment.id)
        .limit(MOST_PER_SYNC)
    )
    in_ledger = set(db.session.scalars(exported_invoices(ledger)).all()) if exported else None
    ready = []
    for payment in candidates:
        if payment.direction == PaymentDirection.OUT:
            ready.append(payment)
            continue
        invoices = {a.invoice_id for a in payment.applications if a.amount_minor > 0}
        if in_ledger is None:
            in_ledger = set(db.session.scalars(exported_invoices(ledger)).all())
        if invoices <= in_ledger:
            ready.append(payment)  # else it waits for its other invoices
    return ready


def send_pending(ledger: Ledger) -> list[str]:
    """Send what is pending to ``ledger``; returns a line per document sent or refused.
    Not committed. A whole-request failure (unreachable, refused access) is raised.

    Copies of payments deleted here since go first (the ledger's balances free up), then
    payments, as they were applied (what a later credit note released stays paid
    there too), then credit notes, applied for what they took off the balance (their total
    less what they released), then refunds of the credit notes: so both sides end with the
    same balances and the same customer credit, whatever order things happened in here.
    """
    mapping = mappings_of(ledger.connection)
    done = withdraw_deleted(ledger)
    done += _send_payments(ledger, mapping, PaymentDirection.IN)
    done += send_reapplied(ledger, mapping)
    notes = pending_credit_notes(ledger)
    if notes:
        refs = money_refs(ledger, mapping, {n.invoice_id for n in notes})
        mapper = LineMapper(mapping, [n.invoice for n in notes])
        results = ledger.with_one_refresh(lambda it: it.push_credit_notes(notes, refs, mapper))
        done += [_keep(ledger, note, results[note.id]) for note in notes]
        db.session.flush()
    return done + _send_payments(ledger, mapping, PaymentDirection.OUT)


def _send_payments(ledger: Ledger, mapping: dict[str, str], direction) -> list[str]:
    exported = set(db.session.scalars(_sent(ledger, LedgerRecord.credit_note_id)).all())
    payments = [p for p in pending_payments(ledger, exported) if p.direction == direction]
    if not payments:
        return []
    ids = {a.invoice_id for p in payments for a in p.applications}
    refs = money_refs(ledger, mapping, ids)
    results = ledger.with_one_refresh(lambda it: it.push_payments(payments, refs))
    done = [
        _keep(ledger, payment, results[payment.id], sent_applied(payment, refs))
        for payment in payments
    ]
    db.session.flush()
    return done


def _keep(
    ledger: Ledger, document: CreditNote | Payment, result: Sent | LedgerError, applied=None
) -> str:
    is_note = isinstance(document, CreditNote)
    column = LedgerRecord.credit_note_id if is_note else LedgerRecord.payment_id
    record = db.session.scalar(
        sa.select(LedgerRecord).where(
            LedgerRecord.provider == ledger.provider, column == document.id
        )
    )
    if record is None:
        record = LedgerRecord(provider=ledger.provider, origin="here")
        if is_note:
            record.credit_note_id = document.id
        else:
            record.payment_id = document.id
        db.session.add(record)
    key = f"{'credit_note' if is_note else 'payment'}:{document.id}"
    record.request_id = ledger.money_keys.get(key, record.request_id or "")
    record.attempted_at = utcnow()
    name, label = document_name(document), ledger.provider.label
    if isinstance(result, Exception):
        text = failure_text(result, ledger.provider)
        again = record.state == ExportState.FAILED and record.error == text
        record.state, record.error, record.error_kind = ExportState.FAILED, text, error_kind(result)
        message = f"{name} could not be sent to {label}: {text}"
        if again:
            return message  # on its trail already: a sync that changes nothing adds nothing
    else:
        record.state, record.error, record.error_kind = ExportState.EXPORTED, "", ""
        record.exported_at, record.external_number = utcnow(), (result.number or "")[:40]
        record.refs = [LedgerRef(provider=ledger.provider, ref=r) for r in result.refs]
        record.applied = applied
        message = f"{name} sent to {label} ({', '.join(result.refs)})."
        for invoice in _invoices_of(document):
            for export in invoice.exports:
                if export.provider == ledger.provider:
                    export.ledger_balance = None  # changed there: known again at the next sync
    for invoice in _invoices_of(document):
        record_event(
            invoice, None, "ledger_sent" if record.state == ExportState.EXPORTED else
            "ledger_send_failed", message, data={"source": ledger.provider.value, "document": key},
        )  # fmt: skip
    return message


def _invoices_of(document: CreditNote | Payment) -> list[Invoice]:
    if isinstance(document, CreditNote):
        return [document.invoice]
    if document.direction == PaymentDirection.OUT and document.credit_note is not None:
        return [document.credit_note.invoice]
    seen: dict[int, Invoice] = {}
    for application in document.applications:
        seen.setdefault(application.invoice_id, application.invoice)
    return list(seen.values())
