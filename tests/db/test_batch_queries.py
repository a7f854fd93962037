"""Saving a batch for 1,000 contracts: the SQL statements do not grow with tickets or time."""

from datetime import date

import pytest
import sqlalchemy as sa

from bench.month import build_month
from billing.batches.preview import BatchRequest
from billing.batches.store import save_batch
from models import Ticket, db

TODAY = date(2026, 11, 25)
OCTOBER = BatchRequest(date(2026, 10, 1), date(2026, 10, 31))


def _statements_to_save(count_queries) -> int:
    with count_queries() as log:
        batch = save_batch(OCTOBER, None, TODAY)
        db.session.commit()
    assert len(batch.invoices) == 1000
    return len(log)


@pytest.mark.parametrize(("tickets", "entries"), [(1, 1), (3, 4)])
def test_a_month_for_1000_contracts_costs_the_same_statements(app, count_queries, tickets, entries):
    build_month(1000, tickets, entries)
    statements = _statements_to_save(count_queries)
    billed = db.session.scalar(
        sa.select(sa.func.count(Ticket.id)).where(Ticket.batch_id.isnot(None))
    )
    assert billed == 1000 * tickets
    # Fixed: contracts + their 3 loaded relations (2 chunks of 500 each), tickets, time,
    # expenses, charges, open projects, block ledger, tickets whose work waits (resolved
    # after the period), settings/numbers, the lock against other batch writers (one
    # statement, see ``lock_batches``), the inserts, and the bump of the per-process cache's
    # version (a new batch changes the Billing page's choices, see billing/process_cache.py).
    # The same figure whether a contract has 1 ticket with 1 entry or 3 with 4 each.
    assert statements == EXPECTED_STATEMENTS


EXPECTED_STATEMENTS = 27
