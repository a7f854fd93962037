"""The Billing page's totals per currency: count, total and what is owed now, of the
filtered list (the same filters as its rows, :mod:`billing.invoices.listing`)."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from billing.invoices.listing import apply_filters
from models import OVERDUE_STATUSES, Invoice, db


@dataclass(frozen=True)
class CurrencyTotal:
    """How many invoices of the list are in ``currency``, their total and what is owed on them
    now (minor units)."""

    currency: str
    count: int
    total_minor: int
    owed_minor: int = 0


def filtered_totals(filters: dict[str, str]) -> list[CurrencyTotal]:
    """Count, sum and balance of the filtered invoices per currency: two grouped queries."""
    query = (
        select(Invoice.currency, func.count(Invoice.id), func.sum(Invoice.total_minor))
        .group_by(Invoice.currency)
        .order_by(Invoice.currency)
    )
    query, _ = apply_filters(query, filters)
    # Only a Sent or Exported invoice owes anything: summed apart, over those alone, the count
    # and total keep their covering indexes (status, currency, total) and the balance reads
    # the few open invoices' rows rather than every matching one's.
    owed = (
        select(Invoice.currency, func.sum(Invoice.balance_minor))
        .where(Invoice.status.in_(OVERDUE_STATUSES))
        .group_by(Invoice.currency)
    )
    owed, _ = apply_filters(owed, filters)
    owed_by_currency = {cur: int(minor or 0) for cur, minor in db.session.execute(owed)}
    return [
        CurrencyTotal(cur, count, int(total), owed_by_currency.get(cur, 0))
        for cur, count, total in db.session.execute(query)
    ]


def totals_of(invoices: Iterable[Any]) -> list[CurrencyTotal]:
    """The same totals computed from invoices already loaded (when the page holds them all)."""
    sums: dict[str, list[int]] = {}
    for invoice in invoices:
        figures = sums.setdefault(invoice.currency, [0, 0, 0])
        figures[0] += 1
        figures[1] += invoice.total_minor
        figures[2] += invoice.owed_minor
    return [CurrencyTotal(cur, *figures) for cur, figures in sorted(sums.items())]
