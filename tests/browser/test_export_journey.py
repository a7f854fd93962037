"""Connect Xero from the Accounting page (the fake's real OAuth redirects), map it, and export
an invoice from the Billing page, in a real Chromium."""

import re
import uuid
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.factories import make_customer, make_invoice, make_line

pytestmark = pytest.mark.browser


@pytest.fixture
def sent_invoice(live_app, xero):
    """A Sent invoice of a new customer, and the Xero fake emptied."""
    xero.reset()
    number = f"X-{uuid.uuid4().hex[:6].upper()}"
    with live_app.app_context():
        customer = make_customer(name=f"Export {number}")
        line = make_line("Server migration", 12014, Decimal("3.5"), amount_minor=42050)
        make_invoice(
            customer,
            [line],
            number=number,
            issue_date=date(2026, 11, 2),
            due_date=date(2099, 12, 2),
            status="sent",
        )
    return number


def test_connect_xero_map_and_export_from_the_billing_page(page, login, xero, sent_invoice):
    login()
    page.goto("/admin/accounting")
    page.get_by_role("button", name="Connect Xero").click()  # fake approves, comes back
    expect(page.locator("#flash")).to_contain_text("Xero is connected to")
    xero_card = page.locator("#ledger-xero")
    expect(xero_card).to_contain_text("Map before exporting")

    xero_card.get_by_role("link", name="Map items and taxes").click()
    page.get_by_label("Sales account for every line").select_option("200")
    for select in page.locator('select[name^="tax__"]').all():
        select.select_option("NONE" if select.get_attribute("name") == "tax__none" else "OUTPUT2")
    page.get_by_role("button", name="Save mapping").click()
    expect(page.locator("#flash")).to_contain_text("The Xero mapping is saved.")
    expect(page.locator("#ledger-xero")).to_contain_text("Mapping complete.")

    page.goto(f"/billing?q={sent_invoice}")
    row = page.locator("tbody tr", has_text=sent_invoice)
    expect(row).to_contain_text("Sent")
    row.get_by_label(f"Select {sent_invoice}").check()
    page.get_by_role("button", name="Export to Xero").click()
    expect(page.locator("#flash")).to_contain_text("1 invoice exported to Xero")
    page.goto(f"/billing?q={sent_invoice}")
    expect(page.locator("tbody tr", has_text=sent_invoice)).to_contain_text("Exported")

    (copy,) = xero.invoices()
    assert copy["InvoiceNumber"] == sent_invoice
    assert Decimal(str(copy["Total"])) == Decimal("420.50")
    page.get_by_role("link", name=sent_invoice).click()
    expect(page.locator("body")).to_contain_text(re.compile(rf"In Xero as {sent_invoice}"))
