"""What applying one sync's changes reads first, in a few queries whatever their number: our
invoices the changes touch, and the ledger objects already known here."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from billing.audit import record_event
from billing.ledgers.sync_types import LedgerChanges, LedgerPayment
from billing.money import to_minor
from models import (
    AccountingConnection,
    Invoice,
    InvoiceExport,
    LedgerRecord,
    LedgerRef,
    Payment,
    Provider,
    db,
)

IN_CHUNK = 500  # ids per IN (...) list


def _chunks(values: set[str]):
    items = sorted(values)
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


class PullContext:
    """What applying one sync's changes needs, read in a few queries whatever their number."""

    def __init__(self, connection: AccountingConnection, changes: LedgerChanges):
        self.provider: Provider = connection.provider
        self.label = self.provider.label
        ids = {i.external_id for i in changes.invoices}
        ids |= {a.invoice_external_id for p in changes.payments for a in p.applications}
        self.exports: dict[str, InvoiceExport] = {}
        for chunk in _chunks(ids):
            rows = db.session.scalars(
                sa.select(InvoiceExport)
                .where(InvoiceExport.provider == self.provider)
                .where(InvoiceExport.external_id.in_(chunk))
                .options(selectinload(InvoiceExport.invoice))
            )
            self.exports.update({row.external_id: row for row in rows})
        refs = {p.ref for p in changes.payments} | {
            p.credit_ref for p in changes.payments if p.credit_ref
        }
        self.known: dict[str, LedgerRecord] = {}
        for chunk in _chunks(refs):
            rows = db.session.execute(
                sa.select(LedgerRef.ref, LedgerRecord)
                .join(LedgerRecord, LedgerRef.record_id == LedgerRecord.id)
                .where(LedgerRef.provider == self.provider, LedgerRef.ref.in_(chunk))
                .options(selectinload(LedgerRecord.payment).selectinload(Payment.applications))
            )
            self.known.update({ref: record for ref, record in rows})

    def invoices_of(self, payment: LedgerPayment) -> list[tuple[Invoice, int]]:
        """The invoices of ours a ledger payment is applied to, with the amount (minor units)."""
        applied: dict[int, tuple[Invoice, int]] = {}
        for application in payment.applications:
            export = self.exports.get(application.invoice_external_id)
            if export is None or application.amount <= 0:
                continue
            invoice = export.invoice
            minor = to_minor(application.amount, invoice.currency)
            before = applied.get(invoice.id, (invoice, 0))[1]
            applied[invoice.id] = (invoice, before + minor)
        return list(applied.values())

    def event(self, invoice: Invoice, kind: str, message: str, **data) -> None:
        """An event on ``invoice``'s trail, prefixed and tagged with the ledger it came from."""
        record_event(
            invoice, None, kind, f"{self.label}: {message}",
            data={"source": self.provider.value, **data},
        )  # fmt: skip
