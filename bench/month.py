"""An MSP's October for 1,000 contracts, bulk-inserted: what the batch benchmark saves, and
what ``tests/db/test_batch_queries.py`` counts the statements of.

1,000 customers with a contract each, of the four common types in turn, with closed tickets
and time (needs an app context on an empty, migrated database).
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import cycle

import sqlalchemy as sa


def build_month(contracts: int, tickets_per_contract: int, entries_per_ticket: int) -> None:
    """Bulk-insert an MSP's October: ``contracts`` contracts with closed tickets and time."""
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

    kinds = cycle(
        [
            ContractType.HOURLY,
            ContractType.RETAINER,
            ContractType.BLOCK_HOURS,
            ContractType.PER_UNIT,
        ]
    )
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
    db.session.execute(
        sa.insert(Contract),
        [{"customer_id": customer_id, "name": "Main", "type": next(kinds),
          "billing_period": BillingPeriod.MONTHLY, "start_date": date(2026, 1, 1),
          "quantity": Decimal(1), "unit_price_minor": 50000, "block_minutes": 600,
          "overage_rate_minor": 15000, "unit_label": "device"}
         for customer_id in customer_ids],
    )  # fmt: skip
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
