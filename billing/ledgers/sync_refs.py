"""What sending money to a ledger reads first: which invoices are there, and the ledger ids of
customers, invoices, credit notes and the bank account."""

from collections import defaultdict

import sqlalchemy as sa

from billing.ledgers.ledger import Ledger
from billing.ledgers.mapping import BANK_ACCOUNT
from billing.ledgers.sync_types import MoneyRefs
from models import ExportState, InvoiceExport, LedgerRecord, LedgerRef, db


def exported_invoices(ledger: Ledger):
    """The ids of the invoices in ``ledger`` (exported, not voided or deleted there): a subquery."""
    return sa.select(InvoiceExport.invoice_id).where(
        InvoiceExport.provider == ledger.provider,
        InvoiceExport.state == ExportState.EXPORTED,
        InvoiceExport.ledger_flag == "",
    )


def money_refs(ledger: Ledger, mapping: dict[str, str], invoice_ids: set[int]) -> MoneyRefs:
    """The ledger ids a send of money needs: customers, these invoices, the credit notes sent,
    the bank account."""
    invoices = dict(
        db.session.execute(
            sa.select(InvoiceExport.invoice_id, InvoiceExport.external_id).where(
                InvoiceExport.provider == ledger.provider,
                InvoiceExport.invoice_id.in_(invoice_ids),
            )
        ).all()
    )
    notes: dict[int, list[str]] = defaultdict(list)
    rows = db.session.execute(
        sa.select(LedgerRecord.credit_note_id, LedgerRef.ref)
        .join(LedgerRef, LedgerRef.record_id == LedgerRecord.id)
        .where(LedgerRecord.provider == ledger.provider, LedgerRecord.credit_note_id.is_not(None))
        .order_by(LedgerRef.id)
    )
    for note_id, ref in rows:
        notes[note_id].append(ref)
    customers = {
        int(key.split(":", 1)[1]): value
        for key, value in mapping.items()
        if key.startswith("customer:")
    }
    return MoneyRefs(customers, invoices, dict(notes), mapping.get(BANK_ACCOUNT, ""))


def sent_from_here(ledger: Ledger) -> sa.ColumnElement[bool]:
    """Records of copies in ``ledger`` that a sync sent (or matched) and has not withdrawn."""
    return sa.and_(
        LedgerRecord.provider == ledger.provider,
        LedgerRecord.state == ExportState.EXPORTED,
        LedgerRecord.origin != "ledger",
        LedgerRecord.withdrawn_at.is_(None),
    )
