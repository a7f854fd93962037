"""Saving a batch and exporting it: the one sequence the builder and ``flask batches create``
both run, and the one account of what happened that both show.

A saved batch goes to the export target at once when Admin > Accounting says so (on by
default): the target is the one connected ledger, or the one chosen when both are connected (an
invoice belongs in one ledger). The batch is committed before the export, so a ledger that
fails leaves the invoices saved, with the failure recorded on each.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.exc import SQLAlchemyError

from billing.batches.preview import BatchRequest
from billing.batches.store import save_batch, simultaneous_change
from billing.db_errors import is_write_conflict
from billing.errors import BillingError
from billing.ledgers.connections import connected_providers
from billing.ledgers.export import ExportOutcome, export_invoices
from billing.settings import get_settings
from billing.wording import counted
from models import InvoiceBatch, Provider, User, db


@dataclass
class SaveOutcome:
    """A saved batch, and what its export did (or why there was none)."""

    batch: InvoiceBatch
    provider: Provider | None = None
    exports: list[ExportOutcome] = field(default_factory=list)
    not_exported: str = ""  # why nothing was exported, when that needs saying

    def messages(self) -> list[tuple[str, str]]:
        """``(message, category)``: "12 invoices saved; 11 exported to Xero; 1 failed", then
        each failure or difference in the ledger's words."""
        head = f"Batch {self.batch.name}: {counted(len(self.batch.invoices), 'invoice')} saved"
        if self.provider is None:
            note = f" ({self.not_exported})" if self.not_exported else ""
            return [(f"{head}{note}.", "error" if self.not_exported else "success")]
        done = [o for o in self.exports if o.ok]
        failed = [o for o in self.exports if not o.ok]
        text = f"{head}; {len(done)} exported to {self.provider.label}"
        if self.not_exported:
            text += f"; not exported: {self.not_exported}"
        if failed:
            text += f"; {len(failed)} failed"
        messages = [(text + ".", "error" if failed or self.not_exported else "success")]
        notable = [o for o in self.exports if not o.ok or o.difference]
        return messages + [(o.message, "error") for o in notable]


def export_target() -> tuple[Provider | None, str]:
    """The ledger saved batches go to, or None and why."""
    connected = connected_providers()
    if not connected:
        return None, ""
    chosen = get_settings().export_target
    if chosen:
        for provider in connected:
            if provider.value == chosen:
                return provider, ""
    if len(connected) == 1:
        return connected[0], ""
    return None, ("both ledgers are connected: choose the one batches go to in Admin > Accounting")


def save_and_export(
    request: BatchRequest, user: User | None, today: date, *, export: bool | None = None
) -> SaveOutcome:
    """Save the batch (committed), then export it to the target if ``export`` (None: as the
    settings say).

    :raise ValidationFailed, Conflict: from :func:`billing.batches.store.save_batch`; nothing saved.
    """
    batch = save_batch(request, user, today)
    try:
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        if is_write_conflict(error):
            raise simultaneous_change() from error
        raise
    outcome = SaveOutcome(batch)
    wanted = get_settings().export_on_save if export is None else export
    if not wanted:
        return outcome
    provider, why = export_target()
    outcome.not_exported = why
    if provider is None:
        return outcome
    outcome.provider = provider
    try:
        outcome.exports = export_invoices(list(batch.invoices), provider, user)
    except BillingError as error:
        db.session.rollback()
        outcome.not_exported = str(error)
        return outcome
    db.session.commit()
    return outcome
