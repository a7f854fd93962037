"""Saving a batch for 1,000 contracts: the SQL statements do not grow with tickets or time."""

from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import cycle

import pytest
import sqlalchemy as sa

from billing.batch_preview import BatchRequest
from billing.batches import save_batch
from billing.settings import get_settings
from models import (
    BillingPeriod,
    Contract,
    ContractRate,
    ContractType,
    ContractUnitCount,
    Customer,
    Rate,
    Ticket,
    TicketStatus,
    TimeEntry,
    User,
    db,
)

TODAY = date(2026, 11, 25)
OCTOBER = BatchRequest(date(2026, 10, 1), date(2026, 10, 31))
TYPES = cycle(
    [ContractType.HOURLY, ContractType.RETAINER, ContractType.BLOCK_HOURS, ContractType.PER_UNIT]
)


def generate(contracts: int, tickets_per_contract: int, entries_per_ticket: int) -> None:
    """Bulk-insert an MSP's October: ``contracts`` contracts with closed tickets and time."""
    get_settings()
    user = User(email="gen@example.com", name="Gen", password_hash="x")
    rate = Rate(name="Standard", hourly_price_minor=12500, currency="USD")
    db.session.add_all([user, rate])
    db.session.flush()
    db.session.execute(
        sa.insert(Customer),
        [{"name": f"Customer {i}", "currency": "USD"} for i in range(contracts)],
    )
    customer_ids = db.session.scalars(sa.select(Customer.id).order_by(Customer.id)).all()
    rows = []
    for customer_id in customer_ids:
        kind = next(TYPES)
        rows.append(
            {"customer_id": customer_id, "name": "Main", "type": kind,
             "billing_period": BillingPeriod.MONTHLY, "start_date": date(2026, 1, 1),
             "quantity": Decimal(1), "unit_price_minor": 50000, "block_minutes": 600,
             "overage_rate_minor": 15000, "unit_label": "device"}
        )  # fmt: skip
    db.session.execute(sa.insert(Contract), rows)
    contract_rows = db.session.execute(sa.select(Contract.id, Contract.customer_id)).all()
    db.session.execute(
        sa.insert(ContractRate),
        [{"contract_id": cid, "rate_id": rate.id, "is_primary": True} for cid, _ in contract_rows],
    )
    db.session.execute(
        sa.insert(ContractUnitCount),
        [{"contract_id": cid, "effective_date": date(2026, 1, 1), "count": 12}
         for cid, _ in contract_rows],
    )  # fmt: skip
    closed = datetime(2026, 10, 28, tzinfo=UTC)
    db.session.execute(
        sa.insert(Ticket),
        [{"customer_id": cust, "contract_id": cid, "title": f"Ticket {n}",
          "status": TicketStatus.CLOSED, "closed_at": closed}
         for cid, cust in contract_rows for n in range(tickets_per_contract)],
    )  # fmt: skip
    ticket_ids = db.session.scalars(sa.select(Ticket.id)).all()
    db.session.execute(
        sa.insert(TimeEntry),
        [{"ticket_id": tid, "user_id": user.id, "work_date": date(2026, 10, 1 + n % 28),
          "minutes": 30 + 15 * n, "billable": True, "rate_id": rate.id}
         for tid in ticket_ids for n in range(entries_per_ticket)],
    )  # fmt: skip
    db.session.commit()


def _statements_to_save(count_queries) -> int:
    with count_queries() as log:
        batch = save_batch(OCTOBER, None, TODAY)
        db.session.commit()
    assert len(batch.invoices) == 1000
    return len(log)


@pytest.mark.parametrize(("tickets", "entries"), [(1, 1), (3, 4)])
def test_a_month_for_1000_contracts_costs_the_same_statements(app, count_queries, tickets, entries):
    generate(1000, tickets, entries)
    statements = _statements_to_save(count_queries)
    billed = db.session.scalar(
        sa.select(sa.func.count(Ticket.id)).where(Ticket.batch_id.isnot(None))
    )
    assert billed == 1000 * tickets
    # Fixed: contracts + their 3 loaded relations (2 chunks of 500 each), tickets, time,
    # expenses, charges, open projects, block ledger, settings/numbers, and the inserts.
    # The same figure whether a contract has 1 ticket with 1 entry or 3 with 4 each.
    assert statements == EXPECTED_STATEMENTS


EXPECTED_STATEMENTS = 24
