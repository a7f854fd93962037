"""What the batch pages list: the batches with their invoice count and total, a batch's
invoices, and the customers the builder offers. The web and ``flask batches list`` read the
same rows."""

from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models import Customer, Invoice, InvoiceBatch, db

BATCH_LIST_LIMIT = 200


class BatchRow(NamedTuple):
    """A batch and what its invoices add up to: ``total_minor`` is in ``currency`` when the
    batch has one currency (``currencies`` == 1); a batch without invoices has 0 and None."""

    batch: InvoiceBatch
    invoices: int
    currency: str | None
    currencies: int
    total_minor: int | None


def batch_list(limit: int = BATCH_LIST_LIMIT) -> list[BatchRow]:
    """The newest ``limit`` batches, newest first, each with its invoices counted and summed in
    one grouped subquery (two statements in all, however many batches)."""
    counts = (
        select(
            Invoice.batch_id,
            func.count(Invoice.id).label("invoices"),
            func.min(Invoice.currency).label("currency"),
            func.count(func.distinct(Invoice.currency)).label("currencies"),
            func.sum(Invoice.total_minor).label("total"),
        )
        .group_by(Invoice.batch_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            InvoiceBatch, counts.c.invoices, counts.c.currency, counts.c.currencies, counts.c.total
        )
        .outerjoin(counts, counts.c.batch_id == InvoiceBatch.id)
        .order_by(InvoiceBatch.id.desc())
        .limit(limit)
    ).all()
    return [
        BatchRow(
            batch, invoices or 0, currency, currencies or 0, None if total is None else int(total)
        )
        for batch, invoices, currency, currencies, total in rows
    ]


def batch_invoices(batch_id: int) -> list[Invoice]:
    """A batch's invoices by number, with their customers and contracts."""
    return list(
        db.session.scalars(
            select(Invoice)
            .where(Invoice.batch_id == batch_id)
            .options(joinedload(Invoice.customer), joinedload(Invoice.contract))
            .order_by(Invoice.number)
        )
    )


def builder_customers() -> list[tuple[int, str]]:
    """The customers the batch builder can narrow a batch to: (id, name), by name."""
    query = select(Customer.id, Customer.name).order_by(Customer.name)
    return [(customer_id, name) for customer_id, name in db.session.execute(query)]
