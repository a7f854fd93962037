"""Exporting invoices to the connected ledger, inline, with the providers' batch forms.

Customers are looked up once per export (by exact name, several per request) and created in
one request when missing; invoices go 30 per QuickBooks batch request or all in one Xero
request. Each invoice's idempotency key depends only on it and its content, so a retry after a
lost response replays instead of duplicating. Success makes the invoice Exported; a failure
leaves it as it was and records the ledger's own words.
"""

import hashlib
from dataclasses import dataclass

from billing.accounting import access_token, connection_for
from billing.audit import record_event
from billing.clock import utcnow
from billing.errors import Conflict, ValidationFailed
from billing.export_ledgers import LEDGERS, Ledger
from billing.ledger_mapping import LineMapper, mappings_of, required_for
from billing.status import TRANSITIONS
from integrations.ledger_errors import LedgerError, RateLimited
from integrations.oauth import provider_config
from models import (
    ExportState,
    Invoice,
    InvoiceExport,
    InvoiceStatus,
    LedgerMapping,
    Provider,
    User,
    db,
)


@dataclass
class ExportOutcome:
    """What happened to one invoice."""

    invoice: Invoice
    ok: bool
    message: str


def idempotency_key(provider: Provider, invoice: Invoice) -> str:
    """Same invoice, same content -> same key; any edit (or status change) -> a new one."""
    stamp = f"{provider.value}|{invoice.id}|{invoice.number}|{invoice.updated_at.isoformat()}"
    return hashlib.sha256(stamp.encode()).hexdigest()[:32]


def export_invoices(invoices: list[Invoice], provider: Provider, user: User | None):
    """Export ``invoices`` to ``provider``; returns one :class:`ExportOutcome` per invoice.

    The caller commits. Invoices that fail keep their status; the error is recorded on them.

    :raise Conflict: no usable connection (not connected, no organisation, reconnect needed).
    :raise ValidationFailed: the mapping is incomplete (the message says what is missing).
    """
    connection = connection_for(provider)
    name = provider.label
    if connection is None:
        raise Conflict(f"Connect {name} in Admin > Accounting first.")
    if not connection.tenant_id:
        raise Conflict("Choose the Xero organisation in Admin > Accounting first.")
    mapping = mappings_of(connection)
    missing = [label for key, label in required_for(invoices) if key not in mapping]
    if missing:
        raise ValidationFailed(
            f"Complete the {name} mapping in Admin > Accounting before exporting: "
            + "; ".join(missing)
        )
    config = provider_config(provider.value)
    ledger: Ledger = LEDGERS[provider](config, connection, access_token(connection, config))
    mapper = LineMapper(mapping, invoices)
    try:
        results = ledger.with_one_refresh(lambda it: _push(it, invoices, mapper))
    except LedgerError as error:
        results = {invoice.id: error for invoice in invoices}
    return [_record(invoice, provider, results[invoice.id], user) for invoice in invoices]


def _push(ledger: Ledger, invoices: list[Invoice], mapper: LineMapper):
    customers = {invoice.customer for invoice in invoices}
    known = {c.id: mapper.mapping.get(f"customer:{c.id}") for c in customers}
    created = ledger.customer_ids([c for c in customers if not known[c.id]])
    for customer_id, external_id in created.items():
        known[customer_id] = external_id
        mapper.mapping[f"customer:{customer_id}"] = external_id
        db.session.add(
            LedgerMapping(
                connection_id=ledger.connection.id,
                kind="customer",
                local_key=str(customer_id),
                external_id=external_id,
            )
        )
    exports = {
        e.invoice_id: e for i in invoices for e in i.exports if e.provider == ledger.provider
    }
    keys = {invoice.id: idempotency_key(ledger.provider, invoice) for invoice in invoices}
    return ledger.push_invoices(invoices, known, mapper, exports, keys)


def failure_text(error: Exception, provider: Provider) -> str:
    """What to show for a failed export: the ledger's own words, and for a rate limit, when
    to try again."""
    text = getattr(error, "text", None) or str(error)
    if isinstance(error, RateLimited):
        wait = (
            f"asked to wait {error.retry_after:.0f} s, longer than an export here can wait"
            if error.retry_after
            else "still refused after a few seconds of waiting"
        )
        return (
            f"{provider.label} is limiting how fast it accepts requests and {wait}. "
            f"Nothing was changed: try again in a minute. ({text})"
        )
    return text


def _record(invoice: Invoice, provider: Provider, result, user: User | None) -> ExportOutcome:
    export = next((e for e in invoice.exports if e.provider == provider), None)
    if export is None:
        export = InvoiceExport(invoice=invoice, provider=provider, request_id="")
        db.session.add(export)
    export.attempted_at = utcnow()
    export.request_id = idempotency_key(provider, invoice)
    name = provider.label
    if isinstance(result, Exception):
        text = failure_text(result, provider)
        export.state, export.error = ExportState.FAILED, text
        record_event(invoice, user, "export_failed", f"{name}: {text}")
        return ExportOutcome(invoice, False, f"{invoice.number}: {name} refused it: {text}")
    export.state, export.error = ExportState.EXPORTED, ""
    export.external_id, export.external_number = result.external_id, result.number
    export.sync_token, export.exported_at = result.sync_token, utcnow()
    current = invoice.status
    if InvoiceStatus.EXPORTED in TRANSITIONS[current] and current != InvoiceStatus.PAID:
        invoice.status = InvoiceStatus.EXPORTED
    record_event(
        invoice,
        user,
        "exported",
        f"{name} id {result.external_id}",
        from_status=current,
        to_status=invoice.status,
        data={"provider": provider.value, "external_id": result.external_id},
    )
    return ExportOutcome(invoice, True, f"{invoice.number}: exported to {name}.")
