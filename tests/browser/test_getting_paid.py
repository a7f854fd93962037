"""Getting paid, in a real Chromium: a partial payment then the rest (Paid by itself), a credit
note by lines that lowers the balance, and the Receivables report followed to its invoices."""

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from clock import today
from models import InvoiceStatus
from tests.factories import make_customer, make_invoice, make_line

pytestmark = pytest.mark.browser


@pytest.fixture
def owed(live_app):
    """A customer with two Sent invoices, 18 days past due: $500.00, and $300.00 + $200.00."""
    tag = uuid.uuid4().hex[:6].upper()
    with live_app.app_context():
        late = today() - timedelta(days=18)
        customer = make_customer(name=f"Paying {tag}", billing_emails="ap@paying.example")
        common = dict(
            status=InvoiceStatus.SENT,
            issue_date=late - timedelta(days=14),
            due_date=late,
            bill_to_emails=customer.billing_emails,
        )
        paid = make_invoice(customer, [make_line("Managed services", 50000)],
                            number=f"P-{tag}", **common)  # fmt: skip
        credited = make_invoice(
            customer,
            [make_line("Firewall", 30000), make_line("On-site visit", 10000, 2)],
            number=f"C-{tag}",
            **common,
        )
        lines = {line.description: line.id for line in credited.lines}
        return {
            "customer": customer.name,
            "customer_id": customer.id,
            "paid": (paid.id, paid.number),
            "credited": (credited.id, credited.number),
            "visit_line": lines["On-site visit"],
        }


def _record_payment(page, invoice_id: int, amount: str) -> None:
    page.get_by_role("link", name="Record payment").click()
    form = page.get_by_role("form", name="Record payment")
    form.get_by_label("Amount", exact=True).fill(amount)
    form.locator(f'input[name="apply_{invoice_id}"]').fill(amount)
    form.get_by_role("button", name="Record payment").click()


def test_pay_in_two_parts_credit_by_lines_then_follow_the_aging(page, login, owed):
    login()
    paid_id, paid_number = owed["paid"]
    page.goto(f"/invoices/{paid_id}")
    balance = page.locator('[data-payment="balance"]')
    expect(balance).to_have_text("$500.00")

    _record_payment(page, paid_id, "120.00")
    expect(page.get_by_role("alert").or_(page.locator(".flash"))).to_contain_text(
        "Payment of $120.00 recorded"
    )
    expect(page.locator("[data-partly-paid]")).to_have_text("Partly paid")
    expect(balance).to_have_text("$380.00")
    expect(page.locator('[data-payment="paid"]')).to_have_text("$120.00")

    _record_payment(page, paid_id, "380.00")
    expect(balance).to_have_text("$0.00")
    expect(page.locator("[data-partly-paid]")).to_have_count(0)
    expect(page.locator(".badge", has_text=re.compile(r"^Paid$"))).to_be_visible()
    trail = page.locator("#invoice-events")
    expect(trail).to_contain_text(re.compile(r"Paid in full by payment #\d+"))

    credited_id, credited_number = owed["credited"]
    page.goto(f"/invoices/{credited_id}")
    expect(balance).to_have_text("$500.00")
    page.get_by_role("link", name="Issue credit note").click()
    form = page.get_by_role("form", name="Issue credit note")
    form.get_by_label("Chosen lines").check()
    form.locator(f'input[name="qty_{owed["visit_line"]}"]').fill("1")
    form.get_by_label("Reason").fill("One visit was billed twice")
    form.get_by_role("button", name="Issue credit note").click()
    expect(page.get_by_role("heading", name=re.compile(r"Credit note CN-\d+"))).to_be_visible()
    expect(page.locator("#content")).to_contain_text("$100.00")
    page.get_by_role("link", name=credited_number).first.click()
    expect(balance).to_have_text("$400.00")
    expect(page.locator('[data-payment="credited"]')).to_have_text("$100.00")

    page.get_by_role("link", name="Reports").click()
    row = page.locator(f'tr[data-customer-id="{owed["customer_id"]}"]')
    figure = row.locator('[data-bucket="1-30"] a')
    expect(figure).to_have_text("$400.00")  # the paid invoice is not owed any more
    figure.click()
    expect(page.locator("#drill-summary")).to_contain_text("1 invoice owed")
    expect(page.locator("#drill-summary")).to_contain_text("$400.00")
    listed = page.locator("table.aging-invoices")
    expect(listed).not_to_contain_text(paid_number)
    listed.get_by_role("link", name=credited_number).click()
    expect(page.get_by_role("heading", name=re.compile(credited_number))).to_be_visible()
