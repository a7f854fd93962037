"""The batch builder, its live summary, saving, the batch pages and deleting, over HTTP."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import (
    BillingPeriod,
    ContractType,
    Invoice,
    InvoiceBatch,
    InvoiceStatus,
    Ticket,
    TicketStatus,
    db,
)
from tests.factories import make_contract, make_customer, make_ticket, make_time_entry

PERIOD = {"start": "2026-10-01", "end": "2026-10-31"}


@pytest.fixture
def work(app):
    acme = make_customer(name="Acme Dental")
    retainer = make_contract(
        acme,
        name="Managed IT",
        type=ContractType.RETAINER,
        quantity=Decimal(1),
        unit_price_minor=90000,
    )
    hourly = make_contract(acme, name="Break/fix")
    quarterly = make_contract(
        acme,
        name="Quarterly care",
        type=ContractType.RETAINER,
        billing_period=BillingPeriod.QUARTERLY,
        quantity=Decimal(1),
        unit_price_minor=10000,
    )
    tickets = []
    for title, minutes in (("Server reboot", 60), ("VPN setup", 120)):
        ticket = make_ticket(hourly, title=title, status=TicketStatus.CLOSED)
        ticket.closed_at = datetime(2026, 10, 20, tzinfo=UTC)
        make_time_entry(ticket, minutes=minutes, work_date=date(2026, 10, 15))
        tickets.append(ticket)
    db.session.commit()
    return {"retainer": retainer, "hourly": hourly, "quarterly": quarterly, "tickets": tickets}


def _figure(html: str, name: str) -> str:
    return re.search(rf'data-figure="{name}">(?:<strong>)?([^<]+)<', html).group(1)


def test_builder_lists_contracts_locks_and_the_summary(admin_client, work):
    page = admin_client.get("/batches/new", query_string=PERIOD).get_data(as_text=True)
    assert "Managed IT" in page and "Break/fix" in page and "Server reboot" in page
    assert "Locked" in page and "Its quarterly period" in page  # Q4 ends after October
    assert _figure(page, "invoices") == "2"
    assert _figure(page, "tickets") == "2"
    assert _figure(page, "hours") == "3:00"
    assert _figure(page, "total-USD") == "$1,275.00"  # 900.00 + 3 h x 125.00


def test_summary_updates_as_items_are_excluded(admin_client, work):
    keep = work["tickets"][1]
    picked = {
        **PERIOD,
        "picked": "1",
        "contract": [work["retainer"].id, work["hourly"].id],
        "ticket": [keep.id],
        "entry": [e.id for t in work["tickets"] for e in t.time_entries],
    }
    response = admin_client.get(
        "/batches/summary", query_string=picked, headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="batch-summary"' in html
    assert _figure(html, "tickets") == "1" and _figure(html, "hours") == "2:00"
    assert _figure(html, "total-USD") == "$1,150.00"
    only_hourly = {**picked, "contract": [work["hourly"].id]}
    html = admin_client.get("/batches/summary", query_string=only_hourly).get_data(as_text=True)
    assert _figure(html, "invoices") == "1" and _figure(html, "total-USD") == "$250.00"


def test_saving_creates_what_the_preview_showed(admin_client, work):
    page = admin_client.get("/batches/new", query_string=PERIOD).get_data(as_text=True)
    previewed = _figure(page, "total-USD")
    form = {**PERIOD, "picked": "1", "name": "October run"}
    form["contract"] = [work["retainer"].id, work["hourly"].id]
    form["ticket"] = [t.id for t in work["tickets"]]
    form["entry"] = [e.id for t in work["tickets"] for e in t.time_entries]
    response = admin_client.post("/batches", data=form)
    assert response.status_code == 302
    batch = db.session.scalar(sa.select(InvoiceBatch))
    assert response.location == f"/batches/{batch.id}" and batch.name == "October run"
    detail = admin_client.get(response.location).get_data(as_text=True)
    assert "INV-0001" in detail and "INV-0002" in detail and "Draft" in detail
    total = sum(i.total_minor for i in db.session.scalars(sa.select(Invoice)))
    assert f"${total / 100:,.2f}" == previewed  # display check only; money stays integer
    assert all(t.batch_id == batch.id for t in db.session.scalars(sa.select(Ticket)))


def test_unticked_ticket_is_left_for_later(admin_client, work):
    kept, left = work["tickets"]
    form = {**PERIOD, "picked": "1", "contract": [work["hourly"].id], "ticket": [kept.id]}
    form["entry"] = [e.id for e in kept.time_entries]
    assert admin_client.post("/batches", data=form).status_code == 302
    db.session.expire_all()
    assert kept.batch_id is not None and left.batch_id is None


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"start": "2026-10-31", "end": "2026-10-01"}, "must end on or after its start"),
        ({"start": "31/10/2026", "end": "2026-10-31"}, "YYYY-MM-DD"),
        ({"start": "2025-10-01", "end": "2025-10-31"}, "nothing to bill"),
    ],
)
def test_bad_period_or_nothing_to_bill_is_422_and_saves_nothing(admin_client, work, form, message):
    response = admin_client.post("/batches", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(InvoiceBatch.id))) == 0


def test_delete_releases_tickets_and_is_refused_once_paid(admin_client, work):
    admin_client.post("/batches", data=PERIOD)
    batch = db.session.scalar(sa.select(InvoiceBatch))
    invoice = db.session.scalar(sa.select(Invoice).order_by(Invoice.number))
    invoice.status = InvoiceStatus.PAID
    db.session.commit()
    refused = admin_client.post(f"/batches/{batch.id}/delete")
    assert refused.status_code == 409
    assert f"{invoice.number} (paid)" in refused.get_data(as_text=True)
    invoice.status = InvoiceStatus.DRAFT
    db.session.commit()
    deleted = admin_client.post(f"/batches/{batch.id}/delete")
    assert deleted.status_code == 302
    listing = admin_client.get(deleted.location).get_data(as_text=True)
    assert "retired" in listing and "No batches yet." in listing
    assert db.session.scalar(sa.select(sa.func.count(Invoice.id))) == 0
    assert all(t.batch_id is None for t in db.session.scalars(sa.select(Ticket)))


def test_batches_list_shows_period_count_and_total(admin_client, work):
    admin_client.post("/batches", data={**PERIOD, "name": "Oct"})
    page = admin_client.get("/batches").get_data(as_text=True)
    assert "Oct" in page and "$1,275.00" in page


def test_technicians_cannot_bill(tech_client, work):
    assert tech_client.get("/batches/new").status_code == 403
    assert tech_client.get("/batches/summary").status_code == 403
    assert tech_client.post("/batches", data=PERIOD).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(InvoiceBatch.id))) == 0


def test_cli_creates_the_batch_and_prints_invoices(app, runner, work):
    result = runner.invoke(
        args=["batches", "create", "--start", "2026-10-01", "--end", "2026-10-31"]
    )
    assert result.exit_code == 0, result.output
    assert "INV-0001  Acme Dental  $375.00" in result.output  # Break/fix sorts first
    assert "INV-0002  Acme Dental  $900.00" in result.output
    again = runner.invoke(
        args=["batches", "create", "--start", "2026-10-01", "--end", "2026-10-31"]
    )
    assert again.exit_code == 1 and "nothing to bill" in again.output
    wrong = runner.invoke(
        args=["batches", "create", "--start", "2026-10-31", "--end", "2026-10-01"]
    )
    assert wrong.exit_code == 1 and "must end on or after" in wrong.output
    nobody = runner.invoke(
        args=[
            "batches",
            "create",
            "--start",
            "2026-09-01",
            "--end",
            "2026-09-30",
            "--customer",
            "X",
        ]
    )
    assert nobody.exit_code == 2 and "No customer is named 'X'" in nobody.output


def test_cli_lists_the_batches_as_the_page_does(admin_client, runner, work):
    admin_client.post("/batches", data={**PERIOD, "name": "Oct"})
    make_customer(name="Empty Co")
    db.session.add(
        InvoiceBatch(
            name="Nothing yet", period_start=date(2026, 9, 1), period_end=date(2026, 9, 30)
        )
    )
    db.session.commit()
    page = admin_client.get("/batches").get_data(as_text=True)
    result = runner.invoke(args=["batches", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # Newest first, as on the page: the empty batch was made after Oct.
    assert lines[0].endswith("Nothing yet  2026-09-01 to 2026-09-30  0 invoices")
    assert lines[1].endswith("Oct  2026-10-01 to 2026-10-31  2 invoices  $1,275.00")
    assert page.index("Nothing yet") < page.index(">Oct<") and "$1,275.00" in page
    assert runner.invoke(args=["batches", "list", "--limit", "1"]).output.count("\n") == 1
    assert runner.invoke(args=["batches", "list", "--limit", "0"]).exit_code == 2
    huge = runner.invoke(args=["batches", "list", "--limit", "99999999999999999999"])
    assert huge.exit_code == 2 and "10000" in huge.output  # refused before any query
