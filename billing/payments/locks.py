"""Locks taken before payments change, and the customer's unapplied credit.

Every change to a customer's payments first locks the customer's row, then the invoices it
touches (``FOR UPDATE`` on PostgreSQL, read again from the database): two people paying the
same invoice, or spending the same credit, take turns, and the second works from what the
first committed. SQLite has one writer at a time: the first statement takes its write lock (a
no-op UPDATE, as ``billing.batches.store.lock_batches`` does). A writer that cannot wait its
turn is a :class:`Conflict` (409) and nothing is changed.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from billing.db_errors import SIMULTANEOUS_CHANGE, is_write_conflict
from billing.errors import Conflict
from models import Invoice, Payment, PaymentApplication, PaymentDirection, db


@contextmanager
def conflicts_refused() -> Iterator[None]:
    """Turn a write conflict raised inside (a lock not granted) into a :class:`Conflict`."""
    try:
        yield
    except SQLAlchemyError as error:
        if is_write_conflict(error):
            raise Conflict(SIMULTANEOUS_CHANGE) from error
        raise


def lock_customer(customer_id: int) -> None:
    """Hold off every other change to this customer's payments until the transaction ends."""
    with conflicts_refused():
        if db.session.get_bind().dialect.name == "sqlite":
            db.session.execute(
                sa.text("UPDATE customers SET id = id WHERE id = :id"), {"id": customer_id}
            )
        else:
            db.session.execute(
                sa.text("SELECT id FROM customers WHERE id = :id FOR UPDATE"), {"id": customer_id}
            )


def lock_invoices(invoice_ids: Iterable[int]) -> dict[int, Invoice]:
    """The invoices ``invoice_ids`` (those that still exist), locked in id order and read
    again from the database (their ``paid_minor`` and status as last committed)."""
    ids = sorted(set(invoice_ids))
    if not ids:
        return {}
    with conflicts_refused():
        invoices = db.session.scalars(
            sa.select(Invoice)
            .where(Invoice.id.in_(ids))
            .order_by(Invoice.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    return {invoice.id: invoice for invoice in invoices}


def customer_credit_minor(customer_id: int, currency: str) -> int:
    """The customer's unapplied credit in ``currency``: payments received, less refunds paid
    out, less what payments applied to invoices (deleted payments count for nothing)."""
    live = sa.and_(
        Payment.customer_id == customer_id,
        Payment.currency == currency,
        Payment.deleted_at.is_(None),
    )
    signed = sa.case((Payment.direction == PaymentDirection.OUT, -Payment.amount_minor),
                     else_=Payment.amount_minor)  # fmt: skip
    received = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(signed), 0)).where(live))
    applied = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(PaymentApplication.amount_minor), 0))
        .join(Payment, PaymentApplication.payment_id == Payment.id)
        .where(live)
    )
    return int(received) - int(applied)


def unapplied_payments(customer_id: int, currency: str) -> list[tuple[Payment, int]]:
    """The customer's live payments received in ``currency`` with something not applied yet,
    oldest first, each with that amount."""
    applied = sa.func.coalesce(sa.func.sum(PaymentApplication.amount_minor), 0)
    rows = db.session.execute(
        sa.select(Payment, Payment.amount_minor - applied)
        .outerjoin(PaymentApplication, PaymentApplication.payment_id == Payment.id)
        .where(
            Payment.customer_id == customer_id,
            Payment.currency == currency,
            Payment.direction == PaymentDirection.IN,
            Payment.deleted_at.is_(None),
        )
        .group_by(Payment.id)
        .having(Payment.amount_minor - applied > 0)
        .order_by(Payment.payment_date, Payment.id)
    ).all()
    return [(payment, int(left)) for payment, left in rows]
