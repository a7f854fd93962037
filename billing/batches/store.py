"""Saving and deleting invoice batches, each in one transaction.

A ticket is never billed twice: the batch claims its tickets with one conditional UPDATE
(``... WHERE batch_id IS NULL``), which the database applies row by row under its locks; if
another batch claimed any of them first, the counts differ and nothing is saved. Periods are
protected the same way by the unique key of ``contract_charges``.

Writers of batches also take one lock first (:func:`lock_batches`), so a save or a delete at
the same moment waits for the other and then works from what it committed; whatever still
collides is a :class:`Conflict` and nothing is saved.
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from billing.batches.preview import (
    BatchPreview,
    BatchRequest,
    ContractPreview,
    build_preview,
    group_totals,
)
from billing.db_errors import is_write_conflict
from billing.errors import Conflict, ValidationFailed
from billing.invoices.numbering import take_numbers
from billing.invoices.snapshot import invoice_headers
from models import (
    SETTLED_STATUSES,
    BlockLedgerEntry,
    ContractCharge,
    CreditNote,
    Invoice,
    InvoiceBatch,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
    PaymentApplication,
    Ticket,
    User,
    db,
)


def save_batch(request: BatchRequest, user: User | None, today: date) -> InvoiceBatch:
    """Create the batch: a Draft invoice per contract, its lines, and its tickets marked billed.

    The preview is recomputed here from the database, never taken from the browser. The
    caller commits; on any error it must roll back (nothing is half-saved).

    :raise ValidationFailed: nothing to bill, or bad dates.
    :raise Conflict: another batch billed some of the same tickets or periods meanwhile.
    """
    if request.end < request.start:
        raise ValidationFailed("The period must end on or after its start.", "end")
    try:
        lock_batches()
        preview = build_preview(request, today)
        items = preview.to_bill
        if not items:
            raise ValidationFailed("There is nothing to bill in this period.", "start")
        return _write(preview, items, user, today)
    except SQLAlchemyError as error:
        if is_write_conflict(error):
            raise simultaneous_change() from error
        raise


def simultaneous_change() -> Conflict:
    """The refusal when another save or delete of batches got there first."""
    return Conflict(
        "Another change to this period was saved at the same moment; nothing was changed. "
        "Reload and try again."
    )


def lock_batches() -> None:
    """Wait for any other writer of batches to finish, then hold them off until this
    transaction ends: PostgreSQL locks the settings row; SQLite takes its write lock now,
    before anything is read (a no-op UPDATE), rather than on the first write.

    One statement. Before the settings row exists (the very first batch) PostgreSQL has nothing
    to lock: two first saves at once may then collide, and one gets a :class:`Conflict`."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sa.text("UPDATE settings SET id = id WHERE id = 1"))
    else:
        db.session.execute(sa.text("SELECT id FROM settings WHERE id = 1 FOR UPDATE"))


def _write(preview: BatchPreview, items: list[ContractPreview], user, today) -> InvoiceBatch:
    request = preview.request
    batch = InvoiceBatch(
        name=request.name.strip() or request.default_name,
        period_start=request.start,
        period_end=request.end,
        detail_level=request.detail,
        created_by_id=user.id if user else None,
    )
    db.session.add(batch)
    db.session.flush()
    ticket_ids = [t.id for item in items for t in item.included_tickets]
    if ticket_ids:
        claimed = db.session.execute(
            sa.update(Ticket)
            .where(Ticket.id.in_(ticket_ids), Ticket.batch_id.is_(None))
            .values(batch_id=batch.id)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != len(ticket_ids):
            raise simultaneous_change()
    groups = preview.invoice_groups()
    numbers = take_numbers(len(groups))
    header_of = invoice_headers(today)
    rows = [
        _invoice_row(header_of(group[0].contract.customer), group, number, batch, user)
        for group, number in zip(groups, numbers, strict=True)
    ]
    # Core executemany (one statement for all rows), then the ids by their unique numbers.
    db.session.execute(Invoice.__table__.insert(), rows)
    id_of = dict(
        db.session.execute(
            sa.select(Invoice.number, Invoice.id).where(Invoice.batch_id == batch.id)
        ).all()
    )
    invoice_ids = [id_of[number] for number in numbers]
    lines, charges, moves, events = [], [], [], []
    for group, invoice_id, number in zip(groups, invoice_ids, numbers, strict=True):
        lines += _line_rows(group, invoice_id)
        for item in group:
            charges += [
                {"contract_id": item.contract.id, "period_start": p.start, "period_end": p.end,
                 "invoice_id": invoice_id}
                for p in item.bill.charged_periods
            ]  # fmt: skip
            moves += [
                {"contract_id": item.contract.id, "entry_date": m.day, "kind": m.kind,
                 "minutes": m.minutes, "amount_minor": m.amount_minor, "invoice_id": invoice_id,
                 "note": m.note}
                for m in item.bill.block_moves
            ]  # fmt: skip
        events.append(
            {"invoice_id": invoice_id, "invoice_number": number, "user_id": batch.created_by_id,
             "kind": "created", "to_status": InvoiceStatus.DRAFT.value,
             "message": f"Created by batch {batch.name}.", "data": {"batch_id": batch.id}}
        )  # fmt: skip
    for model, values in (
        (InvoiceLine, lines),
        (ContractCharge, charges),
        (BlockLedgerEntry, moves),
        (InvoiceEvent, events),
    ):
        if values:
            db.session.execute(model.__table__.insert(), values)
    return batch


def _invoice_row(header: dict, group: list[ContractPreview], number: str, batch, user) -> dict:
    """One invoice for a group of contracts (one, or all of a customer's): its periods span
    theirs, and its tax is per rate over all their lines."""
    row = dict(header)
    periods = [p for item in group for p in (item.bill.charged_periods or item.periods)]
    figures = group_totals(group)
    row.update(
        number=number,
        contract_id=group[0].contract.id if len(group) == 1 else None,
        batch_id=batch.id,
        status=InvoiceStatus.DRAFT.value,
        reference="",
        notes="",
        created_at=batch.created_at,
        updated_at=batch.created_at,
        period_start=min((p.start for p in periods), default=batch.period_start),
        period_end=max((p.end for p in periods), default=batch.period_end),
        subtotal_minor=figures.subtotal_minor,
        tax_minor=figures.tax_minor,
        total_minor=figures.total_minor,
        created_by_id=user.id if user else None,
    )
    return row


def _line_rows(group: list[ContractPreview], invoice_id: int) -> list[dict]:
    """Every line of the group's contracts, each tied to its contract (a section of an invoice
    for several contracts; the ledger mapping by contract type)."""
    rows = []
    every = [(line, item.contract.id) for item in group for line in item.bill.lines]
    for position, (line, contract_id) in enumerate(every):
        rows.append(
            {
                "invoice_id": invoice_id,
                "position": position,
                "kind": line.kind,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price_minor": line.unit_price_minor,
                "discount_minor": line.discount_minor,
                "amount_minor": line.amount_minor,
                "tax_rate_id": line.tax.id if line.tax else None,
                "tax_name": line.tax.name if line.tax else "",
                "tax_percent": line.tax.percent if line.tax else 0,
                "contract_id": line.contract_id or contract_id,
                "ticket_id": line.ticket_id,
                "time_entry_id": line.time_entry_id,
                "expense_id": line.expense_id,
                "product_id": line.product_id,
            }
        )
    return rows


def deletion_refusal(batch: InvoiceBatch) -> str | None:
    """Why ``batch`` cannot be deleted (shown before the click), or None."""
    settled = db.session.execute(
        sa.select(Invoice.number, Invoice.status)
        .where(Invoice.batch_id == batch.id, Invoice.status.in_(SETTLED_STATUSES))
        .order_by(Invoice.number)
    ).all()
    if settled:
        names = ", ".join(f"{number} ({status.value})" for number, status in settled)
        verb = "is" if len(settled) == 1 else "are"
        return f"Batch {batch.name} cannot be deleted: {names} {verb} paid or refunded."
    paid = db.session.scalars(
        sa.select(Invoice.number)
        .where(
            Invoice.batch_id == batch.id,
            sa.exists().where(PaymentApplication.invoice_id == Invoice.id),
        )
        .order_by(Invoice.number)
    ).all()
    if paid:
        has = "has" if len(paid) == 1 else "have"
        return (
            f"Batch {batch.name} cannot be deleted: {', '.join(paid)} {has} payments applied "
            "(delete those payments first)."
        )
    credited = db.session.scalars(
        sa.select(Invoice.number)
        .where(Invoice.batch_id == batch.id, sa.exists().where(CreditNote.invoice_id == Invoice.id))
        .order_by(Invoice.number)
    ).all()
    if not credited:
        return None
    has = "has" if len(credited) == 1 else "have"
    return (
        f"Batch {batch.name} cannot be deleted: {', '.join(credited)} {has} credit notes "
        "(a credit note is never deleted)."
    )


def delete_batch(batch: InvoiceBatch, user: User | None) -> list[str]:
    """Delete the batch and its invoices, release its tickets; returns the numbers freed.

    Freed numbers are recorded in the audit trail and never handed out again.

    :raise Conflict: one of its invoices is Paid or Refunded or has payments applied, or
        another writer deleted the batch (or changed it) meanwhile.
    """
    batch_id = sa.inspect(batch).identity[0]
    try:
        lock_batches()
        still_there = db.session.scalar(
            sa.select(InvoiceBatch.id).where(InvoiceBatch.id == batch_id)
        )
    except SQLAlchemyError as error:
        if is_write_conflict(error):
            raise simultaneous_change() from error
        raise
    if still_there is None:
        raise simultaneous_change()
    db.session.refresh(batch)
    refusal = deletion_refusal(batch)
    if refusal:
        raise Conflict(refusal)
    invoices = list(
        db.session.execute(
            sa.select(Invoice.id, Invoice.number, Invoice.status)
            .where(Invoice.batch_id == batch.id)
            .order_by(Invoice.number)
        )
    )
    numbers = [number for _, number, _ in invoices]
    user_id = user.id if user else None
    events = [
            {"invoice_id": invoice_id, "invoice_number": number, "user_id": user_id,
             "kind": "deleted", "from_status": status.value,
             "message": f"Deleted with batch {batch.name}; the number is not reused.",
             "data": {"batch_id": batch.id, "batch_name": batch.name}}
            for invoice_id, number, status in invoices
        ]  # fmt: skip
    if events:
        db.session.execute(sa.insert(InvoiceEvent), events)
    db.session.execute(
        sa.update(Ticket)
        .where(Ticket.batch_id == batch.id)
        .values(batch_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(sa.delete(Invoice).where(Invoice.batch_id == batch.id))
    db.session.execute(sa.delete(InvoiceBatch).where(InvoiceBatch.id == batch.id))
    db.session.expunge(batch)
    return numbers
