"""Receivables aging: what each customer owes on a day, per currency, by days past due.

An invoice is receivable on day D when it is not a Draft, was issued on or before D and was not
settled by then (``settled_on`` empty or after D). Its balance on D is its total less the
payment applications dated on or before D (signed: a release by a credit note is negative) and
less its credit notes issued on or before D; only a balance above zero is owed.

One statement reads the receivables: the invoices open now (Sent or Exported) plus those settled
after D (through ``ix_invoices_settled_on``), with the payments and credit notes summed for those
candidates only (through their invoice id indexes); the settled history is never read, so the
report stays as fast at 100,000 invoices as at 1,000 (``bench/aging.py``). The buckets are made
here, from those rows (``age``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from billing.errors import ValidationFailed
from billing.wording import one_of
from models import (
    OVERDUE_STATUSES,
    SETTLED_STATUSES,
    CreditNote,
    Customer,
    Invoice,
    PaymentApplication,
    db,
)

# (key, label, most days past due): each bucket holds the days above the previous one's most.
BUCKETS = (
    ("current", "Current", 0),
    ("1-30", "1–30 days", 30),
    ("31-60", "31–60 days", 60),
    ("61-90", "61–90 days", 90),
    ("over-90", "Over 90 days", None),
)
BUCKET_KEYS = tuple(key for key, _, _ in BUCKETS)
BUCKET_LABELS = {key: label for key, label, _ in BUCKETS}


def bucket_of(days_past_due: int) -> str:
    """The bucket of an invoice ``days_past_due`` days late (0 or less: due today or later,
    "current")."""
    for key, _, most in BUCKETS:
        if most is None or days_past_due <= most:
            return key
    raise AssertionError("the last bucket has no bound")  # pragma: no cover


def check_bucket(key: str, *, field: str = "bucket") -> str:
    """``key`` if it names a bucket (or is "total", all of them).

    :raise ValidationFailed: anything else.
    """
    if key in BUCKET_KEYS or key == "total":
        return key
    raise ValidationFailed(f"Choose a bucket: {one_of((*BUCKET_KEYS, 'total'))}.", field)


def due_between(as_of: date, key: str) -> tuple[date | None, date | None]:
    """The due dates (earliest, latest; None: unbounded) of the invoices in bucket ``key`` on
    ``as_of``: what the drill-down asks the database for."""
    if key == "total":
        return None, None
    position = BUCKET_KEYS.index(key)
    most = BUCKETS[position][2]
    fewest = BUCKETS[position - 1][2] + 1 if position else None
    earliest = as_of - timedelta(days=most) if most is not None else None
    latest = as_of - timedelta(days=fewest) if fewest is not None else None
    return earliest, latest


@dataclass(frozen=True)
class OpenInvoice:
    """An invoice owed on the report's day, with its balance on that day."""

    id: int
    number: str
    customer_id: int
    customer_name: str
    currency: str
    issue_date: date
    due_date: date
    total_minor: int
    balance_minor: int

    def days_past_due(self, as_of: date) -> int:
        """Days late on ``as_of`` (0 or less: not yet due)."""
        return (as_of - self.due_date).days


@dataclass
class AgingRow:
    """One customer's receivables in one currency, per bucket."""

    customer_id: int
    customer_name: str
    currency: str
    amounts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKET_KEYS, 0))
    invoices: int = 0

    @property
    def total_minor(self) -> int:
        """The customer's balance in this currency, all buckets."""
        return sum(self.amounts.values())


@dataclass
class CurrencyAging:
    """The receivables in one currency: a row per customer, the totals per bucket."""

    currency: str
    rows: list[AgingRow] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKET_KEYS, 0))

    @property
    def total_minor(self) -> int:
        """All that is owed in this currency."""
        return sum(self.totals.values())

    def bars(self) -> list[tuple[str, str, int, float]]:
        """The chart: (bucket, label, amount, share of the largest bucket, 0 to 1)."""
        largest = max(self.totals.values(), default=0) or 1
        return [
            (k, BUCKET_LABELS[k], self.totals[k], self.totals[k] / largest) for k in BUCKET_KEYS
        ]


@dataclass
class AgingReport:
    """The receivables on ``as_of``, per currency (never added across currencies)."""

    as_of: date
    currencies: list[CurrencyAging]

    @property
    def rows(self) -> list[AgingRow]:
        """Every customer and currency row, currency by currency."""
        return [row for group in self.currencies for row in group.rows]

    def page(self, number: int) -> RowPage:
        """The customer rows of page ``number`` (see :func:`page_of`), in the order of
        :attr:`rows`; the totals always cover every row."""
        return page_of(self.rows, number)


def page_of(items: list, number: int) -> RowPage:
    """Page ``number`` of ``items``, ``ROWS_PER_PAGE`` a page (the last page if beyond)."""
    pages = max(1, -(-len(items) // ROWS_PER_PAGE))
    number = min(max(number, 1), pages)
    start = (number - 1) * ROWS_PER_PAGE
    return RowPage(number, pages, len(items), items[start : start + ROWS_PER_PAGE])


ROWS_PER_PAGE = 50  # rows: a page of 1,000 customers' figures would take long to draw


@dataclass
class RowPage:
    """One page of rows (customers, or the drill-down's invoices): the pager's
    ``pagination``."""

    page: int
    pages: int
    total: int
    rows: list

    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.page < self.pages)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)

    @property
    def first(self) -> int:
        """The position of the page's first row (from 1)."""
        return (self.page - 1) * ROWS_PER_PAGE + 1

    def of(self, currency: str) -> list[AgingRow]:
        """The page's rows in ``currency``."""
        return [row for row in self.rows if row.currency == currency]


def age(invoices: Iterable[OpenInvoice], as_of: date) -> AgingReport:
    """The report from the invoices owed on ``as_of``: per currency (alphabetical), a row per
    customer (by name), each balance in the bucket of its days past due."""
    groups: dict[str, CurrencyAging] = {}
    rows: dict[tuple[str, int], AgingRow] = {}
    for invoice in invoices:
        if invoice.balance_minor <= 0:
            continue
        key = bucket_of(invoice.days_past_due(as_of))
        group = groups.setdefault(invoice.currency, CurrencyAging(invoice.currency))
        row = rows.get((invoice.currency, invoice.customer_id))
        if row is None:
            row = AgingRow(invoice.customer_id, invoice.customer_name, invoice.currency)
            rows[(invoice.currency, invoice.customer_id)] = row
            group.rows.append(row)
        row.amounts[key] += invoice.balance_minor
        row.invoices += 1
        group.totals[key] += invoice.balance_minor
    for group in groups.values():
        group.rows.sort(key=lambda r: (r.customer_name.casefold(), r.customer_id))
    return AgingReport(as_of, [groups[c] for c in sorted(groups)])


def aging_report(as_of: date) -> AgingReport:
    """The receivables on ``as_of`` (one statement)."""
    return age(open_invoices(as_of), as_of)


def open_invoices(
    as_of: date,
    customer_id: int | None = None,
    currency: str | None = None,
    bucket: str = "total",
) -> list[OpenInvoice]:
    """The invoices owed on ``as_of`` with their balance on that day, oldest due first;
    narrowed to a customer, a currency and a bucket for the drill-down."""
    candidates = _candidates(as_of, customer_id, currency, due_between(as_of, bucket))
    # Summed per candidate, through (invoice_id, applied_on) and the credit notes' invoice_id:
    # only the candidates' rows are read, however many payments the history holds.
    paid = (
        sa.select(sa.func.coalesce(sa.func.sum(PaymentApplication.amount_minor), 0))
        .where(
            PaymentApplication.invoice_id == candidates.c.id,
            PaymentApplication.applied_on <= as_of,
        )
        .scalar_subquery()
    )
    credited = (
        sa.select(sa.func.coalesce(sa.func.sum(CreditNote.total_minor), 0))
        .where(CreditNote.invoice_id == candidates.c.id, CreditNote.issue_date <= as_of)
        .scalar_subquery()
    )
    query = sa.select(
        candidates.c.id,
        candidates.c.number,
        candidates.c.customer_id,
        Customer.name,
        candidates.c.currency,
        candidates.c.issue_date,
        candidates.c.due_date,
        candidates.c.total_minor,
        (candidates.c.total_minor - paid - credited).label("balance"),
    ).join(Customer, Customer.id == candidates.c.customer_id)  # fmt: skip
    # Still owing, in order: done here, on the few candidates, because an ORDER BY tempts
    # SQLite (whose statistics know no skew) into reading the whole history through
    # ix_invoices_due_date_status.
    rows = (OpenInvoice(*row) for row in db.session.execute(query))
    owed = [i for i in rows if i.balance_minor > 0]
    return sorted(owed, key=lambda i: (i.due_date, i.id))


def _candidates(
    as_of: date,
    customer_id: int | None,
    currency: str | None,
    due: tuple[date | None, date | None],
) -> sa.CTE:
    """The invoices that may be owed on ``as_of``: issued by then, and open now or settled
    after it. Two selects, each served by an index (status; ``settled_on``),
    rather than an OR that a planner may answer with a scan of the whole history."""
    columns = (
        Invoice.id, Invoice.number, Invoice.customer_id, Invoice.currency,
        Invoice.issue_date, Invoice.due_date, Invoice.total_minor,
    )  # fmt: skip
    on_sqlite = db.session.get_bind().dialect.name == "sqlite"
    # SQLite would read a bound on the issue date through ix_invoices_issue_date (the whole
    # history); the same test through coalesce() is one that no index serves.
    issued = sa.func.coalesce(Invoice.issue_date, Invoice.issue_date) if on_sqlite else None
    common = [(issued if issued is not None else Invoice.issue_date) <= as_of]
    if customer_id is not None:
        common.append(Invoice.customer_id == customer_id)
    if currency is not None:
        common.append(Invoice.currency == currency)
    earliest, latest = due
    if earliest is not None:
        common.append(Invoice.due_date >= earliest)
    if latest is not None:
        common.append(Invoice.due_date <= latest)
    open_now = sa.select(*columns).where(_open_now(on_sqlite), *common)
    settled_later = sa.select(*columns).where(
        Invoice.status.in_(SETTLED_STATUSES), Invoice.settled_on > as_of, *common
    )
    return sa.union_all(open_now, settled_later).cte("candidates")


def _open_now(on_sqlite: bool) -> sa.ColumnElement[bool]:
    """Sent or Exported. PostgreSQL knows from its statistics that few invoices are, and reads
    them through a status index; SQLite's statistics say "half the rows per status" whatever
    the skew and would read the whole history, so there the open ones are found by id in the
    covering (status, ...) index first (on PostgreSQL that form hashes the whole table)."""
    if not on_sqlite:
        return Invoice.status.in_(OVERDUE_STATUSES)
    by_status = Invoice.__table__.alias("open_by_status")
    return Invoice.id.in_(sa.select(by_status.c.id).where(by_status.c.status.in_(OVERDUE_STATUSES)))
