"""The Billing page's rows as text, formatted once in Python rather than cell by cell in Jinja.

Babel formats a date or an amount in tens of microseconds and a page shows 150 of them; the
same dates and amounts come back page after page, so the formatted strings are kept (bounded,
per locale). The row links are built once per page rather than once per row.
"""

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from babel import Locale
from babel.dates import format_date
from flask import url_for
from markupsafe import Markup, escape

from billing.money import format_money
from billing.wording import overdue_text
from models import overdue_days

CACHED = 8192


@lru_cache(maxsize=CACHED)
def _money(minor: int, currency: str, locale: Locale) -> str:
    return format_money(minor, currency, locale)


@lru_cache(maxsize=CACHED)
def _date(value: date, locale: Locale) -> str:
    # The ``date`` template filter's medium format.
    return format_date(value, format="medium", locale=locale)


class ListRow(NamedTuple):
    """One invoice of the list, every cell as the template shows it."""

    id: int
    number: str
    issued: str
    customer: str
    batch_id: int | None
    batch_name: str | None
    status: str
    overdue: str  # "Overdue · 12 days", or empty
    total: str
    due: str


def list_rows(rows: Iterable[Any], locale: Locale, today: date) -> list[ListRow]:
    """``billing_filters.LIST_COLUMNS`` rows as :class:`ListRow`, in ``locale``."""
    return [
        ListRow(
            row.id,
            row.number,
            _date(row.issue_date, locale),
            row.customer_name,
            row.batch_id,
            row.batch_name,
            row.status.value,
            overdue_text(overdue_days(row.status, row.due_date, today)),  # the model's rule
            _money(row.total_minor, row.currency, locale),
            _date(row.due_date, locale),
        )
        for row in rows
    ]


def id_link(endpoint: str, argument: str) -> str | None:
    """The URL of ``endpoint`` for an id, minus the id, when the rule ends with it, else None.

    ``id_link("invoices.detail", "invoice_id") + "7"`` is ``url_for(..., invoice_id=7)``.
    """
    sample = url_for(endpoint, **{argument: 7})
    return sample[:-1] if sample.endswith("/7") else None


@lru_cache(maxsize=64)
def options(choices: tuple[tuple[Any, str], ...], selected: str | None) -> Markup:
    """``<option>`` elements for (value, label) pairs, ``selected`` marked; escaped."""
    parts = []
    for value, label in choices:
        mark = " selected" if selected is not None and str(value) == selected else ""
        parts.append(f'<option value="{escape(value)}"{mark}>{escape(label)}</option>')
    return Markup("\n".join(parts))
