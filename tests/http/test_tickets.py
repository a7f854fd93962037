"""Tickets over HTTP: the filtered list (and its htmx rows), new/edit forms, the ticket page,
status changes, and what a billed ticket shows."""

import html
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from models import ContractType, InvoiceBatch, Ticket, TicketStatus, db
from tests.factories import (
    make_contract,
    make_customer,
    make_expense,
    make_product,
    make_rate,
    make_ticket,
    make_time_entry,
)

HX = {"HX-Request": "true"}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def bill(ticket: Ticket, name: str = "March 2026") -> InvoiceBatch:
    batch = InvoiceBatch(name=name, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31))
    db.session.add(batch)
    db.session.flush()
    ticket.batch_id = batch.id
    db.session.commit()
    return batch


def row_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="ticket-(\d+)"', page)]


# --- the list ------------------------------------------------------------------------------------


def test_list_shows_each_ticket_with_hours_and_value(admin_client):
    ticket = make_ticket(title="Mail server down")
    make_time_entry(ticket, minutes=90)  # 1.5 h x 125.00
    make_time_entry(ticket, minutes=30, billable=False)
    make_expense(ticket, quantity=2, unit_price_minor=1500)
    page = text(admin_client.get("/tickets"))
    assert f'href="/tickets/{ticket.id}"' in page and "Mail server down" in page
    assert ticket.customer.name in page and ticket.contract.name in page
    row = page[page.index(f'id="ticket-{ticket.id}"') :]
    assert "2:00" in row and "1:30" in row and "$217.50" in row  # 187.50 + 30.00
    assert 'href="/tickets/new"' in page


def test_empty_list_says_so(admin_client):
    assert "No tickets yet." in text(admin_client.get("/tickets"))
    assert "No ticket matches" in text(admin_client.get("/tickets?status=closed"))


@pytest.fixture
def mixed_tickets(app):
    acme, globex = make_customer(name="Acme"), make_customer(name="Globex")
    acme_hourly, acme_retainer = (
        make_contract(acme),
        make_contract(acme, type=ContractType.RETAINER),
    )
    globex_hourly = make_contract(globex)
    tickets = {
        "acme_open": make_ticket(acme_hourly),
        "acme_closed": make_ticket(acme_retainer, status=TicketStatus.CLOSED),
        "globex_resolved": make_ticket(globex_hourly, status=TicketStatus.RESOLVED),
        "globex_billed": make_ticket(globex_hourly, status=TicketStatus.CLOSED),
    }
    bill(tickets["globex_billed"])
    return tickets


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["acme_open", "acme_closed", "globex_resolved", "globex_billed"]),
        ("customer={acme}", ["acme_open", "acme_closed"]),
        ("contract={globex_contract}", ["globex_resolved", "globex_billed"]),
        ("status=closed", ["acme_closed", "globex_billed"]),
        ("status=resolved", ["globex_resolved"]),
        ("billed=yes", ["globex_billed"]),
        ("billed=no", ["acme_open", "acme_closed", "globex_resolved"]),
        ("customer={globex}&status=closed&billed=no", []),
        (
            "status=bogus&billed=maybe",
            ["acme_open", "acme_closed", "globex_resolved", "globex_billed"],
        ),
    ],
)
def test_list_filters(admin_client, mixed_tickets, query, expected):
    acme = mixed_tickets["acme_open"].customer_id
    globex = mixed_tickets["globex_billed"].customer_id
    globex_contract = mixed_tickets["globex_billed"].contract_id
    url = "/tickets?" + query.format(acme=acme, globex=globex, globex_contract=globex_contract)
    shown = row_ids(text(admin_client.get(url)))
    assert sorted(shown) == sorted(mixed_tickets[name].id for name in expected)


def test_filters_are_a_plain_get_form_that_htmx_enhances(admin_client, mixed_tickets):
    page = text(admin_client.get(f"/tickets?customer={mixed_tickets['acme_open'].customer_id}"))
    form = page[
        page.index('role="search"') - 200 : page.index("</form>", page.index('role="search"'))
    ]
    assert 'method="get"' in form and 'action="/tickets"' in form
    assert 'hx-get="/tickets"' in form and 'hx-target="#ticket-rows"' in form
    assert f'<option value="{mixed_tickets["acme_open"].customer_id}" selected>Acme' in page
    assert '<optgroup label="Globex">' in page  # contracts grouped by customer


def test_htmx_gets_only_the_rows_and_both_vary(admin_client, mixed_tickets):
    full = admin_client.get("/tickets?status=closed")
    fragment = admin_client.get("/tickets?status=closed", headers=HX)
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    body = text(fragment)
    assert "<html" not in body and 'role="search"' not in body
    assert body.lstrip().startswith('<div id="ticket-rows">')
    assert sorted(row_ids(body)) == sorted(row_ids(text(full)))
    assert len(row_ids(body)) == 2


def test_htmx_history_restore_gets_the_whole_page(admin_client):
    headers = {**HX, "HX-History-Restore-Request": "true"}
    assert "<html" in admin_client.get("/tickets?status=open", headers=headers).get_data(
        as_text=True
    )


def test_list_pages_and_keeps_the_filters(admin_client):
    contract = make_contract()
    for _ in range(51):
        make_ticket(contract)
    page = text(admin_client.get(f"/tickets?customer={contract.customer_id}"))
    assert len(row_ids(page)) == 50
    assert f"/tickets?page=2&amp;customer={contract.customer_id}" in admin_client.get(
        f"/tickets?customer={contract.customer_id}"
    ).get_data(as_text=True)
    assert (
        len(row_ids(text(admin_client.get(f"/tickets?customer={contract.customer_id}&page=2"))))
        == 1
    )


def test_list_query_count_is_constant(admin_client, count_queries):
    def add_tickets(n):
        for _ in range(n):
            ticket = make_ticket()
            make_time_entry(ticket)
            make_expense(ticket)

    add_tickets(2)
    with count_queries() as few:
        assert admin_client.get("/tickets").status_code == 200
    add_tickets(12)
    with count_queries() as many:
        assert admin_client.get("/tickets").status_code == 200
    assert len(many) == len(few)
    with count_queries() as rows:
        admin_client.get("/tickets", headers=HX)
    assert len(rows) < len(many)


# --- new and edit ------------------------------------------------------------------------------


def test_new_ticket_form_preselects_the_customer_and_its_default_contract(admin_client):
    customer = make_customer(name="Initech")
    make_contract(customer, name="Old", active=False)
    plain = make_contract(customer, name="Projects")
    default = make_contract(customer, name="Support", is_default=True)
    other = make_contract(name="Someone else's")
    page = text(admin_client.get(f"/tickets/new?customer={customer.id}"))
    assert f'<option selected value="{customer.id}">Initech' in page
    assert f'<option selected value="{default.id}">Support' in page
    assert f'value="{plain.id}">Projects' in page
    assert "Old" not in page and other.name not in page
    # the customer select swaps the contract select through htmx
    assert (
        'data-hx-get="/tickets/contracts"' in page and 'data-hx-target="#field-contract_id"' in page
    )


def test_without_a_customer_every_active_contract_is_offered_by_customer(admin_client):
    one, two = make_contract(name="Alpha"), make_contract(name="Beta")
    page = text(admin_client.get("/tickets/new"))
    assert f'<optgroup label="{one.customer.name}">' in page
    assert f'value="{one.id}">Alpha' in page and f'value="{two.id}">Beta' in page


def test_contract_select_fragment_follows_the_customer(admin_client):
    customer = make_customer()
    only = make_contract(customer, name="Only one")
    make_contract(name="Elsewhere")
    fragment = text(admin_client.get(f"/tickets/contracts?customer_id={customer.id}", headers=HX))
    assert "<html" not in fragment and 'id="field-contract_id"' in fragment
    assert f'<option selected value="{only.id}">Only one' in fragment  # the only one: chosen
    assert "Elsewhere" not in fragment
    empty = text(admin_client.get(f"/tickets/contracts?customer_id={make_customer().id}"))
    assert "This customer has no active contract" in empty


def test_create_ticket(admin_client):
    contract = make_contract()
    response = admin_client.post(
        "/tickets/new",
        data={
            "customer_id": contract.customer_id,
            "contract_id": contract.id,
            "title": " Laptop won't boot ",
            "description": "Since Monday.",
        },
    )
    ticket = db.session.scalar(select(Ticket))
    assert response.status_code == 302 and response.location == f"/tickets/{ticket.id}"
    assert ticket.title == "Laptop won't boot" and ticket.status == TicketStatus.OPEN
    page = text(admin_client.get(response.location))
    assert f"Ticket #{ticket.id} saved." in page and "Since Monday." in page


def test_create_ticket_with_another_customers_contract_is_refused_beside_the_contract(
    admin_client,
):
    mine, theirs = make_contract(), make_contract()
    response = admin_client.post(
        "/tickets/new",
        data={"customer_id": mine.customer_id, "contract_id": theirs.id, "title": "X"},
    )
    assert response.status_code == 422
    page = text(response)
    field = page[page.index('id="field-contract_id"') - 30 :]
    assert 'class="field has-error" id="field-contract_id"' in page
    assert f"Choose one of {mine.customer.name}'s active contracts." in field[:1500]
    assert count(Ticket) == 0
    # the contract list now holds the chosen customer's contracts
    assert f'value="{mine.id}"' in field[:1500] and f'value="{theirs.id}"' not in field[:1500]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "Enter a title."),
        ({"title": "x" * 201}, "title", "at most 200"),
        ({"customer_id": ""}, "customer_id", "Choose an active customer."),
        ({"contract_id": ""}, "contract_id", "active contracts"),
    ],
)
def test_invalid_ticket_is_refused_beside_the_field(admin_client, data, field, message):
    contract = make_contract()
    base = {"customer_id": contract.customer_id, "contract_id": contract.id, "title": "T"}
    response = admin_client.post("/tickets/new", data={**base, **data})
    assert response.status_code == 422
    page = text(response)
    assert f'class="field has-error" id="field-{field}"' in page and message in page
    assert count(Ticket) == 0


def test_edit_ticket_moves_it_to_another_contract(admin_client):
    ticket = make_ticket(title="Old title")
    other = make_contract(ticket.customer, name="After hours")
    page = text(admin_client.get(f"/tickets/{ticket.id}/edit"))
    assert 'value="Old title"' in page and f"Edit ticket #{ticket.id}" in page
    response = admin_client.post(
        f"/tickets/{ticket.id}/edit",
        data={
            "customer_id": ticket.customer_id,
            "contract_id": other.id,
            "title": "New title",
            "description": "",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.title == "New title" and ticket.contract_id == other.id


# --- the ticket page ---------------------------------------------------------------------------


def test_ticket_page_shows_the_ticket_totals_time_and_expenses(admin_client):
    rate = make_rate(name="Standard", hourly_price_minor=10000)
    ticket = make_ticket(make_contract(rates=[rate]), title="VPN flaky", description="Line 1")
    entry = make_time_entry(ticket, minutes=45, note="Reset the tunnel")
    product = make_product(name="Router", sku="RT-1")
    expense = make_expense(ticket, product=product, description="Router", unit_price_minor=20000)
    page = text(admin_client.get(f"/tickets/{ticket.id}"))
    assert f"#{ticket.id} VPN flaky" in page and "Line 1" in page
    assert ticket.customer.name in page and ticket.contract.name in page
    totals = page[
        page.index('id="ticket-totals"') : page.index(
            "</section>", page.index('id="ticket-totals"')
        )
    ]
    assert "0:45" in totals and "$75.00" in totals and "$400.00" in totals and "$475.00" in totals
    assert 'hx-trigger="ticket-totals-changed from:body"' in page
    assert f'id="time-entry-{entry.id}"' in page and "Reset the tunnel" in page
    assert f'id="expense-{expense.id}"' in page and "RT-1" in page
    assert 'id="time-entry-new"' in page and 'id="expense-new"' in page
    # the add forms are plain forms that htmx enhances
    assert (
        f'action="/tickets/{ticket.id}/time"' in page
        and f'hx-post="/tickets/{ticket.id}/time"' in page
    )


@pytest.mark.parametrize(
    ("status", "buttons", "absent"),
    [
        (TicketStatus.OPEN, ["Resolve", "Close"], ["Reopen"]),
        (TicketStatus.RESOLVED, ["Reopen", "Close"], ["Resolve"]),
        (TicketStatus.CLOSED, ["Reopen", "Resolve"], ["Close"]),
    ],
)
def test_status_buttons_are_the_allowed_moves_only(admin_client, status, buttons, absent):
    ticket = make_ticket(status=status)
    page = text(admin_client.get(f"/tickets/{ticket.id}"))
    for label in buttons:
        assert re.search(rf'name="status" value="\w+">{label}</button>', page)
    for label in absent:
        assert f">{label}</button>" not in page


def test_ticket_page_query_count_is_constant(admin_client, count_queries):
    ticket = make_ticket(make_contract(rates=[make_rate(), make_rate()]))
    product = make_product()
    make_time_entry(ticket)
    make_expense(ticket, product=product)
    with count_queries() as few:
        assert admin_client.get(f"/tickets/{ticket.id}").status_code == 200
    for _ in range(10):
        make_time_entry(ticket)  # each by a new technician
        make_expense(ticket, product=make_product())
    with count_queries() as many:
        assert admin_client.get(f"/tickets/{ticket.id}").status_code == 200
    assert len(many) == len(few)


def test_unknown_ticket_is_404(admin_client):
    assert admin_client.get("/tickets/999999").status_code == 404
    assert admin_client.post("/tickets/999999/status", data={"status": "closed"}).status_code == 404


def test_totals_fragment(admin_client):
    ticket = make_ticket()
    make_time_entry(ticket, minutes=60)
    fragment = text(admin_client.get(f"/tickets/{ticket.id}/totals", headers=HX))
    assert fragment.lstrip().startswith('<section class="card ticket-totals" id="ticket-totals"')
    assert "1:00" in fragment and "$125.00" in fragment


# --- status ----------------------------------------------------------------------------------


def test_resolve_close_and_reopen(admin_client):
    ticket = make_ticket()
    response = admin_client.post(f"/tickets/{ticket.id}/status", data={"status": "resolved"})
    assert response.status_code == 302 and response.location == f"/tickets/{ticket.id}"
    db.session.expire_all()
    assert ticket.status == TicketStatus.RESOLVED and ticket.closed_at is not None
    admin_client.post(f"/tickets/{ticket.id}/status", data={"status": "closed"})
    db.session.expire_all()
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None
    page = text(admin_client.get(f"/tickets/{ticket.id}"))
    assert f"Ticket #{ticket.id} is closed now." in page
    admin_client.post(f"/tickets/{ticket.id}/status", data={"status": "open"})
    db.session.expire_all()
    assert ticket.status == TicketStatus.OPEN and ticket.closed_at is None


def test_refused_status_changes(admin_client):
    ticket = make_ticket()
    same = admin_client.post(f"/tickets/{ticket.id}/status", data={"status": "open"})
    assert same.status_code == 409 and f"Ticket #{ticket.id} is open already." in text(same)
    bogus = admin_client.post(f"/tickets/{ticket.id}/status", data={"status": "gone"})
    assert bogus.status_code == 422 and "Choose open, resolved or closed." in text(bogus)


def test_technicians_work_tickets_too(tech_client):
    contract = make_contract()
    response = tech_client.post(
        "/tickets/new",
        data={"customer_id": contract.customer_id, "contract_id": contract.id, "title": "T"},
    )
    assert response.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert (
        tech_client.post(f"/tickets/{ticket.id}/status", data={"status": "closed"}).status_code
        == 302
    )
    assert tech_client.get(f"/tickets/{ticket.id}/edit").status_code == 200


# --- a billed ticket -----------------------------------------------------------------------------


def test_billed_ticket_page_shows_the_batch_and_no_edit_controls(admin_client):
    ticket = make_ticket(status=TicketStatus.CLOSED)
    entry = make_time_entry(ticket)
    expense = make_expense(ticket)
    batch = bill(ticket, "March 2026")
    page = text(admin_client.get(f"/tickets/{ticket.id}"))
    assert f'Billed by batch <a href="/batches/{batch.id}">March 2026</a>' in page
    assert f'id="time-entry-{entry.id}"' in page and f'id="expense-{expense.id}"' in page
    main = page[page.index("<main") :]
    for control in (
        "hx-post",
        "Edit ticket",
        ">Edit<",
        "Delete",
        "Add time",
        ">Reopen<",
        'method="post"',
    ):
        assert control not in main, control
    listing = text(admin_client.get("/tickets?billed=yes"))
    assert f'<a href="/batches/{batch.id}">March 2026</a>' in listing


def test_reopening_a_billed_ticket_is_refused(admin_client):
    ticket = make_ticket(status=TicketStatus.CLOSED)
    bill(ticket, "Q1 2026")
    response = admin_client.post(f"/tickets/{ticket.id}/status", data={"status": "open"})
    assert response.status_code == 409
    assert f"Ticket #{ticket.id} was billed by batch Q1 2026; it can no longer be changed." in text(
        response
    )
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == TicketStatus.CLOSED
