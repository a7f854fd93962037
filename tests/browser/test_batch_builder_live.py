"""The batch builder in a real Chromium: every figure follows the ticks, the detail level
changes live and keeps what was left out, and saving creates what the builder showed.

(Runs before test_batch_journey in its worker: it bills one customer only, leaving the others.)
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _figure(page, name):
    return page.locator(f'[data-figure="{name}"]')


def test_exclusions_survive_a_live_detail_change_and_saving_matches(page, login):
    login()
    page.goto("/batches/new")
    contract = (
        page.locator("details.contract:not(.locked)")
        .filter(has=page.locator('input[name="ticket"]:nth-of-type(1)'))
        .filter(has_text="Time and materials")
        .first
    )
    customer = contract.locator("summary strong").inner_text()
    page.get_by_label("Customers").select_option(label=customer)
    page.get_by_role("button", name="Show").click()
    card = (
        page.locator("details.contract:not(.locked)")
        .filter(has_text=customer)
        .filter(has=page.locator('input[name="ticket"]'))
        .first
    )
    card.locator("summary").click()
    tickets = card.locator('input[name="ticket"]')
    assert tickets.count() >= 2
    amount = card.locator(".amount")
    before = amount.inner_text()
    left_out = tickets.first.locator("xpath=..").inner_text().strip().split()[0]  # "#12"
    tickets.first.uncheck()
    expect(amount).not_to_have_text(before)  # the contract's own figure follows the untick
    expect(card.locator(".contract-lines")).not_to_contain_text(left_out + " ")
    after = amount.inner_text()

    page.get_by_label("Detail on invoices").select_option("time_entry")
    lines = card.locator(".contract-lines")
    expect(lines).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}"))  # a line per time entry
    expect(lines).not_to_contain_text(left_out + " ")  # still left out
    expect(tickets.first).not_to_be_checked()
    expect(amount).to_have_text(after)
    invoices = int(_figure(page, "invoices").inner_text())

    page.get_by_role("button", name="Save batch").click()
    expect(page).to_have_url(re.compile(r"/batches/\d+$"))
    rows = page.locator("tbody tr")
    totals = [rows.nth(i).locator("td.num").inner_text() for i in range(rows.count())]
    assert len(totals) == invoices  # as many invoices as the builder said
    assert after in totals, (after, totals)  # the contract's invoice at the figure it showed
