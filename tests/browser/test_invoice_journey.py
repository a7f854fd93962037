"""An invoice from the Billing page to Refunded, in a real Chromium, sent to a real SMTP server."""

import re
import uuid
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.factories import make_customer, make_invoice, make_line
from tests.smtp import running_smtp_server

pytestmark = pytest.mark.browser


@pytest.fixture
def smtp(live_app):
    with running_smtp_server() as mailbox:
        saved = {k: live_app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT")}
        live_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=mailbox.port)
        yield mailbox
        live_app.config.update(saved)


@pytest.fixture
def draft(live_app):
    number = f"T-{uuid.uuid4().hex[:6].upper()}"
    with live_app.app_context():
        customer = make_customer(name=f"Journey {number}", billing_emails="ap@journey.example")
        make_invoice(
            customer,
            [make_line("Setup", 10000)],
            number=number,
            issue_date=date(2026, 11, 2),
            due_date=date(2099, 12, 2),
            bill_to_emails=customer.billing_emails,
        )
        return number


def test_filter_open_add_a_line_send_pay_refund(page, login, smtp, draft):
    login()
    page.goto("/billing")
    page.locator('select[name="status"]:not(#bulk-status)').select_option("draft")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=draft"))
    page.get_by_role("link", name=draft).click()
    expect(page.get_by_role("heading", name=re.compile(draft))).to_be_visible()
    total = page.locator('[data-total="total"]')
    expect(total).to_have_text("$100.00")

    form = page.locator("#line-new")
    form.get_by_label("Description").fill("Extra cabling")
    form.get_by_label("Quantity").fill("2")
    form.get_by_label("Unit price").fill("25")
    url_before = page.url
    form.get_by_role("button", name="Add line").click()
    expect(total).to_have_text("$154.13")  # 2 x 25.00 + 8.25 % default tax, swapped in place
    assert page.url == url_before

    page.get_by_role("link", name="Send…").click()
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page).to_have_url(re.compile(r"/invoices/\d+$"))
    expect(page.locator("#flash")).to_contain_text("ap@journey.example")
    assert smtp.received and smtp.received[-1][1] == ["ap@journey.example"]

    page.goto(f"/billing?q={draft}")
    row = page.locator("tbody tr", has_text=draft)
    expect(row).to_contain_text("Sent")
    row.get_by_role("link", name=draft).click()
    page.locator('button[data-target-status="paid"]').click()
    page.wait_for_load_state("networkidle")
    page.reload()
    expect(page.locator('button[data-target-status="refunded"]')).to_be_visible()
    page.locator('button[data-target-status="refunded"]').click()
    page.wait_for_load_state("networkidle")
    page.goto(f"/billing?q={draft}")
    expect(page.locator("tbody tr", has_text=draft)).to_contain_text("Refunded")
