"""Sending credit applied here from a payment after a sync sent it (each ledger's half is in
:mod:`billing.ledgers.payment_updates`)."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from billing.audit import record_event
from billing.ledgers.export_text import failure_text
from billing.ledgers.ledger import Ledger
from billing.ledgers.payment_updates import sent_applied
from billing.ledgers.sync_refs import exported_invoices, money_refs, sent_from_here
from billing.ledgers.sync_withdraw import MOST_PER_SYNC, document_name
from billing.money import format_money
from clock import utcnow
from models import (
    Invoice,
    LedgerRecord,
    LedgerRef,
    Payment,
    PaymentApplication,
    PaymentDirection,
    db,
)


def pending_reapplied(ledger: Ledger) -> list[tuple[LedgerRecord, Payment]]:
    """Payments in ``ledger`` that have had credit applied here since they were sent."""
    newer = (
        sa.select(PaymentApplication.id)
        .where(
            PaymentApplication.payment_id == Payment.id,
            PaymentApplication.amount_minor > 0,
            PaymentApplication.created_at > LedgerRecord.exported_at,
        )
        .exists()
    )
    rows = db.session.execute(
        sa.select(LedgerRecord, Payment)
        .join(Payment, LedgerRecord.payment_id == Payment.id)
        .where(
            sent_from_here(ledger),
            Payment.deleted_at.is_(None),
            Payment.direction == PaymentDirection.IN,
            newer,
        )
        .options(selectinload(LedgerRecord.refs), selectinload(Payment.applications))
        .order_by(LedgerRecord.id)
        .limit(MOST_PER_SYNC)
    )
    return [(record, payment) for record, payment in rows]


def send_reapplied(ledger: Ledger, mapping: dict[str, str]) -> list[str]:
    """Send what payments sent before have applied here since; a line for each. Not committed.
    A payment whose new invoice is not in the ledger yet waits for it."""
    pending = pending_reapplied(ledger)
    if not pending:
        return []
    ids = {a.invoice_id for _, p in pending for a in p.applications if a.amount_minor > 0}
    refs = money_refs(ledger, mapping, ids)
    in_ledger = set(db.session.scalars(exported_invoices(ledger)).all())
    items = [
        (record, payment)
        for record, payment in pending
        if {a.invoice_id for a in payment.applications if a.amount_minor > 0} <= in_ledger
        and sent_applied(payment, refs) != (record.applied or {})
    ]
    if not items:
        return []
    results = ledger.with_one_refresh(lambda it: it.update_payments(items, refs))
    label, done = ledger.provider.label, []
    for record, payment in items:
        result, name = results[record.id], document_name(payment)
        now_applied = sent_applied(payment, refs)
        before = record.applied or {}
        grown = [int(k) for k, v in now_applied.items() if v > before.get(k, 0)]
        if isinstance(result, Exception):
            text = failure_text(result, ledger.provider)
            if record.error == text:
                done.append(f"{name}: credit applied here not sent to {label}: {text}")
                continue
            record.error = text
            message = f"{name}: the credit applied from it here was not sent to {label}: {text}"
            kind = "ledger_send_failed"
        else:
            known = {r.ref for r in record.refs}
            for new in (r for r in result.refs if r not in known):
                record.refs.append(LedgerRef(provider=ledger.provider, ref=new))
            record.applied, record.error, record.exported_at = now_applied, "", utcnow()
            more = sum(now_applied[str(i)] - before.get(str(i), 0) for i in grown)
            message = (
                f"{name}: {format_money(more, payment.currency)} more applied here, sent to "
                f"{label}."
            )
            kind = "ledger_sent"
        invoices = db.session.scalars(sa.select(Invoice).where(Invoice.id.in_(grown)))
        for invoice in invoices:
            data = {"source": ledger.provider.value, "payment_id": payment.id}
            record_event(invoice, None, kind, message, data=data)
        done.append(message)
    db.session.flush()
    return done
