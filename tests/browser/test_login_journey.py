"""A person logs in, finds the navigation, and logs out, in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_admin_logs_in_sees_navigation_and_logs_out(page, login):
    page.goto("/customers")
    expect(page).to_have_url(re.compile(r"/auth/login"))
    login()
    expect(page).to_have_url(re.compile(r"/customers$"))  # back where they were going
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Billing", "Customers", "Contracts", "Tickets", "Admin"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    assert page.evaluate("typeof htmx") == "object", "htmx is served from static/ and loads"
    nav.get_by_role("link", name="Billing").click()
    expect(page.get_by_role("heading", name="Billing")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    page.goto("/billing")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_wrong_password_shows_message_beside_the_field(page, login):
    login(password="not the password")
    expect(page.get_by_text("Wrong email or password")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)


def test_technician_sees_no_admin_link_and_is_refused_admin_pages(page, login):
    login("tech@example.com")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Tickets")).to_be_visible()
    expect(nav.get_by_role("link", name="Admin")).to_have_count(0)
    response = page.goto("/admin/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
