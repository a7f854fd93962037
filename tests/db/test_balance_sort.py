"""The Billing page sorted by balance, read in two index-friendly parts, gives exactly the rows
and pages of a plain ORDER BY on the balance, in both directions and with filters."""

from datetime import date

import pytest
import sqlalchemy as sa

from billing.invoices.listing import LIST_COLUMNS, PAGE_SIZE, Sort, apply_filters, invoice_page
from models import Customer, Invoice, InvoiceStatus, db

STATUSES = list(InvoiceStatus)


@pytest.fixture
def many(app):
    """130 invoices of every status; a third of the open ones partly paid, some credited."""
    customers = [Customer(name=f"Customer {n}", currency="USD") for n in range(3)]
    db.session.add_all(customers)
    for n in range(130):
        status = STATUSES[n % len(STATUSES)]
        total = 1000 * (n % 7) + 500
        open_ = status in (InvoiceStatus.SENT, InvoiceStatus.EXPORTED)
        paid = (
            total // 3 if open_ and n % 3 == 0 else (total if status == InvoiceStatus.PAID else 0)
        )
        db.session.add(Invoice(
            number=f"INV-{n + 1:04d}" if n % 10 else f"INV-{n + 1}", customer=customers[n % 3],
            status=status, issue_date=date(2026, 1, 1), due_date=date(2026, 2, 1),
            currency="USD", bill_to_name="x", subtotal_minor=total, total_minor=total,
            paid_minor=paid, credited_minor=100 if open_ and n % 4 == 0 else 0,
        ))  # fmt: skip
    db.session.commit()


def _plain(filters: dict[str, str], sort: Sort, number: int) -> list[int]:
    query = sa.select(*LIST_COLUMNS).select_from(Invoice).outerjoin(Invoice.customer)
    query, _ = apply_filters(query.outerjoin(Invoice.batch), filters)
    query = query.order_by(*sort.order_by()).limit(PAGE_SIZE + 1)
    return [row.id for row in db.session.execute(query.offset((number - 1) * PAGE_SIZE))]


@pytest.mark.parametrize("raw", ["balance", "-balance"])
@pytest.mark.parametrize("filters", [{}, {"status": "sent"}, {"q": "INV-00"}, {"status": "paid"}])
def test_every_page_is_the_plain_sorts(many, raw, filters):
    sort = Sort.parse(raw)
    for number in range(1, 5):
        page = invoice_page(filters, sort, number)
        expected = _plain(filters, sort, number)
        assert [row.id for row in page.invoices] == expected[:PAGE_SIZE], (raw, number)
        assert page.has_next == (len(expected) > PAGE_SIZE)
