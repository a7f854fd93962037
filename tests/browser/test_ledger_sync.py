"""Two-way sync in a real Chromium (issue #16): an invoice exported to Xero is paid there, as a
Xero user would (the fake's control endpoint, over HTTP); "Sync now" on the Billing page makes
it Paid here, with the payment from Xero on its page."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa
from playwright.sync_api import expect

from billing.ledgers.export import export_invoices
from models import AccountingConnection, InvoiceExport, Provider, db
from tests.factories import make_customer, make_invoice, make_line
from tests.ledgers import connect

pytestmark = pytest.mark.browser


@pytest.fixture
def exported(live_app, xero):
    """A Sent invoice of a new customer, exported to a freshly connected Xero fake."""
    xero.reset()
    number = f"S-{uuid.uuid4().hex[:6].upper()}"
    with live_app.app_context():
        db.session.execute(sa.delete(AccountingConnection))  # tokens of an earlier fake
        db.session.commit()
        connect(Provider.XERO, xero)
        customer = make_customer(name=f"Sync {number}")
        invoice = make_invoice(
            customer,
            [make_line("Managed services", 45000)],
            number=number,
            issue_date=date(2026, 11, 2),
            due_date=date(2099, 12, 2),
            status="sent",
        )
        (outcome,) = export_invoices([invoice], Provider.XERO, None)
        assert outcome.ok, outcome.message
        db.session.commit()
        ledger_id = db.session.scalar(
            sa.select(InvoiceExport.external_id).where(InvoiceExport.invoice_id == invoice.id)
        )
        return invoice.id, number, ledger_id


def test_pay_in_xero_then_sync_now_shows_it_paid(page, login, xero, exported):
    invoice_id, number, ledger_id = exported
    paid = requests.post(
        f"{xero.url}/_fake/payment",
        json={"invoice_id": ledger_id, "amount": "450.00", "reference": "BANK-4711"},
        timeout=10,
    )
    assert paid.status_code == 200, paid.text
    assert Decimal(str(paid.json()["AmountDue"])) == 0

    login()
    page.goto(f"/billing?q={number}")
    row = page.locator("tbody tr", has_text=number)
    expect(row).to_contain_text("Exported")
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#flash")).to_contain_text("Synced with Xero: 1 change.")
    expect(page.locator("#flash")).to_contain_text(f"{number}: payment of $450.00 in Xero (")
    expect(page.locator("tbody tr", has_text=number)).to_contain_text("Paid")

    page.get_by_role("link", name=number).click()
    payments = page.locator("#invoice-payments")
    expect(payments).to_contain_text("BANK-4711")
    expect(payments).to_contain_text("From Xero")
    history = page.locator("#invoice-events")
    expect(history).to_contain_text("ref. BANK-4711), $450.00 on this invoice, recorded here")
    expect(history.locator("tr", has_text="Ledger payment")).to_contain_text("Xero")
