"""The Billing page shows a long filtered list's rows at once, then its totals (htmx, on load)."""

import uuid
from datetime import date

import pytest
from playwright.sync_api import expect

from models import InvoiceStatus, db
from tests.factories import build_invoice, make_customer

pytestmark = pytest.mark.browser


@pytest.fixture
def customer_with_55_invoices(live_app):
    tag = uuid.uuid4().hex[:6].upper()
    with live_app.app_context():
        customer = make_customer(name=f"Totals {tag}")
        db.session.add_all(
            build_invoice(
                customer,
                number=f"TT-{tag}-{n:02d}",
                issue_date=date(2026, 10, 1),
                due_date=date(2099, 1, 1),
                subtotal_minor=1000 * n,
                total_minor=1000 * n,
                status=InvoiceStatus.PAID,  # kept out of the other journeys' Draft lists
            )
            for n in range(1, 56)
        )
        db.session.commit()
        return customer.id


def test_the_totals_of_a_long_filtered_list_arrive_after_its_rows(
    page, login, customer_with_55_invoices
):
    login()
    page.goto(f"/billing?customer={customer_with_55_invoices}")
    expect(page.locator("#invoice-results tbody tr")).to_have_count(50)
    total = page.locator("#list-totals tr.list-total")
    # 10.00 x (1 + ... + 55); all Paid, so nothing owed.
    expect(total).to_have_text("Total USD · 55 invoices $15,400.00 $0.00")
    expect(page.locator("#invoice-results tbody tr")).to_have_count(50)  # rows left in place
