"""Fast formatting for the Billing page's rows: the same text as the app's filters, memoized.

Babel formats a date or an amount in tens of microseconds, and a page shows 150 of them; the
same dates and amounts come back on every page and every request, so the formatted strings are
kept (bounded, per locale). ``url_for`` is likewise built once per page for the row links.
"""

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from babel import Locale
from babel.dates import format_date
from flask import url_for
from markupsafe import Markup, escape

from billing.money import format_money
from billing.settings import company_locale
from blueprints.templating import current_settings

CACHED = 8192


@lru_cache(maxsize=CACHED)
def _money(minor: int, currency: str, locale: Locale) -> str:
    return format_money(minor, currency, locale)


@lru_cache(maxsize=CACHED)
def _date(value: date, locale: Locale) -> str:
    return format_date(value, format="medium", locale=locale)


def list_money(minor: int | None, currency: str) -> str:
    """``{{ invoice.total_minor | list_money(invoice.currency) }}``: as the ``money`` filter."""
    if minor is None:
        return ""
    return _money(minor, currency, company_locale(current_settings()))


def list_date(value: date | None) -> str:
    """``{{ invoice.issue_date | list_date }}``: as the ``date`` filter (medium format)."""
    if value is None:
        return ""
    return _date(value, company_locale(current_settings()))


def id_link(endpoint: str, argument: str) -> str | None:
    """The URL of ``endpoint`` for an id, minus the id, when the rule ends with it, else None.

    ``id_link("invoices.detail", "invoice_id") + "7"`` is ``url_for(..., invoice_id=7)``.
    """
    sample = url_for(endpoint, **{argument: 7})
    return sample[:-1] if sample.endswith("/7") else None


def options(choices: Iterable[tuple[object, str]], selected: str | None) -> Markup:
    """``<option>`` elements for (value, label) pairs, ``selected`` marked; escaped."""
    parts = []
    for value, label in choices:
        mark = " selected" if selected is not None and str(value) == selected else ""
        parts.append(f'<option value="{escape(value)}"{mark}>{escape(label)}</option>')
    return Markup("\n".join(parts))
