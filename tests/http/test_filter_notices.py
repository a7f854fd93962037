"""Filter values a list cannot use are ignored and the page says which, in words, also in the
htmx fragment that refreshes the list (#13, item 7); the rest of the page keeps working."""

import html
import re

import pytest

from models import InvoiceStatus, db
from tests.factories import make_contract, make_customer, make_invoice, make_product, make_ticket

HX = {"HX-Request": "true"}


class Page(str):
    """A 200 response's text (entities decoded), with its "Ignored: …" notice ("" if none)."""

    notice: str


def get(client, url: str, **kwargs) -> Page:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    raw = response.get_data(as_text=True)
    page = Page(html.unescape(raw))
    match = re.search(r'<p class="flash ignored-filters" role="status">([^<]*)</p>', raw)
    page.notice = html.unescape(match.group(1)) if match else ""
    return page


@pytest.fixture
def invoices(app):
    """Acme's sent invoice and Globex's draft."""
    acme, globex = make_customer(name="Acme"), make_customer(name="Globex")
    sent = make_invoice(acme, number="INV-0001", status=InvoiceStatus.SENT)
    draft = make_invoice(globex, number="INV-0002")
    db.session.commit()
    return {"acme": acme, "sent": sent, "draft": draft}


# --- the Billing page -----------------------------------------------------------------------


def test_billing_page_says_which_filters_it_ignored(admin_client, invoices):
    page = get(admin_client, "/billing?customer=abc&from=2026-02-30")
    expected = (
        "Ignored: customer “abc” is not a customer id; issued from “2026-02-30” is not a date."
    )
    assert page.notice == expected
    assert "INV-0001" in page and "INV-0002" in page  # the list is shown unfiltered


def test_the_notice_comes_with_the_htmx_fragment(admin_client, invoices):
    page = get(admin_client, "/billing?status=lost&batch=²&to=someday&export=x", headers=HX)
    assert "<html" not in page and 'id="invoice-results"' in page
    assert page.notice == (
        "Ignored: status “lost” is not draft, sent, exported, paid, refunded or overdue; "
        "batch “²” is not a batch id; issued to “someday” is not a date; "
        "export “x” is not failed, difference or flagged."
    )


def test_the_filters_it_understands_still_apply(admin_client, invoices):
    page = get(admin_client, "/billing?status=sent&customer=99999999999")
    assert page.notice == "Ignored: customer “99999999999” is not a customer id."
    assert "INV-0001" in page and "INV-0002" not in page
    acme = invoices["acme"].id
    mixed = get(admin_client, f"/billing?customer={acme}&from=2026-13-01")
    assert "INV-0001" in mixed and "INV-0002" not in mixed
    assert mixed.notice == "Ignored: issued from “2026-13-01” is not a date."


def test_a_bad_sort_or_page_is_said_too(admin_client, invoices):
    page = get(admin_client, "/billing?sort=-price&page=0")
    assert page.notice == (
        "Ignored: sort “-price” is not a column of the list "
        "(number, date, customer, total, balance, status or due); "
        "page “0” is not a page number from 1 to 100,000."
    )
    assert "INV-0002" in page


def test_no_notice_when_every_filter_is_understood(admin_client, invoices):
    acme = invoices["acme"].id
    page = get(admin_client, f"/billing?customer={acme}&status=sent&from=2020-01-01&q=INV")
    assert page.notice == "" and "Ignored" not in page
    assert "Ignored" not in get(admin_client, "/billing?customer=&status=&q=", headers=HX)


def test_the_value_is_quoted_escaped_and_shortened(admin_client, invoices):
    long = "<script>alert(1)</script>" + "x" * 5000
    response = admin_client.get("/billing", query_string={"customer": long})
    raw = response.get_data(as_text=True)
    assert "<script>alert(1)" not in raw and "&lt;script&gt;alert(1)" in raw
    shown = get(admin_client, "/billing", query_string={"customer": long}).notice
    assert shown.startswith("Ignored: customer “<script>alert(1)</script>xxx")
    assert "…” is not a customer id." in shown and len(shown) < 120


# --- the other lists ------------------------------------------------------------------------


def test_tickets_list_says_what_it_ignored_in_page_and_fragment(admin_client):
    ticket = make_ticket(title="Printer jam")
    url = "/tickets?customer=abc&contract=²&status=bogus&billed=maybe"
    expected = (
        "Ignored: customer “abc” is not a customer id; contract “²” is not a contract id; "
        "status “bogus” is not open, resolved or closed; billed “maybe” is not yes or no."
    )
    page = get(admin_client, url)
    assert page.notice == expected and "Printer jam" in page
    fragment = get(admin_client, url, headers=HX)
    assert "<html" not in fragment and fragment.notice == expected
    assert f"/tickets/{ticket.id}" in fragment


def test_tickets_list_applies_the_good_filter_beside_a_bad_one(admin_client):
    mine = make_ticket(title="Mine")
    make_ticket(title="Other")
    page = get(admin_client, f"/tickets?customer={mine.customer_id}&status=bogus")
    assert "Mine" in page and "Other" not in page
    assert page.notice == "Ignored: status “bogus” is not open, resolved or closed."


def test_contracts_list_says_what_it_ignored(admin_client):
    make_contract(name="Managed IT")
    url = "/contracts?customer=99999999999999999999&type=weekly&active=2&page=abc"
    expected = (
        "Ignored: customer “99999999999999999999” is not a customer id; "
        "type “weekly” is not retainer, hourly, block_hours, block_money, per_unit, "
        "project_fixed or project_hourly; active “2” is not 1 or 0; "
        "page “abc” is not a page number from 1 to 100,000."
    )
    for headers in ({}, HX):
        page = get(admin_client, url, headers=headers)
        assert "Managed IT" in page and page.notice == expected


def test_customers_list_says_what_it_ignored(admin_client):
    make_customer(name="Live Co")
    for headers in ({}, HX):
        page = get(admin_client, "/customers?status=bogus&page=-1", headers=headers)
        assert "Live Co" in page
        assert page.notice == (
            "Ignored: status “bogus” is not active, inactive or all; "
            "page “-1” is not a page number from 1 to 100,000."
        )


def test_products_list_says_what_it_ignored(admin_client):
    make_product(name="Firewall")
    page = get(admin_client, "/admin/products?page=²")
    assert "Firewall" in page
    assert page.notice == "Ignored: page “²” is not a page number from 1 to 100,000."
    assert get(admin_client, "/admin/products?page=1&q=fire").notice == ""
