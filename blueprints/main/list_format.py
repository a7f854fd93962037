"""The Billing page's rows as markup, built once in Python rather than cell by cell in Jinja.

Babel formats a date or an amount in tens of microseconds and a page shows 150 of them; the
same dates and amounts come back page after page, so the formatted strings are kept (bounded,
per locale). Jinja would escape and output some 800 values a page one by one, which was a
quarter of the request; a row here is one ``str.format`` of escaped values (:data:`ROW_HTML`,
the markup ``main/_invoice_rows.html`` outputs with ``{{ row }}``). The row links are built
from one base path per page rather than one ``url_for`` per row.
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
from models import InvoiceStatus, overdue_days

CACHED = 8192

# One invoice of the list. Every value is escaped before it is put in (see ListRow.__html__).
ROW_HTML = """\
<tr id="invoice-{id}">
      <td><input type="checkbox" name="ids" value="{id}" aria-label="Select {number}"></td>
      <td><a href="{href}">{number}</a></td>
      <td>{issued}</td>
      <td>{customer}</td>
      <td>{batch}</td>
      <td><span class="badge badge-{status}">{status_label}</span>{partly}{overdue}</td>
      <td class="num">{total}</td>
      <td class="num">{balance}</td>
      <td>{due}</td>
    </tr>"""
BATCH_HTML = '<a href="{href}">{name}</a>'
OVERDUE_HTML = ' <span class="badge badge-overdue">{text}</span>'
PARTLY_PAID_HTML = ' <span class="badge badge-open">Partly paid</span>'
NOT_OWED_YET = Markup('<span class="muted" title="A Draft is not owed yet">—</span>')


@lru_cache(maxsize=CACHED)
def _money(minor: int, currency: str, locale: Locale) -> Markup:
    return escape(format_money(minor, currency, locale))


@lru_cache(maxsize=CACHED)
def _date(value: date, locale: Locale) -> Markup:
    # The ``date`` template filter's medium format.
    return escape(format_date(value, format="medium", locale=locale))


@lru_cache(maxsize=64)
def _status(value: str) -> tuple[Markup, Markup]:
    """A status's CSS class suffix and its label (``capitalize``), escaped."""
    return escape(value), escape(value.capitalize())


class ListRow(NamedTuple):
    """One invoice of the list, every cell as the template shows it (the formatted ones, kept
    between pages, already escaped); ``{{ row }}`` is its ``<tr>``."""

    id: int
    number: str
    issued: Markup
    customer: str
    batch_id: int | None
    batch_name: str | None
    status: str
    overdue: str  # "Overdue · 12 days", or empty
    total: Markup
    balance: Markup  # what is owed now; a dash for a Draft
    partly_paid: bool
    due: Markup
    href: Markup  # the invoice's page
    batch_href: Markup  # the batch's page, or empty

    def __html__(self) -> str:
        """The row's ``<tr>`` (markupsafe's protocol, used by Jinja's ``{{ row }}``)."""
        batch = ""
        if self.batch_id:
            batch = BATCH_HTML.format(href=self.batch_href, name=escape(self.batch_name))
        overdue = OVERDUE_HTML.format(text=escape(self.overdue)) if self.overdue else ""
        status, status_label = _status(self.status)
        return ROW_HTML.format(
            id=self.id,
            number=escape(self.number),
            href=self.href,
            issued=self.issued,
            customer=escape(self.customer),
            batch=batch,
            status=status,
            status_label=status_label,
            partly=PARTLY_PAID_HTML if self.partly_paid else "",
            overdue=overdue,
            total=self.total,
            balance=self.balance,
            due=self.due,
        )


def list_rows(rows: Iterable[Any], locale: Locale, today: date) -> list[ListRow]:
    """``billing.invoices.listing.LIST_COLUMNS`` rows as :class:`ListRow`, in ``locale``."""
    invoice_base, batch_base = (
        None if base is None else escape(base)
        for base in (
            id_link("invoices.detail", "invoice_id"),
            id_link("batches.detail", "batch_id"),
        )
    )
    listed = []
    # Unpacked by position (LIST_COLUMNS' order): a Row's attributes by name cost more than the
    # rest of building the row.
    for (
        ident, number, issued, due, status, currency, total, owed, partly_paid, customer,
        batch_id, batch,
    ) in rows:  # fmt: skip
        draft = status is InvoiceStatus.DRAFT
        listed.append(
            ListRow(
                ident,
                number,
                _date(issued, locale),
                customer,
                batch_id,
                batch,
                status.value,
                overdue_text(overdue_days(status, due, today)),  # the model's rule
                _money(total, currency, locale),
                NOT_OWED_YET if draft else _money(owed, currency, locale),
                bool(partly_paid),
                _date(due, locale),
                _link(invoice_base, "invoices.detail", "invoice_id", ident),
                _link(batch_base, "batches.detail", "batch_id", batch_id) if batch_id else "",
            )
        )
    return listed


def _link(base: Markup | None, endpoint: str, argument: str, ident: int) -> Markup:
    """``base`` + the id (see :func:`id_link`), or ``url_for`` when the rule does not end
    with the id; escaped."""
    if base is None:
        return escape(url_for(endpoint, **{argument: ident}))
    return Markup(f"{base}{ident}")  # an escaped path and digits


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
