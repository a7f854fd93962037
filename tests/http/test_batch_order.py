"""A contract's periods are billed in order, late work waits or goes with the next period, and
nothing to bill makes no invoice (issue: batches billed in any order)."""

from datetime import date, datetime, time

import pytest
import sqlalchemy as sa

from billing.contracts.blocks import load_block_balance
from models import (
    BillingPeriod,
    BlockEntryKind,
    BlockLedgerEntry,
    ContractCharge,
    ContractType,
    Invoice,
    InvoiceLine,
    Ticket,
    TicketStatus,
    db,
)
from tests.factories import make_contract, make_rate, make_ticket, make_time_entry

OCT, NOV, DEC = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)
BATCHES = {  # the batches of the story, as the CLI takes them
    "october": ("2026-10-01", "2026-10-31"),
    "november to 3 December": ("2026-11-01", "2026-12-03"),
    "october to 3 December": ("2026-10-01", "2026-12-03"),
}
ORDERS = [
    ("october", "november to 3 December"),
    ("november to 3 December", "october"),
    ("october to 3 December",),
]


@pytest.fixture
def app_config():
    return {"BILLING_TODAY": "2026-12-03"}


def _block_contract():
    """Block hours, 10 h a month with rollover, from 1 October; 3:00 of work in October and
    13:15 in November on one ticket resolved in November."""
    contract = make_contract(
        type=ContractType.BLOCK_HOURS, billing_period=BillingPeriod.MONTHLY, start_date=OCT,
        block_minutes=600, unit_price_minor=100000, rollover=True, overage_rate_minor=14000,
        rates=[make_rate(hourly_price_minor=12500)],
    )  # fmt: skip
    ticket = make_ticket(contract, status=TicketStatus.RESOLVED,
                         closed_at=datetime.combine(date(2026, 11, 20), time(16)))  # fmt: skip
    make_time_entry(ticket, work_date=date(2026, 10, 15), minutes=180)
    make_time_entry(ticket, work_date=date(2026, 11, 10), minutes=795)
    return contract


def _bill(runner, which: str):
    start, end = BATCHES[which]
    return runner.invoke(args=["batches", "create", "--start", start, "--end", end])


def _charged(contract_id: int) -> list[date]:
    rows = db.session.scalars(
        sa.select(ContractCharge.period_start)
        .where(ContractCharge.contract_id == contract_id)
        .order_by(ContractCharge.period_start)
    )
    return list(rows)


def _november_row(balance):
    return next(r for r in balance.rows if r.month == NOV)


@pytest.mark.parametrize("order", ORDERS, ids=[" then ".join(o) for o in ORDERS])
def test_periods_billed_in_any_order_charge_each_block_once_without_overage(
    admin_client, runner, order
):
    contract = _block_contract()
    page = admin_client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    before = load_block_balance(contract, date(2026, 12, 3))
    assert _november_row(before).closing == 225  # the projection: 3:45 h after November
    assert 'id="balance-2026-11"' in page and "3:45" in page.split('id="balance-2026-11"')[1][:900]
    said = " ".join(page.split())  # the page's own words, before any batch
    assert "After November 2026, the last period a batch can bill today:" in said
    assert '<strong id="block-balance-billable">3:45 h</strong>' in said
    for which in order:
        _bill(runner, which)
    db.session.expire_all()
    assert _charged(contract.id) == [OCT, NOV]  # each block charged once
    kinds = db.session.scalars(
        sa.select(BlockLedgerEntry.kind).where(BlockLedgerEntry.contract_id == contract.id)
    ).all()
    assert BlockEntryKind.OVERAGE not in kinds
    lines = db.session.scalars(sa.select(InvoiceLine.description)).all()
    assert not [d for d in lines if "overage" in d]
    assert sum("block of 10:00 h" in d for d in lines) == 2
    after = load_block_balance(contract, date(2026, 12, 3))
    assert _november_row(after).closing == 225  # what the projection said


def test_the_builder_shows_the_catch_up_and_a_period_before_a_billed_one_is_refused(
    admin_client, runner
):
    contract = _block_contract()
    page = admin_client.get("/batches/new?start=2026-11-01&end=2026-12-03").get_data(as_text=True)
    assert "Catch-up: Oct 2026" in page
    # November billed while the contract said it started then; its start moved back to 1
    # October afterwards: October comes before a billed period and is refused.
    contract.start_date = NOV
    db.session.commit()
    assert _bill(runner, "november to 3 December").exit_code == 0
    contract.start_date = OCT
    db.session.commit()
    page = admin_client.get("/batches/new?start=2026-10-01&end=2026-10-31").get_data(as_text=True)
    assert "Oct 2026 comes before Nov 2026, which is already billed" in page
    result = _bill(runner, "october")
    db.session.expire_all()
    assert _charged(contract.id) == [NOV] and "nothing to bill" in result.output.lower()


def test_late_work_after_a_billed_period_waits_then_goes_with_the_next_period(
    admin_client, runner, app
):
    contract = _block_contract()
    assert _bill(runner, "november to 3 December").exit_code == 0  # October and November
    late = make_ticket(contract, status=TicketStatus.RESOLVED,
                       closed_at=datetime.combine(date(2026, 12, 2), time(9)))  # fmt: skip
    make_time_entry(late, work_date=date(2026, 11, 27), minutes=60)
    response = admin_client.get("/batches/new?start=2026-11-01&end=2026-11-30")
    assert response.status_code == 200  # was a 500 (IndexError)
    page = response.get_data(as_text=True)
    assert "waits for the next period to bill, Dec 2026" in page
    app.config["BILLING_TODAY"] = "2027-01-04"
    result = runner.invoke(args=["batches", "create", "--start", "2026-12-01", "--end",
                                 "2026-12-31"])  # fmt: skip
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Ticket, late.id).batch_id is not None
    assert _charged(contract.id) == [OCT, NOV, DEC]
    december = load_block_balance(contract, date(2027, 1, 4))
    row = next(r for r in december.rows if r.month == DEC)
    assert (row.purchased, row.overage) == (600, 0)


def test_a_contract_with_nothing_to_bill_gets_no_invoice(admin_client, runner):
    hourly = make_contract(start_date=OCT)  # hourly, no tickets
    block = make_contract(
        type=ContractType.BLOCK_HOURS, start_date=NOV, block_minutes=600, unit_price_minor=1000,
        rates=[make_rate()],
    )  # fmt: skip
    db.session.add(BlockLedgerEntry(contract_id=block.id, entry_date=NOV,
                                    kind=BlockEntryKind.PURCHASE, minutes=600))  # fmt: skip
    db.session.commit()
    page = admin_client.get("/batches/new?start=2026-11-01&end=2026-11-30").get_data(as_text=True)
    assert f"batch-contract-{hourly.id}" not in page and f"batch-contract-{block.id}" not in page
    _bill(runner, "november to 3 December")
    assert db.session.scalar(sa.select(sa.func.count(Invoice.id))) == 0


def _two_tickets():
    contract = make_contract(start_date=OCT)  # hourly, $125.00 an hour
    tickets = []
    for title, minutes in (("Printer jam", 60), ("Server patching", 120)):
        ticket = make_ticket(contract, title=title, status=TicketStatus.RESOLVED,
                             closed_at=datetime.combine(date(2026, 11, 20), time(9)))  # fmt: skip
        make_time_entry(ticket, work_date=date(2026, 11, 18), minutes=minutes)
        make_time_entry(ticket, work_date=date(2026, 11, 19), minutes=30)
        tickets.append(ticket)
    return contract, tickets


def _picks(contract, kept, detail: str) -> dict:
    return {
        "start": "2026-11-01", "end": "2026-11-30", "picked": "1", "detail": detail,
        "contract": [str(contract.id)], "ticket": [str(t.id) for t in kept],
        "entry": [str(e.id) for t in kept for e in t.time_entries],
    }  # fmt: skip


def test_every_figure_follows_the_ticks_and_the_detail_level_keeps_them(admin_client):
    contract, (printer, server) = _two_tickets()
    full = admin_client.get("/batches/new?start=2026-11-01&end=2026-11-30").get_data(as_text=True)
    assert "$500.00" in full.split(f'id="contract-amount-{contract.id}"')[1][:80]  # 4:00 h
    fragment = admin_client.get(
        "/batches/summary", query_string=_picks(contract, [printer], "ticket")
    ).get_data(as_text=True)
    amount = fragment.split(f'id="contract-amount-{contract.id}" hx-swap-oob="true">')[1]
    assert amount.startswith("$187.50")  # the contract's own amount follows the untick
    lines = fragment.split(f'id="contract-lines-{contract.id}" hx-swap-oob="true">')[1]
    assert "Printer jam" in lines and "Server patching" not in lines
    by_entry = admin_client.get(
        "/batches/summary", query_string=_picks(contract, [printer], "time_entry")
    ).get_data(as_text=True)
    lines = by_entry.split(f'id="contract-lines-{contract.id}" hx-swap-oob="true">')[1]
    # a line per time entry now, and the unticked ticket still left out
    assert lines.count(f"#{printer.id} 2026-11-1") == 2 and f"#{server.id} " not in lines
    assert 'data-figure="total-USD"><strong>$187.50' in by_entry
    saved = admin_client.post("/batches", data=_picks(contract, [printer], "time_entry"))
    assert saved.status_code == 302
    (invoice,) = db.session.scalars(sa.select(Invoice)).all()
    assert invoice.total_minor == 18750 and len(invoice.lines) >= 2
    assert db.session.get(Ticket, server.id).batch_id is None


def test_work_resolved_after_the_period_is_listed_and_a_resolved_date_brings_it_back(
    admin_client, runner
):
    """November work on a ticket resolved on 3 December: not billable in November, said so;
    an admin sets the resolved date to 30 November (audited) and November bills it."""
    contract = make_contract(start_date=OCT)
    ticket = make_ticket(contract, title="Firewall swap", status=TicketStatus.RESOLVED,
                         closed_at=datetime.combine(date(2026, 12, 3), time(9)))  # fmt: skip
    make_time_entry(ticket, work_date=date(2026, 11, 25), minutes=120)
    page = admin_client.get("/batches/new?start=2026-11-01&end=2026-11-30").get_data(as_text=True)
    assert f"#{ticket.id} Firewall swap: resolved on 03 Dec 2026, after this period." in page
    future = admin_client.post(f"/tickets/{ticket.id}/resolved-date",
                               data={"resolved_on": "2026-12-24"})  # fmt: skip
    assert future.status_code == 422
    assert "cannot be in the future" in future.get_data(as_text=True)
    early = admin_client.post(f"/tickets/{ticket.id}/resolved-date",
                              data={"resolved_on": "2026-11-20"})  # fmt: skip
    assert early.status_code == 422 and "has work on 25 Nov 2026" in early.get_data(as_text=True)
    done = admin_client.post(f"/tickets/{ticket.id}/resolved-date",
                             data={"resolved_on": "2026-11-30"})  # fmt: skip
    assert done.status_code == 302
    page = admin_client.get(done.location).get_data(as_text=True)
    assert "Resolved date set to 30 Nov 2026 (was 03 Dec 2026)." in page
    result = runner.invoke(args=["batches", "create", "--start", "2026-11-01", "--end",
                                 "2026-11-30"])  # fmt: skip
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).batch_id is not None


def test_a_technician_cannot_move_a_resolved_date(tech_client):
    ticket = make_ticket(make_contract(), status=TicketStatus.OPEN)
    response = tech_client.post(f"/tickets/{ticket.id}/resolved-date",
                                data={"resolved_on": "2026-11-30"})  # fmt: skip
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == TicketStatus.OPEN
