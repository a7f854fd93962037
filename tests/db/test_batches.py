"""Saving and deleting batches against a real database, including two saves at once."""

import threading
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from billing.batches.preview import BatchRequest, build_preview
from billing.batches.store import delete_batch, save_batch
from billing.errors import Conflict, ValidationFailed
from billing.settings import get_settings
from models import (
    BillingPeriod,
    ContractCharge,
    ContractType,
    Invoice,
    InvoiceBatch,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
    Ticket,
    TicketStatus,
    db,
)
from tests.factories import (
    make_contract,
    make_customer,
    make_retainer,
    make_ticket,
    make_time_entry,
)

TODAY = date(2026, 11, 25)
OCTOBER = BatchRequest(date(2026, 10, 1), date(2026, 10, 31))


def _closed(ticket: Ticket, day: int = 20) -> Ticket:
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = datetime(2026, 10, day, 12, tzinfo=UTC)
    db.session.commit()
    return ticket


@pytest.fixture
def october(app):
    """A retainer and an hourly contract with two closed October tickets."""
    settings = get_settings()
    settings.invoice_prefix = "INV-"
    settings.payment_terms_days = 14
    acme = make_customer(name="Acme")
    retainer = make_retainer(acme, 100000, name="Managed services")
    hourly = make_contract(acme, name="Break/fix")
    tickets = [_closed(make_ticket(hourly)), _closed(make_ticket(hourly))]
    for t in tickets:
        make_time_entry(t, minutes=90, work_date=date(2026, 10, 10))  # 1.5 h x 125.00
    open_ticket = make_ticket(hourly)
    make_time_entry(open_ticket, minutes=60)
    db.session.commit()
    return {"retainer": retainer, "hourly": hourly, "tickets": tickets, "open": open_ticket}


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_preview_equals_what_saving_creates(october):
    preview = build_preview(OCTOBER, TODAY)
    expected = {item.contract.id: item.totals.total_minor for item in preview.to_bill}
    assert preview.summary()["invoices"] == 2 and preview.summary()["tickets"] == 2
    assert preview.summary()["money"] == {"USD": [137500, 0, 137500]}
    batch = save_batch(OCTOBER, None, TODAY)
    db.session.commit()
    invoices = db.session.scalars(sa.select(Invoice).order_by(Invoice.number)).all()
    assert {i.contract_id: i.total_minor for i in invoices} == expected
    assert [i.number for i in invoices] == ["INV-0001", "INV-0002"]
    assert all(i.status == InvoiceStatus.DRAFT and i.batch_id == batch.id for i in invoices)
    assert all(i.due_date == date(2026, 12, 9) for i in invoices)  # 14 days' terms
    hourly_invoice = next(i for i in invoices if i.contract_id == october["hourly"].id)
    assert sorted(line.amount_minor for line in hourly_invoice.lines) == [18750, 18750]
    assert batch.name == "Oct 2026"
    db.session.expire_all()
    assert {t.batch_id for t in october["tickets"]} == {batch.id}
    assert october["open"].batch_id is None
    assert _count(ContractCharge) == 1
    assert get_settings().next_invoice_number == 3


def test_a_second_batch_finds_nothing_left(october):
    save_batch(OCTOBER, None, TODAY)
    db.session.commit()
    with pytest.raises(ValidationFailed, match="nothing to bill"):
        save_batch(OCTOBER, None, TODAY)
    db.session.rollback()
    assert _count(Invoice) == 2


def test_excluded_ticket_stays_unbilled(october):
    keep, skip = october["tickets"]
    request = BatchRequest(OCTOBER.start, OCTOBER.end, excluded_tickets={skip.id})
    save_batch(request, None, TODAY)
    db.session.commit()
    db.session.expire_all()
    assert keep.batch_id is not None and skip.batch_id is None


def test_current_month_is_locked_until_it_ends(october):
    preview = build_preview(BatchRequest(date(2026, 11, 1), date(2026, 11, 30)), TODAY)
    (retainer,) = [c for c in preview.contracts if c.contract.type == ContractType.RETAINER]
    assert "has not ended yet" in retainer.locked_reason
    assert retainer not in preview.to_bill


def test_on_demand_hourly_bills_any_day(app):
    contract = make_contract(billing_period=BillingPeriod.ON_DEMAND)
    ticket = make_ticket(contract, status=TicketStatus.RESOLVED)
    ticket.closed_at = datetime(2026, 11, 24, tzinfo=UTC)
    make_time_entry(ticket, minutes=30)
    preview = build_preview(BatchRequest(date(2026, 11, 1), date(2026, 11, 30)), TODAY)
    assert [c.totals.total_minor for c in preview.to_bill] == [6250]


def test_delete_releases_tickets_frees_numbers_for_good_and_keeps_the_trail(october):
    batch = save_batch(OCTOBER, None, TODAY)
    db.session.commit()
    assert delete_batch(batch, None) == ["INV-0001", "INV-0002"]
    db.session.commit()
    db.session.expire_all()
    assert _count(Invoice) == 0 and _count(InvoiceLine) == 0 and _count(InvoiceBatch) == 0
    assert _count(ContractCharge) == 0
    assert all(t.batch_id is None for t in october["tickets"])
    events = db.session.scalars(sa.select(InvoiceEvent).where(InvoiceEvent.kind == "deleted"))
    assert sorted(e.invoice_number for e in events) == ["INV-0001", "INV-0002"]
    again = save_batch(OCTOBER, None, TODAY)
    db.session.commit()
    assert sorted(i.number for i in again.invoices) == ["INV-0003", "INV-0004"]


def test_delete_is_refused_while_an_invoice_is_paid(october):
    batch = save_batch(OCTOBER, None, TODAY)
    db.session.commit()
    invoice = batch.invoices[0]
    invoice.status = InvoiceStatus.PAID
    db.session.commit()
    with pytest.raises(Conflict, match=f"{invoice.number} \\(paid\\)"):
        delete_batch(batch, None)
    db.session.rollback()
    assert _count(Invoice) == 2


def test_two_batches_saved_at_the_same_moment_bill_each_ticket_once(october, app):
    """Two sessions on two connections: the second waits for the first (``lock_batches``),
    then finds nothing left to bill."""
    first_flushed = threading.Event()
    outcomes: dict[str, object] = {}

    def first():
        with app.app_context():
            batch = save_batch(BatchRequest(OCTOBER.start, OCTOBER.end, name="A"), None, TODAY)
            first_flushed.set()
            threading.Event().wait(0.5)  # hold the locks while the other one tries
            db.session.commit()
            outcomes["A"] = batch.id

    def second():
        with app.app_context():
            first_flushed.wait(10)
            try:
                save_batch(BatchRequest(OCTOBER.start, OCTOBER.end, name="B"), None, TODAY)
                db.session.commit()
                outcomes["B"] = "saved"
            except (Conflict, ValidationFailed) as error:
                db.session.rollback()
                outcomes["B"] = error

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert isinstance(outcomes["B"], ValidationFailed), outcomes
    assert "nothing to bill" in str(outcomes["B"])
    db.session.expire_all()
    assert {t.batch_id for t in october["tickets"]} == {outcomes["A"]}
    assert _count(InvoiceBatch) == 1 and _count(Invoice) == 2
    assert _count(ContractCharge) == 1
