"""A billed ticket is read-only: every edit endpoint of the ticket, its time entries and its
expenses (forms and posts, with or without htmx) answers 409 with the reason, and changes
nothing."""

import html
from datetime import date

import pytest
from sqlalchemy import select

from models import Expense, InvoiceBatch, Ticket, TicketStatus, TimeEntry, db
from tests.factories import make_expense, make_ticket, make_time_entry

HX = {"HX-Request": "true"}


@pytest.fixture
def billed(app):
    """A closed ticket with one time entry and one expense, billed by batch "March 2026"."""
    ticket = make_ticket(status=TicketStatus.CLOSED, title="Billed work")
    entry = make_time_entry(ticket, minutes=60)
    expense = make_expense(ticket)
    batch = InvoiceBatch(
        name="March 2026", period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)
    )
    db.session.add(batch)
    db.session.flush()
    ticket.batch_id = batch.id  # what the batch builder will do
    db.session.commit()
    return {"t": ticket.id, "e": entry.id, "x": expense.id, "c": ticket.contract_id}


def snapshot() -> list:
    """Every row of the ticket, its time and its expenses, as plain values."""
    db.session.expire_all()
    rows = []
    for model in (Ticket, TimeEntry, Expense):
        for obj in db.session.scalars(select(model).order_by(model.id)):
            columns = obj.__table__.columns.keys()
            rows.append((model.__name__, *(getattr(obj, name) for name in columns)))
    return rows


EDIT_TIME = {"work_date": "2026-03-02", "duration": "5h", "billable": "y"}
EDIT_EXPENSE = {"expense_date": "2026-03-02", "description": "X", "quantity": "9"}
EDIT_EXPENSE |= {"unit_price": "1.00"}
ENDPOINTS = [
    ("GET", "/tickets/{t}/edit", {}),
    ("GET", "/tickets/{t}/time/{e}/edit", {}),
    ("GET", "/tickets/{t}/expenses/{x}/edit", {}),
    ("POST", "/tickets/{t}/edit", {"customer_id": "", "contract_id": "{c}", "title": "Changed"}),
    ("POST", "/tickets/{t}/status", {"status": "open"}),
    ("POST", "/tickets/{t}/status", {"status": "resolved"}),
    ("POST", "/tickets/{t}/time", {f"time-entry-new-{k}": v for k, v in EDIT_TIME.items()}),
    (
        "POST",
        "/tickets/{t}/time/{e}/edit",
        {f"time-entry-{{e}}-{k}": v for k, v in EDIT_TIME.items()},
    ),
    ("POST", "/tickets/{t}/time/{e}/delete", {}),
    ("POST", "/tickets/{t}/expenses", {f"expense-new-{k}": v for k, v in EDIT_EXPENSE.items()}),
    (
        "POST",
        "/tickets/{t}/expenses/{x}/edit",
        {f"expense-{{x}}-{k}": v for k, v in EDIT_EXPENSE.items()},
    ),
    ("POST", "/tickets/{t}/expenses/{x}/delete", {}),
]


def _request(client, billed, method, url, data, headers=None):
    url = url.format(**billed)
    data = {key.format(**billed): value.format(**billed) for key, value in data.items()}
    return client.open(url, method=method, data=data or None, headers=headers or {})


@pytest.mark.parametrize(("method", "url", "data"), ENDPOINTS)
def test_every_edit_endpoint_of_a_billed_ticket_is_409_and_changes_nothing(
    admin_client, billed, method, url, data
):
    before = snapshot()
    message = f"Ticket #{billed['t']} was billed by batch March 2026; it can no longer be changed."
    page = _request(admin_client, billed, method, url, data)
    assert page.status_code == 409
    assert message in html.unescape(page.get_data(as_text=True))
    assert "<html" in page.get_data(as_text=True)
    fragment = _request(admin_client, billed, method, url, data, HX)
    assert fragment.status_code == 409
    assert fragment.headers["HX-Retarget"] == "#flash"
    body = html.unescape(fragment.get_data(as_text=True))
    assert message in body and "<html" not in body
    assert snapshot() == before


@pytest.mark.parametrize(("method", "url", "data"), [e for e in ENDPOINTS if e[0] == "POST"])
def test_technicians_are_refused_the_same_way(tech_client, billed, method, url, data):
    before = snapshot()
    assert _request(tech_client, billed, method, url, data).status_code == 409
    assert snapshot() == before


def test_reading_a_billed_ticket_still_works(admin_client, billed):
    assert admin_client.get("/tickets/{t}".format(**billed)).status_code == 200
    assert admin_client.get("/tickets/{t}/totals".format(**billed)).status_code == 200
    row = admin_client.get("/tickets/{t}/time/{e}".format(**billed), headers=HX)
    assert row.status_code == 200 and ">Edit<" not in row.get_data(as_text=True)
    row = admin_client.get("/tickets/{t}/expenses/{x}".format(**billed), headers=HX)
    assert row.status_code == 200 and "Delete" not in row.get_data(as_text=True)
