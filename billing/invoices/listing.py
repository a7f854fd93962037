"""The invoice list of the Billing page: its filters, its sorts and one page of invoices (its
totals are :mod:`billing.invoices.list_totals`').

One more filter is one more function in :data:`FILTERS`: it receives the query and the raw value
from the query string (stripped, never empty) and returns the filtered query, or ``None`` when it
does not understand the value; the filter is then ignored, left out of the page's links, and
the page says so in the words of :data:`IGNORED_WORDS`.
Filters touch only ``invoices`` columns (a customer's name goes through a subquery), so the same
functions narrow the page's rows and its totals.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Select, func, select
from werkzeug.datastructures import MultiDict

from billing.ids import parse_id
from billing.wording import Ignored, one_of
from clock import today as billing_today
from models import (
    OVERDUE_STATUSES,
    Customer,
    ExportState,
    Invoice,
    InvoiceBatch,
    InvoiceExport,
    InvoiceStatus,
    db,
)

PAGE_SIZE = 50
SEARCH_MAX = 100
OVERDUE = "overdue"
DEFAULT_SORT = "-number"

FilterFunction = Callable[[Select, str], Select | None]


def overdue_clause(today: date) -> sa.ColumnElement[bool]:
    """Overdue on ``today``: the model's rule (:meth:`models.Invoice.is_overdue`) in SQL."""
    return Invoice.is_overdue(today)


def filter_status(query: Select, value: str) -> Select | None:
    """One status (draft, sent, exported, paid, refunded), or ``overdue``."""
    if value == OVERDUE:
        return query.where(overdue_clause(billing_today()))
    if value in InvoiceStatus._value2member_map_:
        return query.where(Invoice.status == InvoiceStatus(value))
    return None


def filter_customer(query: Select, value: str) -> Select | None:
    """The invoices of one customer (by id)."""
    customer_id = parse_id(value)
    return None if customer_id is None else query.where(Invoice.customer_id == customer_id)


def filter_batch(query: Select, value: str) -> Select | None:
    """The invoices of one batch (by id)."""
    batch_id = parse_id(value)
    return None if batch_id is None else query.where(Invoice.batch_id == batch_id)


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def filter_issued_from(query: Select, value: str) -> Select | None:
    """Issued on or after a day (YYYY-MM-DD)."""
    day = _day(value)
    return None if day is None else query.where(Invoice.issue_date >= day)


def filter_issued_to(query: Select, value: str) -> Select | None:
    """Issued on or before a day (YYYY-MM-DD)."""
    day = _day(value)
    return None if day is None else query.where(Invoice.issue_date <= day)


def filter_search(query: Select, value: str) -> Select | None:
    """Invoice number or customer name containing ``value``, ignoring case.

    ``%`` and ``_`` typed by the user are matched literally (``autoescape``).
    """
    text = value[:SEARCH_MAX]
    customers = select(Customer.id).where(contains_text(Customer.name, text))
    return query.where(
        sa.or_(contains_text(Invoice.number, text), Invoice.customer_id.in_(customers))
    )


def contains_text(column: Any, text: str) -> sa.ColumnElement[bool]:
    """``column`` contains ``text``, ignoring case."""
    # SQLite's LIKE already ignores ASCII case, and its lower() folds nothing more: lower() on
    # both sides would only double the cost of a search, which scans every invoice number.
    if db.engine.dialect.name == "sqlite":
        return column.contains(text, autoescape=True)
    return column.icontains(text, autoescape=True)


EXPORT_FILTERS = {
    "failed": InvoiceExport.state == ExportState.FAILED,
    "difference": (InvoiceExport.state == ExportState.EXPORTED) & InvoiceExport.total_differs,
    "flagged": InvoiceExport.ledger_flag != "",
}


def filter_export(query: Select, value: str) -> Select | None:
    """``failed``: the last export to a ledger failed; ``difference``: the ledger booked
    another total than ours; ``flagged``: voided or deleted in the ledger (read by a sync)."""
    condition = EXPORT_FILTERS.get(value)
    if condition is None:
        return None
    matching = select(InvoiceExport.id).where(InvoiceExport.invoice_id == Invoice.id, condition)
    return query.where(matching.exists())


FILTERS: dict[str, FilterFunction] = {
    "q": filter_search,
    "status": filter_status,
    "customer": filter_customer,
    "batch": filter_batch,
    "from": filter_issued_from,
    "to": filter_issued_to,
    "export": filter_export,
}


# How the page names each filter it ignored, and what the value should have been
# ("Ignored: issued from “2026-02-30” is not a date."). The search understands any text.
IGNORED_WORDS: dict[str, tuple[str, str]] = {
    "status": ("status", one_of([*InvoiceStatus._value2member_map_, OVERDUE])),
    "customer": ("customer", "a customer id"),
    "batch": ("batch", "a batch id"),
    "from": ("issued from", "a date"),
    "to": ("issued to", "a date"),
    "export": ("export", one_of(EXPORT_FILTERS)),
}


def apply_filters(
    query: Select, args: MultiDict | dict[str, str], ignored: Ignored | None = None
) -> tuple[Select, dict[str, str]]:
    """``query`` narrowed by every filter in ``args`` it understands, and those filters' values;
    the others are noted in ``ignored``."""
    accepted: dict[str, str] = {}
    for name, narrow in FILTERS.items():
        raw = (args.get(name) or "").strip()
        narrowed = narrow(query, raw) if raw else None
        if narrowed is not None:
            query, accepted[name] = narrowed, raw
        elif raw and ignored is not None:
            label, expected = IGNORED_WORDS[name]
            ignored.add(label, raw, expected)
    return query, accepted


def read_filters(args: MultiDict, ignored: Ignored | None = None) -> dict[str, str]:
    """The filters of a query string that :data:`FILTERS` understands: name -> value; the
    others are noted in ``ignored``."""
    return apply_filters(select(Invoice.id), args, ignored)[1]


# Each sort key's columns; ties go to the invoice number, in the same direction.
SORTS: dict[str, tuple[Any, ...]] = {
    "number": (),
    "date": (Invoice.issue_date,),
    "customer": (Customer.name,),
    "total": (Invoice.total_minor,),
    "balance": (Invoice.owed_minor,),
    "status": (Invoice.status,),
    "due": (Invoice.due_date,),
}


@dataclass(frozen=True)
class Sort:
    """A column of :data:`SORTS` and a direction; ``str(sort)`` is its query-string form."""

    key: str
    descending: bool

    @classmethod
    def parse(cls, raw: str | None) -> "Sort":
        """``total`` (ascending) or ``-total`` (descending); anything else is the default."""
        raw = raw or DEFAULT_SORT
        descending = raw.startswith("-")
        key = raw[1:] if descending else raw
        return cls(key, descending) if key in SORTS else cls.parse(DEFAULT_SORT)

    @classmethod
    def read(cls, raw: str | None, ignored: Ignored) -> "Sort":
        """:meth:`parse`, noting in ``ignored`` a value it did not understand."""
        sort = cls.parse(raw)
        if raw and raw.strip() != str(sort):
            ignored.add("sort", raw, f"a column of the list ({one_of(SORTS)})")
        return sort

    def __str__(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    def toggled(self, key: str) -> str:
        """The query-string value of ``key``'s column header: flips the current column."""
        if key == self.key:
            return str(Sort(key, not self.descending))
        return key

    def order_by(self) -> list[sa.ColumnElement[Any]]:
        """The ORDER BY columns; numbers compare naturally (INV-10000 after INV-9999)."""
        columns = (*SORTS[self.key], func.length(Invoice.number), Invoice.number)
        return [column.desc() if self.descending else column.asc() for column in columns]


@dataclass(frozen=True)
class Page:
    """One page of invoices; whether a next one exists is known without counting them all."""

    invoices: list[sa.Row]  # of LIST_COLUMNS
    number: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        """Whether a page comes before this one."""
        return self.number > 1

    @property
    def first(self) -> int:
        """The position in the list of this page's first invoice (1-based)."""
        return (self.number - 1) * PAGE_SIZE + 1


# Only what a row shows, as plain rows: no ORM objects to build for a read-only list.
# blueprints.main.list_format.list_rows unpacks them in this order.
LIST_COLUMNS = (
    Invoice.id,
    Invoice.number,
    Invoice.issue_date,
    Invoice.due_date,
    Invoice.status,
    Invoice.currency,
    Invoice.total_minor,
    Invoice.owed_minor.label("owed_minor"),
    Invoice.is_partly_paid.label("partly_paid"),
    Customer.name.label("customer_name"),
    InvoiceBatch.id.label("batch_id"),
    InvoiceBatch.name.label("batch_name"),
)


def invoice_page(filters: dict[str, str], sort: Sort, number: int) -> Page:
    """Page ``number`` of the filtered invoices (rows of :data:`LIST_COLUMNS`), in one statement.

    Reads one row past the page (LIMIT 51) to know whether another page follows.
    """
    # Every invoice has a customer, so an outer join returns the same rows; SQLite keeps the left
    # table of an outer join first, so an index on the sort column streams the page instead of
    # a sort of the whole table. Sorting by customer name wants the customers first.
    base = select(*LIST_COLUMNS).select_from(Invoice)
    join = base.join if sort.key == "customer" else base.outerjoin
    query = join(Invoice.customer).outerjoin(Invoice.batch)
    query, _ = apply_filters(query, filters)
    offset = (number - 1) * PAGE_SIZE
    if sort.key == "balance":
        rows = _by_balance(query, sort, offset)
    else:
        query = query.order_by(*sort.order_by()).limit(PAGE_SIZE + 1)
        rows = db.session.execute(query.offset(offset)).all()
    return Page(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE)


def _by_balance(query: Select, sort: Sort, offset: int) -> list[sa.Row]:
    """The page's rows by balance without sorting every invoice (the balance has no index):
    only a Sent or Exported invoice with a balance owes anything, so the list is those, by
    balance, before (descending) or after every other invoice, by number; each part is read
    with an index, the second only when the page reaches it."""
    owing = sa.and_(Invoice.status.in_(OVERDUE_STATUSES), Invoice.balance_minor > 0)
    parts = [
        query.where(owing).order_by(*sort.order_by()),
        query.where(sa.not_(owing)).order_by(*Sort("number", sort.descending).order_by()),
    ]
    first, second = parts if sort.descending else parts[::-1]
    wanted = PAGE_SIZE + 1
    rows = db.session.execute(first.limit(wanted).offset(offset)).all()
    if len(rows) == wanted:
        return rows
    skip = 0
    if not rows:  # the page starts past the first part: by how much
        counted = select(func.count()).select_from(first.order_by(None).subquery())
        skip = max(0, offset - db.session.scalar(counted))
    return rows + db.session.execute(second.limit(wanted - len(rows)).offset(skip)).all()
