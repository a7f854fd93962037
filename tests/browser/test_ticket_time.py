"""Time on a ticket, inline: add, edit and delete an entry while the totals follow, no reloads."""

import uuid
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.factories import make_contract, make_customer, make_product, make_rate, make_ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def ticket_id(live_app) -> int:
    """A ticket of its own (the live app is shared by the browser tests), at 100.00 an hour."""
    tag = uuid.uuid4().hex[:8]
    with live_app.app_context():
        customer = make_customer(name=f"Browser customer {tag}")
        rate = make_rate(name=f"Standard {tag}", hourly_price_minor=10000)
        contract = make_contract(customer, rates=[rate], start_date=date(2020, 1, 1))
        return make_ticket(contract, title=f"Printer on fire {tag}").id


def test_add_edit_and_delete_time_inline_while_the_totals_follow(page, login, ticket_id):
    login()
    page.goto(f"/tickets/{ticket_id}")
    url = page.url
    totals = page.locator("#ticket-totals")
    hours, value = totals.locator('[data-total="hours"]'), totals.locator('[data-total="value"]')
    expect(hours).to_have_text("0:00")
    empty = page.get_by_text("No time recorded yet.")
    expect(empty).to_be_visible()
    # a marker that a full page load would wipe out
    page.evaluate("window.__same_page = true")

    add = page.get_by_role("form", name="Add time")
    add.get_by_label("Duration").fill("1:30")
    add.get_by_label("Note").fill("Replaced the fuser")
    add.get_by_role("button", name="Add time").click()

    rows = page.locator("#time-entries tbody tr[id^='time-entry-']")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Replaced the fuser")
    expect(empty).to_be_hidden()
    expect(hours).to_have_text("1:30")
    expect(value).to_have_text("$150.00")
    expect(page.get_by_role("form", name="Add time").get_by_label("Duration")).to_have_value("")

    rows.first.get_by_role("link", name="Edit").click()
    edit = page.get_by_role("form", name="Edit time entry")
    expect(edit.get_by_label("Duration")).to_have_value("1:30")
    edit.get_by_label("Duration").fill("45m")
    edit.get_by_role("button", name="Save").click()
    expect(edit).to_have_count(0)
    expect(rows.first).to_contain_text("0:45")
    expect(hours).to_have_text("0:45")
    expect(value).to_have_text("$75.00")

    page.once("dialog", lambda dialog: dialog.accept())
    rows.first.get_by_role("button", name="Delete").click()
    expect(rows).to_have_count(0)
    expect(empty).to_be_visible()
    expect(hours).to_have_text("0:00")
    expect(value).to_have_text("$0.00")

    assert page.url == url
    assert page.evaluate("window.__same_page") is True, "the page was reloaded"


def test_after_adding_time_the_keyboard_is_back_in_the_add_form(page, login, ticket_id):
    login()
    page.goto(f"/tickets/{ticket_id}")
    expect(page.get_by_role("form", name="Add time").get_by_label("Date")).not_to_be_focused()
    add = page.get_by_role("form", name="Add time")
    add.get_by_label("Duration").fill("0:30")
    add.get_by_label("Duration").press("Enter")  # submitted from the keyboard
    expect(page.locator("#time-entries tbody tr[id^='time-entry-']")).to_have_count(1)
    fresh = page.get_by_role("form", name="Add time")
    expect(fresh.get_by_label("Duration")).to_have_value("")  # the blank form swapped in...
    expect(fresh.get_by_label("Date")).to_be_focused()  # ...has the keyboard, on its first field


def test_invalid_duration_shows_the_message_beside_the_field(page, login, ticket_id):
    login()
    page.goto(f"/tickets/{ticket_id}")
    add = page.get_by_role("form", name="Add time")
    add.get_by_label("Duration").fill("25h")
    add.get_by_role("button", name="Add time").click()
    add = page.get_by_role("form", name="Add time")
    expect(add.locator(".error")).to_contain_text("at most 24 hours")
    expect(add.get_by_label("Duration")).to_have_value("25h")
    expect(page.locator("#ticket-totals [data-total='hours']")).to_have_text("0:00")


def test_new_ticket_offers_the_chosen_customers_contracts(page, login, live_app):
    tag = uuid.uuid4().hex[:8]
    with live_app.app_context():
        customer = make_customer(name=f"Aardvark {tag}")
        make_contract(customer, name=f"Projects {tag}")
        default = make_contract(customer, name=f"Support {tag}", is_default=True)
        default_id = str(default.id)
    login()
    page.goto("/tickets/new")
    page.get_by_label("Customer").select_option(label=f"Aardvark {tag}")
    contract = page.get_by_label("Contract")
    expect(contract).to_have_value(default_id)  # swapped in by htmx, its default chosen
    expect(contract.locator("option")).to_have_count(3)  # placeholder + two contracts
    page.get_by_label("Title").fill(f"Wi-Fi drops {tag}")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_role("heading", name=f"Wi-Fi drops {tag}")).to_be_visible()
    expect(page.get_by_text(f"Support {tag}")).to_be_visible()


def test_choosing_a_product_fills_its_price(page, login, ticket_id, live_app):
    tag = uuid.uuid4().hex[:8]
    with live_app.app_context():
        make_product(name=f"Dock {tag}", unit_price_minor=12900)
    login()
    page.goto(f"/tickets/{ticket_id}")
    add = page.get_by_role("form", name="Add product or expense")
    add.get_by_label("Product").select_option(label=f"Dock {tag} ($129.00)")
    expect(add.get_by_label("Unit price (USD)")).to_have_value("129.00")
    add.get_by_label("Quantity").fill("2")
    add.get_by_role("button", name="Add").click()
    expect(page.locator("#expenses tbody")).to_contain_text(f"Dock {tag}")
    expect(page.locator("#ticket-totals [data-total='expenses']")).to_have_text("$258.00")
