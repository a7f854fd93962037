"""Billing last month from the demo data, in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _figure(page, name):
    return page.locator(f'[data-figure="{name}"]')


def test_build_last_month_exclude_a_ticket_save_and_land_on_invoices(page, login):
    login()
    page.get_by_role("link", name="Billing").click()
    page.get_by_role("link", name="New batch").click()
    expect(page.get_by_role("heading", name="New invoice batch")).to_be_visible()
    invoices = int(_figure(page, "invoices").inner_text())
    tickets = int(_figure(page, "tickets").inner_text())
    assert invoices > 3 and tickets > 3
    url_before = page.url

    contract = (
        page.locator("details.contract:not(.locked)")
        .filter(has=page.locator('input[name="ticket"]'))
        .first
    )
    contract.locator("summary").click()  # expand it
    first_ticket = contract.locator('input[name="ticket"]').first
    first_ticket.uncheck()
    expect(_figure(page, "tickets")).to_have_text(str(tickets - 1))  # htmx swapped the summary
    assert page.url == url_before

    page.get_by_role("button", name="Save batch").click()
    expect(page).to_have_url(re.compile(r"/batches/\d+$"))
    expect(page.get_by_text(re.compile(r"Batch .* \d+ invoices? saved"))).to_be_visible()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(invoices)
    expect(rows.first).to_contain_text("Draft")
