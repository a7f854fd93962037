"""Exporting invoices to the connected ledger, inline, with the providers' batch forms.

Customers are looked up once per export (by exact name, several per request) and created in
batches when missing; one the ledger refuses fails only its own invoices. Invoices are looked up
by number first, so a copy that arrived after a lost answer is adopted, never duplicated. Each
invoice's idempotency key is a hash of exactly what is sent: a plain retry replays, a retry after
a fix is a new request. The whole export keeps within ``LEDGER_EXPORT_DEADLINE_SECONDS``.

Success makes the invoice Exported and records what the ledger booked; a total other than ours
is kept and shown as a difference. A failure leaves the invoice as it was and records, in words,
what happened and what to do.
"""

import copy
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from billing.audit import record_event
from billing.errors import Conflict, ValidationFailed
from billing.invoices.status import TRANSITIONS
from billing.ledgers.connections import access_token, connection_for
from billing.ledgers.export_text import error_kind, failure_text, outcome_text
from billing.ledgers.ledger import Ledger, Outcome, Pushed
from billing.ledgers.mapping import LineMapper, mappings_of, required_for
from billing.ledgers.providers import ledger_classes
from billing.ledgers.tax import GLOBAL, detect_tax_model
from billing.money import from_minor
from billing.wording import counted
from clock import utcnow
from integrations.ledger_errors import LedgerError, NotSent
from integrations.oauth import provider_config
from integrations.transport import Deadline
from models import (
    SETTLED_STATUSES,
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
    difference: bool = False  # exported, but the ledger booked another total


def outcome_messages(
    outcomes: list[ExportOutcome], provider: Provider, limit: int = 10
) -> list[tuple[str, str]]:
    """``(message, category)`` to show after an export: how many went, then each failure or
    difference (at most ``limit``), so a difference is never hidden in a count."""
    done = [o for o in outcomes if o.ok]
    messages = []
    if done:
        messages.append(
            (f"{counted(len(done), 'invoice')} exported to {provider.label}.", "success")
        )
    notable = [o for o in outcomes if not o.ok or o.difference]
    messages += [(o.message, "error") for o in notable[:limit]]
    if len(notable) > limit:
        messages.append((f"... and {len(notable) - limit} more: see the Billing page's Export "
                         "filter.", "error"))  # fmt: skip
    return messages


def open_ledger(provider: Provider) -> Ledger:
    """The connected ledger, with a valid token and (QuickBooks) its tax model known.

    :raise Conflict: not connected, no organisation chosen, or a reconnect is needed.
    """
    connection = connection_for(provider)
    if connection is None:
        raise Conflict(f"Connect {provider.label} in Admin > Accounting first.")
    if not connection.tenant_id:
        raise Conflict("Choose the Xero organisation in Admin > Accounting first.")
    config = provider_config(provider.value)
    ledger = ledger_classes()[provider](
        config, connection, access_token(connection, config), Deadline(config.deadline)
    )
    if provider == Provider.QUICKBOOKS and not connection.tax_model:
        connection.tax_model = ledger.with_one_refresh(_read_tax_model)
    return ledger


def _read_tax_model(ledger: Ledger) -> str:
    client = ledger.client()
    return detect_tax_model(client.company_info(), client.preferences())


def invoices_for_export(ids: list[int]) -> list[Invoice]:
    """The invoices of ``ids`` that still exist, with what an export reads, in number order."""
    return list(
        db.session.scalars(
            sa.select(Invoice)
            .where(Invoice.id.in_(ids))
            .options(
                selectinload(Invoice.lines),
                selectinload(Invoice.exports),
                selectinload(Invoice.customer),
            )
            .order_by(Invoice.number)
        )
    )


def export_invoices(invoices: list[Invoice], provider: Provider, user: User | None):
    """Export ``invoices`` to ``provider``; returns one :class:`ExportOutcome` per invoice.

    The caller commits. Invoices that fail keep their status; the error is recorded on them.

    :raise Conflict: no usable connection (not connected, no organisation, reconnect needed).
    :raise ValidationFailed: the mapping is incomplete (the message says what is missing).
    """
    try:
        ledger = open_ledger(provider)
    except LedgerError as error:  # the tax model could not be read: nothing was sent
        results: dict[int, Outcome] = {invoice.id: error for invoice in invoices}
        return [_record(i, provider, results[i.id], "", user) for i in invoices]
    connection = ledger.connection
    mapping = mappings_of(connection)
    needed = required_for(invoices, connection.tax_model or GLOBAL)
    missing = [label for key, label in needed if key not in mapping]
    if missing:
        raise ValidationFailed(
            f"Complete the {provider.label} mapping in Admin > Accounting before exporting: "
            + "; ".join(missing)
        )
    mapper = LineMapper(mapping, invoices)
    results = {}
    sendable = []
    for invoice in invoices:
        try:
            ledger.check(invoice)
            sendable.append(invoice)
        except NotSent as error:
            results[invoice.id] = error
    try:
        results.update(ledger.with_one_refresh(lambda it: _push(it, sendable, mapper)))
    except LedgerError as error:
        results.update({i.id: error for i in sendable if i.id not in results})
    return [
        _record(invoice, provider, results[invoice.id], ledger.keys.get(invoice.id, ""), user)
        for invoice in invoices
    ]


def _push(ledger: Ledger, invoices: list[Invoice], mapper: LineMapper) -> dict[int, Outcome]:
    customers = {invoice.customer for invoice in invoices}
    refs = {c.id: mapper.mapping.get(f"customer:{c.id}") for c in customers}
    found = ledger.customer_ids([c for c in customers if not refs[c.id]])
    failed: dict[int, LedgerError] = {}
    for customer_id, external_id in found.items():
        if isinstance(external_id, LedgerError):
            failed[customer_id] = external_id
            continue
        refs[customer_id] = mapper.mapping[f"customer:{customer_id}"] = external_id
        db.session.add(
            LedgerMapping(
                connection_id=ledger.connection.id,
                kind="customer",
                local_key=str(customer_id),
                external_id=external_id,
            )
        )
    results: dict[int, Outcome] = {
        i.id: _customer_failed(i, failed[i.customer_id])
        for i in invoices
        if i.customer_id in failed
    }
    rest = [i for i in invoices if i.customer_id not in failed]
    exports = {e.invoice_id: e for i in rest for e in i.exports if e.provider == ledger.provider}
    results.update(ledger.push_invoices(rest, refs, mapper, exports))
    return results


def _customer_failed(invoice: Invoice, error: LedgerError) -> LedgerError:
    """The invoice's error when its customer could not be found or created in the ledger."""
    about = copy.copy(error)
    about.subject = f"Its customer {invoice.customer.name} could not be exported"
    return about


def approve_ledger_drafts(invoice: Invoice, user: User | None) -> None:
    """After the invoice was sent here, turn its Xero draft into an approved invoice.

    A failure is recorded on the export (with a retry button), never on the sending.
    """
    drafts = [
        e
        for e in invoice.exports
        if e.provider == Provider.XERO and e.state == ExportState.EXPORTED
        and e.ledger_status == "DRAFT"
    ]  # fmt: skip
    if not drafts:
        return
    try:
        export_invoices([invoice], Provider.XERO, user)
    except (Conflict, ValidationFailed):
        return  # disconnected or unmapped since: the draft waits for the next export
    db.session.commit()


def forget_ledger_copy(invoice: Invoice, provider: Provider, user: User | None, why: str) -> None:
    """Forget the invoice's copy in ``provider``, after an admin voided or deleted it there;
    audited with the reason. Not committed.

    :raise ValidationFailed: no reason given.
    :raise Conflict: there is no such copy.
    """
    if not why.strip():
        raise ValidationFailed("Say why (e.g. voided in the ledger on ...).", "reason")
    export = next((e for e in invoice.exports if e.provider == provider), None)
    if export is None:
        raise Conflict(f"Invoice {invoice.number} has no copy in {provider.label}.")
    record_event(
        invoice,
        user,
        "ledger_copy_forgotten",
        f"{provider.label} copy {export.external_number or export.external_id or ''} "
        f"forgotten: {why.strip()}",
        data={"provider": provider.value, "external_id": export.external_id},
    )
    invoice.exports.remove(export)
    db.session.delete(export)


def _record(invoice: Invoice, provider: Provider, result, key: str, user) -> ExportOutcome:
    export = next((e for e in invoice.exports if e.provider == provider), None)
    if export is None:
        export = InvoiceExport(invoice=invoice, provider=provider, request_id="")
        db.session.add(export)
    export.attempted_at = utcnow()
    export.request_id = key or export.request_id
    name = provider.label
    if isinstance(result, Exception):
        text = failure_text(result, provider)
        export.state, export.error, export.error_kind = ExportState.FAILED, text, error_kind(result)
        record_event(invoice, user, "export_failed", f"{name}: {text}")
        return ExportOutcome(invoice, False, f"{invoice.number}: {text}")
    assert isinstance(result, Pushed)
    export.state, export.error, export.error_kind = ExportState.EXPORTED, "", ""
    export.external_id, export.external_number = result.external_id, result.number
    export.sync_token, export.exported_at = result.sync_token, utcnow()
    export.sent_total_minor = invoice.total_minor
    export.ledger_total, export.ledger_tax = _exact(result.total), _exact(result.tax)
    export.total_differs = result.total is not None and result.total != from_minor(
        invoice.total_minor, invoice.currency
    )
    export.ledger_status = result.status
    current = invoice.status
    if InvoiceStatus.EXPORTED in TRANSITIONS[current] and current not in SETTLED_STATUSES:
        invoice.status = InvoiceStatus.EXPORTED
    message = outcome_text(invoice, export, result)
    record_event(
        invoice,
        user,
        "exported",
        message,
        from_status=current,
        to_status=invoice.status,
        data={
            "provider": provider.value,
            "external_id": result.external_id,
            "ledger_total": None if result.total is None else str(result.total),
            "our_total_minor": invoice.total_minor,
        },
    )
    return ExportOutcome(invoice, True, f"{invoice.number}: {message}", export.has_difference)


def _exact(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.0001"))
