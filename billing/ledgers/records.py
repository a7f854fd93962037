"""Where payments, refunds and credit notes stand in the connected ledgers, for their pages."""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from billing.ledgers.connections import connected_providers
from models import CreditNote, ExportState, LedgerRecord, Payment, db


@dataclass(frozen=True)
class LedgerState:
    """One line about a document in one ledger; ``ok`` False for a failure to send it."""

    text: str
    ok: bool = True


def ledger_states(
    payments: Iterable[Payment] = (), credit_notes: Iterable[CreditNote] = ()
) -> dict[tuple[str, int], list[LedgerState]]:
    """``{("payment" | "credit_note", id): [state in each connected ledger]}``, in one query."""
    payments, credit_notes = list(payments), list(credit_notes)
    providers = connected_providers()
    if not providers or not (payments or credit_notes):
        return {}
    records = db.session.scalars(
        sa.select(LedgerRecord)
        .where(
            sa.or_(
                LedgerRecord.payment_id.in_([p.id for p in payments]),
                LedgerRecord.credit_note_id.in_([n.id for n in credit_notes]),
            )
        )
        .options(selectinload(LedgerRecord.refs))
    )
    found = {
        ("payment" if r.payment_id else "credit_note", r.payment_id or r.credit_note_id,
         r.provider): r
        for r in records
    }  # fmt: skip
    states: dict[tuple[str, int], list[LedgerState]] = {}
    documents = [("payment", p) for p in payments] + [("credit_note", n) for n in credit_notes]
    for kind, document in documents:
        lines = []
        for provider in providers:
            record = found.get((kind, document.id, provider))
            lines.append(_state(document, provider, record))
        states[(kind, document.id)] = lines
    return states


def _state(document, provider, record: LedgerRecord | None) -> LedgerState:
    label = provider.label
    if getattr(document, "recorded_in", "") == provider.value:
        return LedgerState(f"From {label}")
    if record is None:
        return LedgerState(f"Not in {label} yet: a sync sends it once its invoice is there")
    if record.state == ExportState.FAILED:
        return LedgerState(f"Not in {label}: {record.error} (Sync now tries again.)", ok=False)
    how = "Matched in" if record.origin == "matched" else "In"
    where = f" as {record.external_number}" if isinstance(document, CreditNote) else ""
    if not where and record.refs:
        kind, _, external_id = record.refs[0].ref.partition("/")
        if len(external_id) <= 12:  # QuickBooks' short ids read well; Xero's GUIDs do not
            where = f" ({kind} {external_id})"
    note = f": {record.error}" if record.error else ""
    return LedgerState(f"{how} {label}{where}{note}", ok=not record.error)
