"""Syncing with a connected ledger: read what changed there since the last sync and apply it
here, then send there what was recorded here since (credit notes, payments, refunds).

Reading first means a payment recorded on both sides is matched before anything is sent, so
it is kept once. Each phase is committed on its own: what was read stays read if the ledger
stops answering while we send, and the cursor (the ledger's own time) only moves after a
clean read. Two syncs of one ledger never run at once (a lease on the connection).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from billing.errors import Conflict
from billing.ledgers.connections import connection_for
from billing.ledgers.export import open_ledger
from billing.ledgers.export_text import failure_text
from billing.ledgers.sync_pull import apply_changes
from billing.ledgers.sync_push import send_pending
from clock import utcnow
from integrations.ledger_errors import LedgerError
from models import AccountingConnection, ExportState, InvoiceExport, Provider, db

LEASE = timedelta(minutes=10)
RECONNECT = "The connection to {} has expired: reconnect it in Admin > Accounting, then sync."
FIRST_LOOK_BACK = timedelta(hours=1)  # before the first export, for clocks that disagree


@dataclass
class SyncReport:
    """What one sync changed here (a line each), and what stopped it, in words."""

    provider: Provider
    changes: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def summary(self) -> str:
        """One paragraph for the page and the connection's last-sync line."""
        if self.error:
            return self.error
        if not self.changes:
            return "Nothing changed."
        return f"{len(self.changes)} change{'s' if len(self.changes) != 1 else ''}."


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def first_cursor(connection: AccountingConnection) -> str:
    """Where a connection's first sync reads from: just before its first export (nothing
    there can touch our invoices before they were there)."""
    first = db.session.scalar(
        sa.select(sa.func.min(InvoiceExport.exported_at)).where(
            InvoiceExport.provider == connection.provider,
            InvoiceExport.state == ExportState.EXPORTED,
        )
    )
    return _iso((first or utcnow()) - FIRST_LOOK_BACK)


def _claim(connection: AccountingConnection) -> None:
    now = utcnow()
    table = AccountingConnection.__table__
    claimed = db.session.execute(
        table.update()
        .where(table.c.id == connection.id)
        .where(sa.or_(table.c.sync_running_until.is_(None), table.c.sync_running_until < now))
        .values(sync_running_until=now + LEASE)
    ).rowcount
    db.session.commit()
    if not claimed:
        raise Conflict(
            f"A sync with {connection.provider.label} is already running; try again in a minute."
        )


def sync_ledger(provider: Provider) -> SyncReport:
    """Sync ``provider``: read and apply its changes, then send what is pending. Commits.

    :raise Conflict: not connected, or a sync of it is already running.
    """
    connection = connection_for(provider)
    if connection is None:
        raise Conflict(f"Connect {provider.label} in Admin > Accounting first.")
    _claim(connection)
    report = SyncReport(provider)
    try:
        _read(provider, report)
        if not report.error:
            _send(provider, report)
    finally:
        db.session.rollback()  # nothing half-done is kept: each phase committed its own work
        connection = connection_for(provider)
        connection.sync_running_until = None
        connection.synced_at = utcnow()
        connection.sync_summary = "\n".join(report.changes)
        connection.sync_error = report.error
        db.session.commit()
    return report


def _read(provider: Provider, report: SyncReport) -> None:
    started = utcnow()
    try:
        ledger = open_ledger(provider)
        connection = ledger.connection
        cursor = connection.sync_cursor or first_cursor(connection)
        changes = ledger.with_one_refresh(lambda it: it.changes_since(cursor))
        report.changes += apply_changes(connection, changes)
        connection.sync_cursor = changes.cursor or cursor
        asked = connection.sync_requested_at
        if asked is not None and asked.replace(tzinfo=started.tzinfo) <= started:
            connection.sync_requested_at = None  # a webhook during the sync asks again
        db.session.commit()
    except (LedgerError, Conflict) as error:
        db.session.rollback()
        report.error = _stopped(error, provider, "Nothing was changed here")


def _send(provider: Provider, report: SyncReport) -> None:
    try:
        ledger = open_ledger(provider)
        report.changes += send_pending(ledger)
        db.session.commit()
    except (LedgerError, Conflict) as error:
        db.session.rollback()
        report.error = _stopped(
            error, provider, "What was read from it is kept; nothing more was sent"
        )


def _stopped(error: Exception, provider: Provider, what: str) -> str:
    if isinstance(error, Conflict):
        return str(error)
    return f"The sync with {provider.label} stopped: {failure_text(error, provider)} ({what}.)"


def sync_all(requested_only: bool = False) -> list[SyncReport]:
    """Sync every connected ledger (with ``requested_only``, only those a webhook marked)."""
    reports = []
    for provider in Provider:
        connection = connection_for(provider)
        if connection is None or not connection.tenant_id:
            continue
        if requested_only and connection.sync_requested_at is None:
            continue
        if connection.needs_reconnect:
            reports.append(SyncReport(provider, error=RECONNECT.format(provider.label)))
            continue
        try:
            reports.append(sync_ledger(provider))
        except Conflict as error:
            reports.append(SyncReport(provider, error=str(error)))
    return reports
