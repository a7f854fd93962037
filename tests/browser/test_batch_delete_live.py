"""Deleting an exported batch in a real Chromium: the confirmation names the ledger and the
invoices, and the fake Xero then holds the copies deleted.

(Runs before test_batch_journey in its worker: it bills one customer only, leaving the others,
and disconnects Xero again at the end.)
"""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models import AccountingConnection, Provider, db
from tests.ledgers import connect, open_currencies

pytestmark = pytest.mark.browser


@pytest.fixture
def xero_connected(live_app, xero):
    """The live app connected to a fresh Xero fake, mapped; disconnected afterwards."""
    xero.reset()
    open_currencies(Provider.XERO, xero, {"USD", "CAD"})
    with live_app.app_context():
        connect(Provider.XERO, xero)
    yield xero
    with live_app.app_context():
        db.session.execute(sa.delete(AccountingConnection))
        db.session.commit()


def test_delete_an_exported_batch_and_the_copies_go_in_xero(page, login, xero_connected):
    xero = xero_connected
    login()
    page.goto("/batches/new")
    card = (
        page.locator("details.contract:not(.locked)")
        .filter(has=page.locator('input[name="ticket"]'))
        .first
    )
    customer = card.locator("summary strong").inner_text()
    page.get_by_label("Customers").select_option(label=customer)
    page.get_by_role("button", name="Show").click()
    page.get_by_role("button", name="Save batch").click()
    expect(page).to_have_url(re.compile(r"/batches/\d+$"))
    expect(page.get_by_text(re.compile(r"invoices? saved; \d+ exported to Xero"))).to_be_visible()
    numbers = page.locator("tbody tr td:first-child").all_inner_texts()
    assert numbers and {i["InvoiceNumber"] for i in xero.invoices()} == set(numbers)

    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Delete batch").click()
    expect(page.get_by_text(re.compile(r"ledger cop(y|ies) voided or deleted"))).to_be_visible()
    assert asked and "will be voided or deleted in Xero" in asked[0]
    assert all(number in asked[0] for number in numbers)
    statuses = {i["InvoiceNumber"]: i["Status"] for i in xero.invoices()}
    assert statuses == {number: "DELETED" for number in numbers}  # drafts there: deleted
