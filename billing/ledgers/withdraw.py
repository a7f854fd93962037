"""Withdrawing ledger copies when their invoices are deleted here: void or delete them there.

Deleting a batch whose invoices were exported must not leave them live in the ledger:

- QuickBooks: a copy of an invoice never sent from here is deleted; one the customer has had is
  voided (kept, at zero, with its number), as an accountant expects.
- Xero: a DRAFT copy becomes DELETED; an approved one (AUTHORISED) becomes VOIDED, which Xero
  allows only while no payment is applied.

Each copy withdrawn is recorded at once (its export says ``VOIDED`` or ``DELETED``), so when the
ledger refuses one (a payment applied there) nothing is deleted here, the reason is shown, and a
later attempt only sends what is left.
"""

import hashlib
from dataclasses import dataclass

from billing.audit import record_event
from billing.batches.store import delete_batch, deletion_refusal
from billing.errors import Conflict
from billing.invoices.snapshot import was_sent
from billing.ledgers.export import open_ledger
from billing.wording import counted
from integrations.ledger_errors import LedgerError, ValidationRejected
from models import ExportState, Invoice, InvoiceExport, InvoiceStatus, Provider, User, db

WITHDRAWN = ("VOIDED", "DELETED")


class LedgerRefused(LedgerError):
    """A ledger would not void or delete a copy: the deletion here does not happen."""


@dataclass(frozen=True)
class Copy:
    """A live ledger copy of one of our invoices."""

    invoice: Invoice
    export: InvoiceExport

    @property
    def provider(self) -> Provider:
        """The ledger holding the copy."""
        return self.export.provider


def live_copies(invoices: list[Invoice]) -> list[Copy]:
    """The invoices' copies that are live in a ledger (exported, not voided or deleted)."""
    return [
        Copy(invoice, export)
        for invoice in invoices
        for export in invoice.exports
        if export.external_id and export.ledger_status not in WITHDRAWN
        and export.state in (ExportState.EXPORTED, ExportState.FAILED)
    ]  # fmt: skip


def deletion_question(batch, invoices: list[Invoice]) -> str:
    """The confirmation to ask before deleting ``batch``: it names the ledger copies."""
    text = f"Delete batch {batch.name} and its {counted(len(invoices), 'invoice')}?"
    by_ledger: dict[Provider, list[str]] = {}
    for copy in live_copies(invoices):
        by_ledger.setdefault(copy.provider, []).append(copy.invoice.number)
    for provider, numbers in sorted(by_ledger.items(), key=lambda kv: kv[0].value):
        text += f" {', '.join(numbers)} will be voided or deleted in {provider.label}."
    return text + " Its tickets become billable again."


def _key(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def withdraw(invoices: list[Invoice], user: User | None) -> int:
    """Void or delete every live ledger copy of ``invoices``; returns how many were withdrawn.

    Each one withdrawn is recorded (and committed, as it happened in the ledger).

    :raise LedgerRefused: a ledger refused one; its words say why.
    :raise Conflict: a ledger is no longer connected (reconnect it first).
    """
    copies = live_copies(invoices)
    done = 0
    for provider in sorted({c.provider for c in copies}, key=lambda p: p.value):
        ledger = open_ledger(provider)
        mine = [c for c in copies if c.provider == provider]
        act = _quickbooks if provider == Provider.QUICKBOOKS else _xero
        for copy in mine:
            status = ledger.with_one_refresh(lambda it, c=copy, a=act: a(it.client(), c))
            copy.export.ledger_status = status
            record_event(
                copy.invoice,
                user,
                "ledger_withdrawn",
                f"{provider.label} copy {copy.export.external_number or copy.export.external_id} "
                f"{status.lower()} before deleting the invoice here.",
                data={"provider": provider.value, "external_id": copy.export.external_id},
            )
            db.session.commit()  # it happened in the ledger, whatever happens next here
            done += 1
    return done


def delete_batch_everywhere(batch, user: User | None) -> tuple[list[str], int]:
    """Delete ``batch`` here after withdrawing its invoices' ledger copies; returns the numbers
    freed and how many copies were withdrawn. Not committed (the withdrawals are).

    :raise Conflict: it holds a Paid or Refunded invoice, or a ledger is not connected.
    :raise LedgerError: a ledger refused or failed; nothing was deleted here.
    """
    refusal = deletion_refusal(batch)
    if refusal:
        raise Conflict(refusal)
    withdrawn = withdraw(list(batch.invoices), user)
    return delete_batch(batch, user), withdrawn


def delete_draft_everywhere(invoice: Invoice, user: User | None) -> int:
    """Delete a Draft made by hand after withdrawing its ledger copies; returns how many were
    withdrawn. Its number is retired (the audit trail keeps it). Not committed.

    :raise Conflict: it is not a Draft, it belongs to a batch (delete the batch), or a ledger
        is not connected.
    :raise LedgerError: a ledger refused or failed; nothing was deleted here.
    """
    if invoice.status != InvoiceStatus.DRAFT:
        raise Conflict(
            f"Invoice {invoice.number} is {invoice.status.value.capitalize()}: only a Draft can "
            "be deleted."
        )
    if invoice.batch_id is not None:
        raise Conflict(
            f"Invoice {invoice.number} belongs to batch {invoice.batch.name}: delete the batch, "
            "which also releases its tickets."
        )
    withdrawn = withdraw([invoice], user)
    record_event(invoice, user, "deleted", "Deleted by hand; the number is not reused.",
                 from_status=invoice.status)  # fmt: skip
    db.session.flush()
    db.session.delete(invoice)
    return withdrawn


def _quickbooks(client, copy: Copy) -> str:
    rows = client.query(f"select * from Invoice where Id = '{copy.export.external_id}'").get(
        "Invoice", []
    )
    if not rows:
        return "DELETED"  # already gone from QuickBooks
    row = rows[0]
    key = _key("withdraw", row["Id"], row["SyncToken"])
    try:
        if was_sent(copy.invoice):
            client.void_invoice(row["Id"], row["SyncToken"], key)
            return "VOIDED"
        client.delete_invoice(row["Id"], row["SyncToken"], key)
        return "DELETED"
    except ValidationRejected as error:  # the ledger said no (a payment applied...)
        raise _refused(copy, error) from error


def _xero(client, copy: Copy) -> str:
    target = "DELETED" if copy.export.ledger_status == "DRAFT" else "VOIDED"
    try:
        result = client.set_invoice_status(
            copy.export.external_id, target, _key("withdraw", copy.export.external_id, target)
        )
    except ValidationRejected as error:  # the ledger said no (a payment applied...)
        raise _refused(copy, error) from error
    if not result.ok:
        raise _refused(copy, LedgerError("; ".join(result.errors), provider="xero"))
    return target


def _refused(copy: Copy, error: LedgerError) -> LedgerRefused:
    label = copy.provider.label
    return LedgerRefused(
        f"{label} would not void or delete {copy.invoice.number} ({error.text}), so nothing "
        f"was deleted here. Remove what is applied to it in {label} (a payment, a credit), "
        "then delete the batch again.",
        error.code,
        error.status,
        provider=error.provider,
    )
