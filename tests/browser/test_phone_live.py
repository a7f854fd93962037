"""On a phone (390 x 844) in a real Chromium, under the Content-Security-Policy: the menu reaches
every entry, the Billing page, an invoice and the batch builder are usable without sideways
scrolling; the skip link, the bulk confirmations and Back on the Billing page's filters."""

import re
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models import Invoice, InvoiceStatus, TaxRate, db
from tests.conftest import TEST_PASSWORD
from tests.factories import build_invoice, make_customer, make_line

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MENU = ["Billing", "Reports", "Customers", "Contracts", "Tickets", "Admin"]


@pytest.fixture
def csp_errors() -> list[str]:
    return []


@pytest.fixture
def phone(browser, live_server, csp_errors):
    """A logged-in admin's phone; every console message about the CSP is collected."""
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and csp_errors.append(message.text)
        ),
    )
    page.goto("/auth/login")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Billing")).to_be_visible()
    yield page
    context.close()
    assert csp_errors == []


@pytest.fixture
def drafts(live_app):
    """Three Drafts of a new customer, each with one line: (customer id, tag, invoice ids)."""
    tag = uuid.uuid4().hex[:6].upper()
    with live_app.app_context():
        customer = make_customer(name=f"Phone {tag}")
        invoices = [
            build_invoice(
                customer,
                [make_line(f"Setup {n}", 10000)],
                number=f"PH-{tag}-{n}",
                issue_date=date(2026, 10, 1),
                due_date=date(2099, 1, 1),
                status=InvoiceStatus.DRAFT,
            )
            for n in (1, 2, 3)
        ]
        db.session.add_all(invoices)
        db.session.commit()
        return customer.id, tag, [invoice.id for invoice in invoices]


def no_sideways_scroll(page) -> None:
    # Measured once the stylesheet has loaded: a page measured before it is as wide as its
    # unstyled tables (a race seen as "/tickets is 598 px wide").
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def within_screen(locator) -> None:
    box = locator.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def test_the_menu_reaches_every_entry_and_log_out(phone):
    menu_button = phone.locator("#main-menu > summary")
    expect(menu_button).to_have_text(re.compile("Menu"))
    expect(phone.get_by_role("link", name="Tickets")).to_be_hidden()  # folded away
    no_sideways_scroll(phone)
    for entry in MENU:
        menu_button.click()
        link = phone.get_by_role("navigation", name="Main").get_by_role("link", name=entry)
        expect(link).to_be_visible()
        within_screen(link)
        link.click()
        expect(phone.locator('#main-menu a[aria-current="page"]')).to_have_text(entry)  # arrived
        expect(phone.locator("h1").first).to_be_visible()
        no_sideways_scroll(phone)
    menu_button.click()
    within_screen(phone.get_by_role("link", name="Ada Admin"))
    log_out = phone.get_by_role("button", name="Log out")
    within_screen(log_out)
    log_out.click()
    expect(phone.get_by_role("button", name="Log in")).to_be_visible()


def test_the_skip_link_is_the_first_stop_and_jumps_to_the_content(phone):
    phone.goto("/billing")
    phone.keyboard.press("Tab")
    skip = phone.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["y"] >= 0  # shown once focused
    phone.keyboard.press("Enter")
    expect(phone).to_have_url(re.compile("#content$"))
    assert phone.evaluate("document.activeElement.id") == "content"


def test_billing_fits_its_table_scrolls_and_bulk_actions_ask_first(phone, drafts, live_app):
    _, tag, ids = drafts
    phone.goto(f"/billing?q=PH-{tag}")
    rows = phone.locator("#invoice-results tbody tr")
    expect(rows).to_have_count(3)
    no_sideways_scroll(phone)
    scroll = phone.locator("#invoice-results .table-scroll")
    assert scroll.evaluate("box => box.scrollWidth > box.clientWidth")  # scrolls in its own box
    within_screen(scroll)

    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    phone.on("dialog", dismiss)
    rows.nth(0).locator('input[name="ids"]').check()
    rows.nth(1).locator('input[name="ids"]').check()
    send = phone.get_by_role("button", name="Send", exact=True)
    within_screen(send)
    send.click()
    assert asked == ["Send 2 invoices by email?"]
    phone.locator("#bulk-status").select_option("paid")
    phone.get_by_role("button", name="Change status").click()
    assert asked[1:] == ["Change 2 invoices to Paid?"]
    expect(rows.filter(has_text="Draft")).to_have_count(3)  # dismissed: nothing changed
    with live_app.app_context():
        assert {db.session.get(Invoice, i).status for i in ids} == {InvoiceStatus.DRAFT}

    phone.remove_listener("dialog", dismiss)
    phone.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    phone.locator('thead input[type="checkbox"]').check()  # select all
    phone.get_by_role("button", name="Change status").click()
    expect(phone.locator("#flash")).to_contain_text("3 invoices changed to Paid")
    assert asked[-1] == "Change 3 invoices to Paid?"
    with live_app.app_context():
        assert {db.session.get(Invoice, i).status for i in ids} == {InvoiceStatus.PAID}


def test_back_restores_the_filters_of_the_list_shown(phone, drafts):
    customer_id, tag, _ = drafts
    phone.goto(f"/billing?q=PH-{tag}")
    status = phone.locator("#billing-filters select[name=status]")
    customer = phone.locator("#billing-filters select[name=customer]")
    status.select_option("draft")
    expect(phone).to_have_url(re.compile(r"status=draft"))
    customer.select_option(str(customer_id))
    expect(phone).to_have_url(re.compile(rf"customer={customer_id}"))
    status.select_option("paid")
    expect(phone).to_have_url(re.compile(r"status=paid"))
    expect(phone.locator("#invoice-results")).to_contain_text("No invoice matches these filters")

    phone.go_back()
    expect(phone).to_have_url(
        re.compile(rf"status=draft.*customer={customer_id}|customer={customer_id}.*status=draft")
    )
    expect(phone.locator("#invoice-results tbody tr")).to_have_count(3)
    expect(status).to_have_value("draft")
    expect(customer).to_have_value(str(customer_id))
    phone.go_back()
    expect(phone).not_to_have_url(re.compile(r"customer="))
    expect(status).to_have_value("draft")
    expect(customer).to_have_value("")
    phone.go_back()
    expect(phone).not_to_have_url(re.compile(r"status="))
    expect(status).to_have_value("")
    expect(phone.locator("#billing-filters input[name=q]")).to_have_value(f"PH-{tag}")


def test_an_invoice_can_be_read_and_edited_on_a_phone(phone, drafts):
    _, tag, ids = drafts
    phone.goto(f"/invoices/{ids[0]}")
    expect(phone.get_by_role("heading", name=re.compile(f"PH-{tag}-1"))).to_be_visible()
    no_sideways_scroll(phone)
    for name in ("Download PDF", "Print", "Send…"):
        within_screen(
            phone.get_by_role("link", name=name).or_(phone.get_by_role("button", name=name))
        )
    line = phone.locator("tr.line", has_text="Setup 1")
    line.get_by_role("link", name="Edit").click()
    form = phone.get_by_role("form", name="Edit line")
    expect(form).to_be_visible()
    no_sideways_scroll(phone)
    within_screen(form)
    form.get_by_label("Quantity").fill("3")
    save = form.get_by_role("button", name="Save")
    within_screen(save)
    save.click()
    expect(phone.locator('[data-total="subtotal"]')).to_have_text("$300.00")
    expect(phone.locator("tr.line", has_text="Setup 1")).to_contain_text("$300.00")
    add = phone.get_by_role("form", name="Add a line")
    within_screen(add)
    within_screen(add.get_by_role("button", name="Add line"))
    no_sideways_scroll(phone)


def test_the_batch_builder_works_on_a_phone(phone):
    phone.goto("/batches/new")
    contract = (
        phone.locator("details.contract:not(.locked)")
        .filter(has=phone.locator('input[name="contract"]'))
        .first
    )
    expect(contract).to_be_visible()
    no_sideways_scroll(phone)
    invoices = phone.locator('[data-figure="invoices"]')
    before = int(invoices.inner_text())
    box = contract.locator('input[name="contract"]')
    within_screen(box)
    box.uncheck()
    expect(invoices).to_have_text(str(before - 1))  # the summary follows the tick
    box.check()
    expect(invoices).to_have_text(str(before))
    contract.locator("summary strong").click()
    expect(contract.locator(".contract-lines")).to_be_visible()
    no_sideways_scroll(phone)
    phone.get_by_label("Detail on invoices").select_option("ticket")
    expect(contract.locator(".contract-lines")).to_contain_text("#")
    no_sideways_scroll(phone)
    within_screen(phone.get_by_role("button", name="Save batch"))
    within_screen(phone.get_by_role("button", name="Show"))


def test_a_wide_screen_shows_the_menu_without_a_button(page, login):
    login()
    expect(page.locator("#main-menu > summary")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    for entry in MENU:
        expect(nav.get_by_role("link", name=entry)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_customer_and_the_receivables_read_on_a_phone_without_scrolling_sideways(phone, drafts):
    customer_id, tag, _ = drafts
    phone.goto(f"/customers/{customer_id}")
    no_sideways_scroll(phone)
    # The invoices stack, each figure on the screen rather than in a box scrolled sideways.
    first = phone.locator("#customer-invoices ~ div tr[id^=invoice-]").first
    expect(first).to_contain_text(f"PH-{tag}")
    within_screen(first.locator("[data-balance]"))
    within_screen(first.locator("td[data-label=Due]"))
    phone.goto("/reports/receivables")
    expect(phone.get_by_role("heading", name="Receivables")).to_be_visible()
    no_sideways_scroll(phone)


def test_the_e_invoicing_forms_fit_a_phone(phone, drafts, live_app):
    customer_id, _, _ = drafts
    with live_app.app_context():
        tax_id = db.session.scalar(sa.select(TaxRate.id).order_by(TaxRate.id))
    # The tax form's exemption codes have long labels: the select must not widen the page.
    for path in ("/admin/settings", f"/customers/{customer_id}/edit", f"/admin/taxes/{tax_id}"):
        phone.goto(path)
        no_sideways_scroll(phone)
    within_screen(phone.get_by_label("Exemption code (BT-121)"))
