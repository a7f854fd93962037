"""Customers: the searchable list (page and htmx fragment), the form and its rules, the page."""

import html
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billing.settings import get_settings
from models import (
    ContractService,
    ContractType,
    Customer,
    Invoice,
    InvoiceBatch,
    InvoiceStatus,
    Role,
    TicketStatus,
    db,
)
from tests.conftest import make_user
from tests.factories import (
    make_contract,
    make_customer,
    make_expense,
    make_rate,
    make_ticket,
    make_time_entry,
)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def customers() -> int:
    return db.session.scalar(select(func.count(Customer.id)))


def fresh(customer: Customer) -> Customer:
    db.session.expire_all()
    return db.session.get(Customer, customer.id)


def make_invoice(customer: Customer, number: str, **fields) -> Invoice:
    values = dict(
        issue_date=date(2026, 1, 31),
        due_date=date(2026, 3, 2),
        currency=customer.currency,
        bill_to_name=customer.name,
        total_minor=10000,
    )
    invoice = Invoice(customer=customer, number=number, **{**values, **fields})
    db.session.add(invoice)
    db.session.commit()
    return invoice


def with_unbilled_work(customer: Customer) -> dict:
    """Hand-computed work: an hourly contract at 125.00/h, time rounded up to 15 minutes."""
    tech = make_user(Role.TECHNICIAN)
    contract = make_contract(
        customer, name="Managed support", rounding_minutes=15, rates=[make_rate()]
    )
    open_ticket = make_ticket(contract, title="Printer jams", status=TicketStatus.OPEN)
    make_time_entry(open_ticket, minutes=50, technician=tech)  # 60 billed: 125.00
    make_time_entry(open_ticket, minutes=30, technician=tech, billable=False)
    make_expense(open_ticket)  # 2 x 15.00 = 30.00
    resolved = make_ticket(contract, title="VPN setup", status=TicketStatus.RESOLVED)
    make_time_entry(resolved, minutes=20, technician=tech)  # 30 billed: 62.50
    batch = InvoiceBatch(name="Dec", period_start=date(2025, 12, 1), period_end=date(2025, 12, 31))
    billed = make_ticket(contract, title="Old migration", status=TicketStatus.CLOSED, batch=batch)
    make_time_entry(billed, minutes=120, technician=tech)  # billed: never counted
    return {"contract": contract, "open": open_ticket, "resolved": resolved, "billed": billed}


def customer_form(**overrides) -> dict:
    data = {
        "name": "Acme Corp",
        "billing_emails": "ap@acme.example",
        "address": "1 Main St\nSpringfield",
        "currency": "USD",
        "tax_exempt": "",
        "active": "y",
        "notes": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v not in (None, "")}


# --- the list ------------------------------------------------------------------------------


def test_list_shows_customers_with_their_details_and_unbilled_work(admin_client):
    acme = make_customer(name="Acme Corp", billing_emails="ap@acme.example,cfo@acme.example")
    with_unbilled_work(acme)
    make_customer(name="Zeta GmbH", currency="EUR", tax_exempt=True, billing_emails="z@z.example")
    make_customer(name="Gone Ltd", active=False)
    page = text(admin_client.get("/customers"))
    assert f'href="/customers/{acme.id}">Acme Corp</a>' in page
    assert "ap@acme.example, cfo@acme.example" in page
    row = page[page.index(f'id="customer-{acme.id}"') :].split("</tr>")[0]
    # unbilled: 50 + 30 + 20 minutes = 1:40 h; 125.00 + 30.00 + 62.50 = 217.50
    assert ">1:40<" in row and "$217.50" in row and "Taxable" in row and "USD" in row
    zeta = page[page.index("Zeta GmbH") :].split("</tr>")[0]
    assert "EUR" in zeta and "Exempt" in zeta and ">0:00<" in zeta and "€0.00" in zeta
    assert "Gone Ltd" not in page  # active only by default
    assert page.index("Acme Corp") < page.index("Zeta GmbH")
    assert 'href="/customers/new"' in page and "2 active customers" in page


def test_search_ignores_case_and_treats_wildcards_literally(admin_client):
    names = ["Acme Corp", "ACME Labs", "Bob's Bakery", "100% Uptime", "Data_Works", "DataXWorks"]
    for name in names:
        make_customer(name=name)

    def found(query: str) -> list[str]:
        page = text(admin_client.get("/customers", query_string={"q": query}))
        return [name for name in names if f">{name}</a>" in page]

    assert found("acme") == ["Acme Corp", "ACME Labs"]
    assert found("  LABS ") == ["ACME Labs"]
    assert found("%") == ["100% Uptime"]
    assert found("a_w") == ["Data_Works"]
    assert found("_") == ["Data_Works"]
    assert found("nobody") == []
    empty = text(admin_client.get("/customers?q=nobody"))
    assert "No active customer's name contains “nobody”." in empty
    assert 'value="nobody"' in empty


def test_filter_by_active_status(admin_client):
    make_customer(name="Live Co")
    make_customer(name="Dormant Co", active=False)

    def listed(query: str) -> set[str]:
        page = text(admin_client.get(f"/customers{query}"))
        return {name for name in ("Live Co", "Dormant Co") if f">{name}</a>" in page}

    assert listed("") == {"Live Co"}
    assert listed("?status=active") == {"Live Co"}
    assert listed("?status=inactive") == {"Dormant Co"}
    assert listed("?status=all") == {"Live Co", "Dormant Co"}
    assert listed("?status=bogus") == {"Live Co"}
    page = text(admin_client.get("/customers?status=inactive"))
    assert '<option value="inactive" selected>' in page


def test_htmx_request_gets_only_the_results_fragment(admin_client):
    make_customer(name="Acme Corp")
    make_customer(name="Bob's Bakery")
    full = admin_client.get("/customers?q=acme")
    assert "HX-Request" in full.headers["Vary"]
    assert "<html" in text(full) and 'hx-push-url="true"' in text(full)
    assert 'hx-target="#customer-results"' in text(full)

    fragment = admin_client.get("/customers?q=acme", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    body = text(fragment)
    assert "<html" not in body and "<form" not in body
    assert ">Acme Corp</a>" in body and "Bob's Bakery" not in body and "<tbody>" in body

    # Boosted navigation and history restores swap whole pages.
    for header in ("HX-Boosted", "HX-History-Restore-Request"):
        whole = admin_client.get("/customers", headers={"HX-Request": "true", header: "true"})
        assert "<html" in text(whole)


def test_list_is_paginated_by_50_keeping_the_filter(admin_client):
    for n in range(55):
        make_customer(name=f"Client {n:02d}")
    first = text(admin_client.get("/customers?q=client&status=all"))
    assert first.count('<tr id="customer-') == 50
    assert "Client 00" in first and "Client 49" in first and "Client 50" not in first
    assert "Page 1 of 2" in first and "55 customers" in first
    assert 'href="/customers?page=2&q=client&status=all"' in first
    second = text(admin_client.get("/customers?q=client&status=all&page=2"))
    assert second.count('<tr id="customer-') == 5 and "Client 54" in second
    fragment = text(admin_client.get("/customers?page=2", headers={"HX-Request": "true"}))
    assert "Page 2 of 2" in fragment


def _customers_with_work(n: int) -> None:
    tech = make_user(Role.TECHNICIAN)
    rate = make_rate()
    for _ in range(n):
        contract = make_contract(make_customer(), rates=[rate])
        ticket = make_ticket(contract)
        make_time_entry(ticket, technician=tech)
        make_expense(ticket)


def test_list_runs_the_same_number_of_queries_for_3_or_40_customers(admin_client, count_queries):
    _customers_with_work(3)
    admin_client.get("/customers")  # warm up: the first request may create the settings row
    with count_queries() as few:
        admin_client.get("/customers", headers={"HX-Request": "true"})
    _customers_with_work(37)
    admin_client.get("/customers")  # warm again: new customers make each worker read anew
    with count_queries() as many:
        response = admin_client.get("/customers", headers={"HX-Request": "true"})
    assert text(response).count('<tr id="customer-') == 40
    assert len(many) == len(few), many


# --- create and edit -----------------------------------------------------------------------


def test_create_customer(admin_client):
    page = text(admin_client.get("/customers/new"))
    assert "New customer" in page and 'name="billing_emails"' in page
    response = admin_client.post(
        "/customers/new",
        data=customer_form(
            name="  Acme Corp ",
            billing_emails="AP@Acme.example, ap@acme.example\ncfo@acme.example",
            currency="EUR",
            tax_exempt="y",
            notes="Call before 10",
        ),
    )
    customer = db.session.scalar(select(Customer))
    assert response.status_code == 302 and response.location == f"/customers/{customer.id}"
    assert customer.name == "Acme Corp"
    assert customer.billing_emails == "ap@acme.example,cfo@acme.example"
    assert (customer.currency, customer.tax_exempt, customer.active) == ("EUR", True, True)
    assert customer.address == "1 Main St\nSpringfield" and customer.notes == "Call before 10"
    assert "Customer Acme Corp saved." in text(admin_client.get(response.location))


def test_new_customer_defaults_to_the_settings_currency(admin_client):
    settings = get_settings()
    settings.country = "DE"
    db.session.commit()
    page = text(admin_client.get("/customers/new"))
    assert '<option selected value="EUR">' in page


def test_edit_customer(admin_client):
    customer = make_customer(name="Acme", billing_emails="a@acme.example,b@acme.example")
    page = text(admin_client.get(f"/customers/{customer.id}/edit"))
    assert 'value="Acme"' in page and "a@acme.example\nb@acme.example" in page
    response = admin_client.post(
        f"/customers/{customer.id}/edit",
        data=customer_form(name="ACME Inc", billing_emails="x@acme.example", currency="GBP"),
    )
    assert response.status_code == 302 and response.location == f"/customers/{customer.id}"
    customer = fresh(customer)
    assert (customer.name, customer.billing_emails, customer.currency) == (
        "ACME Inc",
        "x@acme.example",
        "GBP",
    )
    # Renaming to a different case of its own name is no clash with itself.
    response = admin_client.post(
        f"/customers/{customer.id}/edit", data=customer_form(name="acme inc")
    )
    assert response.status_code == 302 and fresh(customer).name == "acme inc"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "Enter a name."),
        ({"name": "x" * 201}, "name", "Use at most 200 characters."),
        ({"name": "BOB'S bakery"}, "name", "Another customer has this name."),
        (
            {"billing_emails": "ok@acme.example\nnot-an-email, b@acme.example"},
            "billing_emails",
            "not-an-email: An email address must have an @-sign.",
        ),
        ({"billing_emails": ""}, "billing_emails", "Enter at least one billing email."),
        ({"billing_emails": " ,\n ;"}, "billing_emails", "Enter at least one billing email."),
        (
            {"billing_emails": ",".join(f"u{n}@acme.example" for n in range(11))},
            "billing_emails",
            "Enter at most 10 billing emails.",
        ),
        ({"currency": "XXQ"}, "currency", "Choose a currency from the list."),
        ({"currency": "DEM"}, "currency", "Choose a currency from the list."),  # historic
        ({"currency": ""}, "currency", "Choose a currency."),
    ],
)
def test_invalid_customer_is_refused_and_nothing_saved(admin_client, overrides, field, message):
    make_customer(name="Bob's Bakery")
    response = admin_client.post("/customers/new", data=customer_form(**overrides))
    assert response.status_code == 422
    page = text(response)
    assert message in page and f'class="field has-error" id="field-{field}"' in page
    assert customers() == 1


def test_every_broken_field_is_shown_at_once(admin_client):
    make_customer(name="Bob's Bakery")
    response = admin_client.post(
        "/customers/new",
        data=customer_form(name="bob's BAKERY", billing_emails="bad@", currency="XXQ"),
    )
    assert response.status_code == 422
    page = text(response)
    for field in ("name", "billing_emails", "currency"):
        assert f'class="field has-error" id="field-{field}"' in page
    assert page.count("Another customer has this name.") == 1
    assert page.count("Use at most 200 characters.") == 0
    long = text(admin_client.post("/customers/new", data=customer_form(name="x" * 201)))
    assert long.count("Use at most 200 characters.") == 1


def test_currency_list_holds_current_currencies_only(admin_client):
    page = text(admin_client.get("/customers/new"))
    for current in ("USD – US Dollar", "EUR – Euro", "JPY – Japanese Yen", "XCG"):
        assert current in page, current
    for historic in ("DEM", "XEU", "HRK", "ESP", "XAU"):
        assert f'value="{historic}"' not in page, historic


def test_a_customer_keeps_a_currency_no_longer_current(admin_client):
    customer = make_customer(name="Zagreb Tours", currency="HRK")  # kuna, replaced in 2023
    make_invoice(customer, "INV-1")
    page = text(admin_client.get(f"/customers/{customer.id}/edit"))
    assert '<option selected value="HRK">HRK – Croatian Kuna</option>' in page
    form = customer_form(name="Zagreb Tours d.o.o.", currency="HRK")
    saved = admin_client.post(f"/customers/{customer.id}/edit", data=form)
    assert saved.status_code == 302
    assert (fresh(customer).name, fresh(customer).currency) == ("Zagreb Tours d.o.o.", "HRK")
    other = admin_client.post("/customers/new", data=customer_form(name="New", currency="HRK"))
    assert other.status_code == 422 and "Choose a currency from the list." in text(other)


def test_currency_change_is_refused_once_an_invoice_exists(admin_client):
    customer = make_customer(name="Acme", currency="USD")
    make_invoice(customer, "INV-1")
    page = text(admin_client.get(f"/customers/{customer.id}/edit"))
    assert "This customer has invoices in USD, so its currency cannot change" in page
    response = admin_client.post(
        f"/customers/{customer.id}/edit", data=customer_form(name="Acme 2", currency="EUR")
    )
    assert response.status_code == 409
    body = text(response)
    assert 'class="field has-error" id="field-currency"' in body
    assert "This customer has invoices in USD, so its currency cannot change" in body
    customer = fresh(customer)
    assert (customer.name, customer.currency) == ("Acme", "USD")  # nothing saved
    # Everything else may still change.
    ok = admin_client.post(f"/customers/{customer.id}/edit", data=customer_form(name="Acme 2"))
    assert ok.status_code == 302 and fresh(customer).name == "Acme 2"


def test_currency_lock_follows_priced_contracts_and_expenses(admin_client):
    customer = make_customer(name="Acme")
    hourly = make_contract(customer)  # priced by the named rate only: no amounts of its own
    url = f"/customers/{customer.id}/edit"
    assert admin_client.post(url, data=customer_form(currency="CAD")).status_code == 302
    hourly.services.append(
        ContractService(description="Backup", quantity=Decimal(1), unit_price_minor=500)
    )
    db.session.commit()
    refused = admin_client.post(url, data=customer_form(currency="USD"))
    assert refused.status_code == 409 and "has priced contracts in CAD" in text(refused)

    other = make_customer(name="Other", currency="USD")
    make_contract(other, type=ContractType.RETAINER, quantity=Decimal(1), unit_price_minor=9900)
    make_expense(make_ticket(make_contract(other)))
    refused = admin_client.post(
        f"/customers/{other.id}/edit", data=customer_form(name="Other", currency="EUR")
    )
    assert refused.status_code == 409
    assert "has priced contracts and expenses in USD" in text(refused)
    assert fresh(other).currency == "USD"


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_the_form_carries_its_csrf_token(admin_client, app_config):
    page = text(admin_client.get("/customers/new"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert admin_client.post("/customers/new", data=customer_form()).status_code == 400
    response = admin_client.post("/customers/new", data={**customer_form(), "csrf_token": token})
    assert response.status_code == 302 and customers() == 1


def test_technicians_may_look_but_not_create_or_edit(tech_client):
    customer = make_customer(name="Acme")
    listing = text(tech_client.get("/customers"))
    assert "Acme" in listing and "New customer" not in listing
    page = tech_client.get(f"/customers/{customer.id}")
    assert page.status_code == 200 and "Edit customer" not in text(page)
    for url in ("/customers/new", f"/customers/{customer.id}/edit"):
        assert tech_client.get(url).status_code == 403
        assert tech_client.post(url, data=customer_form(name="Hacked")).status_code == 403
    assert customers() == 1 and fresh(customer).name == "Acme"


def test_unknown_customer_is_404(admin_client):
    assert admin_client.get("/customers/999").status_code == 404
    assert admin_client.get("/customers/999/edit").status_code == 404
    assert admin_client.post("/customers/999/edit", data=customer_form()).status_code == 404


# --- the customer page ---------------------------------------------------------------------


def test_customer_page_shows_details_contracts_and_unbilled_work(admin_client):
    customer = make_customer(
        name="Acme Corp",
        address="1 Main St\nSpringfield",
        billing_emails="ap@acme.example,cfo@acme.example",
        tax_exempt=True,
    )
    work = with_unbilled_work(customer)
    default = work["contract"]
    default.is_default = True
    retainer = make_contract(
        customer,
        name="Old retainer",
        type=ContractType.RETAINER,
        active=False,
        start_date=date(2025, 1, 1),
        end_date=date(2025, 12, 31),
    )
    db.session.commit()
    page = text(admin_client.get(f"/customers/{customer.id}"))
    assert "1 Main St\nSpringfield" in page and "ap@acme.example" in page
    assert "cfo@acme.example" in page and "USD" in page and "Tax exempt" in page
    assert f'href="/customers/{customer.id}/edit"' in page

    assert f'href="/contracts/{default.id}">Managed support</a> ' in page
    contract_row = page[page.index(f'id="contract-{default.id}"') :].split("</tr>")[0]
    assert "Default" in contract_row and "Hourly (time & materials)" in contract_row
    assert "Monthly" in contract_row and "Active" in contract_row
    old_row = page[page.index(f'id="contract-{retainer.id}"') :].split("</tr>")[0]
    assert "Retainer (flat fee)" in old_row and "Inactive" in old_row

    summary = page[page.index('id="unbilled-summary"') :].split("</dl>")[0]
    # Open: 1 ticket. Unbilled: 2 tickets; 50 + 30 + 20 = 100 min = 1:40 h; billable
    # 60 + 30 = 90 min = 1:30 h; value 125.00 + 30.00 + 62.50 = 217.50. The billed ticket's
    # two hours count nowhere.
    for figure in ("<dd>1</dd>", "<dd>2</dd>", "<dd>1:40</dd>", "<dd>1:30</dd>", "$217.50"):
        assert figure in summary, figure
    open_row = page[page.index(f'id="ticket-{work["open"].id}"') :].split("</tr>")[0]
    assert f'href="/tickets/{work["open"].id}"' in open_row and "Printer jams" in open_row
    assert "Open" in open_row and ">1:20<" in open_row and "$155.00" in open_row
    resolved_row = page[page.index(f'id="ticket-{work["resolved"].id}"') :].split("</tr>")[0]
    assert "Resolved" in resolved_row and ">0:20<" in resolved_row and "$62.50" in resolved_row
    assert "Old migration" not in page


def test_customer_page_lists_invoices_newest_first_with_overdue(app, admin_client):
    app.config["BILLING_TODAY"] = "2026-03-31"
    customer = make_customer(name="Acme", currency="EUR")
    today = date(2026, 3, 31)
    make_invoice(
        customer,
        "INV-1",
        issue_date=today - timedelta(days=90),
        due_date=today - timedelta(days=60),
        status=InvoiceStatus.PAID,
    )
    make_invoice(
        customer,
        "INV-2",
        issue_date=today - timedelta(days=40),
        due_date=today - timedelta(days=10),
        status=InvoiceStatus.SENT,
        total_minor=123456,
    )
    make_invoice(
        customer, "INV-3", issue_date=today, due_date=today + timedelta(days=30), total_minor=500
    )
    make_invoice(  # past due, but never sent
        customer, "INV-0", issue_date=date(2025, 12, 1), due_date=date(2025, 12, 31)
    )
    page = text(admin_client.get(f"/customers/{customer.id}"))
    assert page.index("INV-3") < page.index("INV-2") < page.index("INV-1") < page.index("INV-0")

    def row(number: str) -> str:
        invoice = db.session.scalar(select(Invoice).where(Invoice.number == number))
        start = page.index(f'<a href="/invoices/{invoice.id}">{number}</a>')  # a link now
        return page[start:].split("</tr>")[0]

    assert "Sent" in row("INV-2") and "Overdue · 10 days" in row("INV-2")
    assert "€1,234.56" in row("INV-2")
    assert "Paid" in row("INV-1") and "Overdue" not in row("INV-1")  # settled
    assert "Draft" in row("INV-3") and "Overdue" not in row("INV-3") and "€5.00" in row("INV-3")
    assert "Draft" in row("INV-0") and "Overdue" not in row("INV-0")  # a Draft never is
    assert "not shown" not in page


def test_customer_page_shows_the_20_newest_invoices_and_counts_the_rest(admin_client):
    customer = make_customer(name="Acme")
    for n in range(23):
        make_invoice(customer, f"INV-{n:02d}", issue_date=date(2025, 1, 1) + timedelta(days=n))
    page = text(admin_client.get(f"/customers/{customer.id}"))
    assert page.count('<tr id="invoice-') == 20
    assert "INV-22" in page and "INV-03" in page and "INV-02" not in page
    assert "The 20 newest of 23 invoices; 3 older ones not shown." in page


def test_customer_page_counts_one_older_invoice_and_one_older_ticket_in_the_singular(
    admin_client,
):
    customer = make_customer(name="Acme")
    for n in range(21):
        make_invoice(customer, f"INV-{n:02d}", issue_date=date(2025, 1, 1) + timedelta(days=n))
    contract = make_contract(customer, start_date=date(2020, 1, 1))
    for n in range(51):  # the page lists the 50 newest unbilled tickets
        make_ticket(contract, title=f"Ticket {n}")
    page = text(admin_client.get(f"/customers/{customer.id}"))
    assert "The 20 newest of 21 invoices; 1 older one not shown." in page
    assert "And 1 older unbilled ticket, counted in the totals above." in page


def test_customer_page_queries_do_not_grow_with_its_records(admin_client, count_queries):
    customer = make_customer(name="Acme")
    tech = make_user(Role.TECHNICIAN)
    rate = make_rate()

    def add(contracts: int, tickets: int, invoices: int) -> None:
        for _ in range(contracts):
            contract = make_contract(customer, rates=[rate])
        for _ in range(tickets):
            ticket = make_ticket(contract)
            make_time_entry(ticket, technician=tech)
            make_expense(ticket)
        for _ in range(invoices):
            make_invoice(customer, f"INV-{db.session.scalar(select(func.count(Invoice.id)))}")

    add(1, 1, 1)
    admin_client.get(f"/customers/{customer.id}")  # warm up
    with count_queries() as few:
        admin_client.get(f"/customers/{customer.id}")
    add(5, 30, 25)
    admin_client.get(f"/customers/{customer.id}")  # warm again (the cached rows are read anew)
    with count_queries() as many:
        page = text(admin_client.get(f"/customers/{customer.id}"))
    assert page.count('<tr id="ticket-') == 31 and page.count('<tr id="contract-') == 6
    assert len(many) == len(few), many
