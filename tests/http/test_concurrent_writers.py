"""Writers at the same moment: batches saved and deleted for one period by several workers at
once (real threads, each with its own client and database session, on a file SQLite database or
PostgreSQL). Every answer is a success or a 409 in words, never a 5xx; afterwards nothing is
billed twice and every invoice adds up."""

import re
import threading
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from models import (
    ContractCharge,
    ContractType,
    Customer,
    Invoice,
    InvoiceBatch,
    InvoiceLine,
    Ticket,
    TicketStatus,
    db,
)
from tests.conftest import log_in
from tests.factories import make_contract, make_customer, make_ticket, make_time_entry

PERIOD = {"start": "2026-10-01", "end": "2026-10-31"}
WORKERS = 3
ROUNDS = 6
CONFLICT = "Reload and try again"


@pytest.fixture
def app_config():
    return {"BILLING_TODAY": "2026-11-05", "PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def period_work(app):
    """Four customers, each with a monthly retainer and an hourly contract with two tickets
    closed in October."""
    tickets = []
    for n in range(4):
        customer = make_customer(name=f"Customer {n}")
        make_contract(customer, name=f"Retainer {n}", type=ContractType.RETAINER,
                      quantity=Decimal(1), unit_price_minor=50000)  # fmt: skip
        hourly = make_contract(customer, name=f"Hourly {n}")
        for t in range(2):
            ticket = make_ticket(hourly, title=f"Ticket {n}.{t}", status=TicketStatus.CLOSED)
            ticket.closed_at = datetime(2026, 10, 20, tzinfo=UTC)
            make_time_entry(ticket, minutes=30 + 15 * t, work_date=date(2026, 10, 10 + t))
            tickets.append(ticket)
    db.session.commit()
    return tickets


def _batch_ids(client) -> list[int]:
    page = client.get("/batches").get_data(as_text=True)
    return sorted({int(i) for i in re.findall(r'href="/batches/(\d+)"', page)})


def _worker(client, barrier: threading.Barrier, answers: list, number: int) -> None:
    barrier.wait()
    for round_ in range(ROUNDS):
        saved = client.post("/batches", data={**PERIOD, "name": f"W{number}R{round_}"})
        answers.append(("save", saved.status_code, saved.get_data(as_text=True)))
        listed = _batch_ids(client)
        # Delete one batch: some workers the newest, others the oldest, so they collide.
        if listed:
            target = listed[-1] if (number + round_) % 2 else listed[0]
            deleted = client.post(f"/batches/{target}/delete")
            answers.append(("delete", deleted.status_code, deleted.get_data(as_text=True)))


def _run_workers(app, admin) -> list:
    # Plain clients: each request pushes its own app context (and session) in its thread.
    clients = [log_in(FlaskClient(app, app.response_class), admin) for _ in range(WORKERS)]
    barrier = threading.Barrier(WORKERS)
    answers: list = []
    failures: list = []

    def run(client, number):
        try:
            _worker(client, barrier, answers, number)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(c, n)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    return answers


def _assert_consistent() -> None:
    db.session.expire_all()
    lines = db.session.execute(
        sa.select(InvoiceLine.invoice_id, InvoiceLine.ticket_id, InvoiceLine.time_entry_id)
    ).all()
    by_ticket = Counter(t for _, t, _ in {(i, t, None) for i, t, _ in lines} if t is not None)
    assert all(count == 1 for count in by_ticket.values()), by_ticket  # no ticket billed twice
    by_entry = Counter(e for _, _, e in {(i, None, e) for i, _, e in lines} if e is not None)
    assert all(count == 1 for count in by_entry.values()), by_entry
    for invoice in db.session.scalars(sa.select(Invoice)):
        amounts = sum(line.amount_minor for line in invoice.lines)
        assert invoice.lines and invoice.subtotal_minor == amounts, invoice.number
        assert invoice.total_minor == invoice.subtotal_minor + invoice.tax_minor
    for ticket in db.session.scalars(sa.select(Ticket)):
        billed_on = {line.invoice.batch_id for line in _lines_of(ticket)}
        # A billed ticket is on an invoice of its batch; an unbilled one is on none.
        assert billed_on == ({ticket.batch_id} if ticket.batch_id else set()), ticket.title
    charges = db.session.execute(sa.select(ContractCharge.contract_id, ContractCharge.period_start))
    assert not [k for k, n in Counter(charges).items() if n > 1]
    batches = db.session.scalars(sa.select(InvoiceBatch)).all()
    assert all(batch.invoices for batch in batches)  # no empty batch left behind


def _lines_of(ticket: Ticket) -> list[InvoiceLine]:
    return db.session.scalars(
        sa.select(InvoiceLine).where(InvoiceLine.ticket_id == ticket.id)
    ).all()


def test_concurrent_saves_and_deletes_answer_409_never_5xx(app, admin, period_work):
    answers = _run_workers(app, admin)
    statuses = Counter((kind, status) for kind, status, _ in answers)
    server_errors = [(kind, status, body[:300]) for kind, status, body in answers if status >= 500]
    assert not server_errors, statuses
    for kind, status, body in answers:
        assert status in (200, 204, 302, 404, 409, 422), (kind, status, body[:300])
        if status == 404:
            assert kind == "delete"  # deleted by another worker before this request began
        if status == 409:
            assert "nothing was changed" in body and CONFLICT in body, body[:500]
        if status == 422:
            assert kind == "save" and "nothing to bill" in body  # all billed by the others
    assert statuses[("save", 302)] >= 1
    _assert_consistent()
    # Whatever interleaving happened, what is left can still be billed in full: one last save
    # bills every ticket not billed yet, and the period is then billed exactly once.
    client = log_in(app.test_client(), admin)
    client.post("/batches", data={**PERIOD, "name": "Last"})
    _assert_consistent()
    unbilled = db.session.scalar(
        sa.select(sa.func.count(Ticket.id)).where(Ticket.batch_id.is_(None))
    )
    assert unbilled == 0


# --- the app-wide answer to a write conflict, from errors the database really raised -------


@pytest.fixture
def conflicting_routes(app):
    """Routes that collide with another writer, as any view could."""

    def duplicate():
        db.session.add(Customer(name="Taken", currency="USD"))
        db.session.flush()  # the unique name, just committed by another writer
        return "saved"

    def blocked():
        # Wait 0.2 s for the other writer's lock rather than the usual seconds.
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("SET LOCAL lock_timeout = '200ms'"))
        else:
            db.session.execute(sa.text("PRAGMA busy_timeout = 200"))
        db.session.add(Customer(name="Blocked", currency="USD"))
        db.session.flush()  # waits on the other writer's lock, then gives up
        return "saved"

    def vanished(customer_id: int, how: str):
        customer = db.session.get(Customer, customer_id)
        with db.engine.begin() as other:  # another writer deletes it meanwhile
            other.execute(sa.delete(Customer).where(Customer.id == customer_id))
        if how == "update":
            customer.name = "Renamed"
            db.session.flush()  # StaleDataError: the row is gone
        else:
            db.session.expire(customer)
            customer.name  # noqa: B018 - ObjectDeletedError on refresh
        return "saved"

    def broken():
        db.session.execute(sa.text("SELECT * FROM no_such_table"))

    app.add_url_rule("/test-duplicate", "test_duplicate", duplicate, methods=["POST"])
    app.add_url_rule("/test-blocked", "test_blocked", blocked, methods=["POST"])
    app.add_url_rule("/test-vanished/<int:customer_id>/<how>", "test_vanished", vanished,
                     methods=["POST"])  # fmt: skip
    app.add_url_rule("/test-broken", "test_broken", broken, methods=["POST"])
    return app


def _assert_conflict(response) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 409, body[:500]
    assert "Another change was saved at the same moment; nothing was changed." in body
    assert CONFLICT in body


def test_a_unique_key_taken_meanwhile_is_a_409(conflicting_routes, admin_client):
    make_customer(name="Taken")
    _assert_conflict(admin_client.post("/test-duplicate"))
    response = admin_client.post("/test-duplicate", headers={"HX-Request": "true"})
    _assert_conflict(response)
    assert response.headers["HX-Retarget"] == "#flash"
    names = db.session.scalars(sa.select(Customer.name)).all()
    assert names.count("Taken") == 1


@pytest.mark.parametrize("how", ["update", "refresh"])
def test_a_row_deleted_underneath_is_a_409(conflicting_routes, admin_client, how):
    customer = make_customer(name="Going")
    _assert_conflict(admin_client.post(f"/test-vanished/{customer.id}/{how}"))


def test_a_lock_held_too_long_by_another_writer_is_a_409(app, conflicting_routes, admin_client):
    with db.engine.connect() as other:  # another writer, in the middle of its transaction
        other.execute(sa.insert(Customer).values(name="Blocked", currency="USD"))
        try:
            _assert_conflict(admin_client.post("/test-blocked"))
        finally:
            other.rollback()
    assert "Blocked" not in db.session.scalars(sa.select(Customer.name)).all()


def test_a_database_error_that_is_no_conflict_stays_a_500(conflicting_routes, admin_client):
    conflicting_routes.config["PROPAGATE_EXCEPTIONS"] = False
    response = admin_client.post("/test-broken")
    assert response.status_code == 500
    assert b"Something went wrong" in response.data
