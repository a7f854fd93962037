"""Fill an empty database with a realistic MSP history for the benchmarks (issue #7).

``generate()`` writes, with bulk inserts and ids chosen here: settings, an admin and technicians,
tax rates, rates, products, customers (mostly USD, some EUR and GBP), contracts of every type
with their rates, services and unit counts, tickets with time entries and expenses, and monthly
invoice batches whose invoices, lines, contract charges, block ledger and audit events agree
with each other as the billing rules would have written them. ``flask --app app bench-data``
runs it from the command line.
"""

from __future__ import annotations

import random
from datetime import date

import sqlalchemy as sa

from bench.gen_catalog import CATALOG_TABLES, build_catalog
from bench.gen_db import analyze, fast_load, fix_sequences
from bench.gen_invoices import InvoiceWriter
from bench.gen_work import build_work, insert_work
from clock import today as billing_today
from models import (
    BlockLedgerEntry,
    ContractCharge,
    Customer,
    Expense,
    Invoice,
    InvoiceBatch,
    InvoiceEvent,
    InvoiceLine,
    Ticket,
    TimeEntry,
    db,
)

# Any row in these means the database is in use: generate() refuses to touch it.
MUST_BE_EMPTY = tuple(dict.fromkeys((Customer, Invoice, InvoiceBatch, Ticket, *CATALOG_TABLES)))
ID_TABLES = (*CATALOG_TABLES, Ticket, TimeEntry, Expense, InvoiceBatch, Invoice, InvoiceLine,
             ContractCharge, BlockLedgerEntry, InvoiceEvent)  # fmt: skip


class DatabaseNotEmpty(RuntimeError):
    """The database already holds data that the generator would collide with."""


def generate(
    *,
    customers: int = 200,
    months: int = 24,
    contracts: int = 1000,
    tickets: int = 50_000,
    entries: int = 250_000,
    invoices: int = 100_000,
    lines: int = 1_000_000,
    seed: int = 1,
    today: date | None = None,
) -> dict[str, int]:
    """Fill the empty database of the current app context and commit; return the row counts.

    ``lines`` is the total number of invoice lines; one invoice has exactly 300 of them (its id
    is ``big_invoice_id``). The same ``seed`` and ``today`` give the same data.

    :raise DatabaseNotEmpty: customers, invoices, the catalog or tickets exist already.
    :raise ValueError: counts that cannot be honoured (e.g. fewer lines than invoices need).
    """
    filled = [m.__tablename__ for m in MUST_BE_EMPTY if db.session.scalar(sa.select(m.id).limit(1))]
    if filled:
        raise DatabaseNotEmpty(
            f"bench-data needs an empty database; it has {', '.join(filled)} already."
        )
    if min(customers, months, contracts) < 1 or min(tickets, entries) < 0:
        raise ValueError("customers, months and contracts must be at least 1.")
    rng = random.Random(seed)
    today = today or billing_today()
    with fast_load():
        catalog = build_catalog(rng, customers, contracts, months, today)
        catalog.first_number = catalog.settings.next_invoice_number
        work = build_work(rng, catalog, tickets, entries)
        time_entries, expenses = insert_work(work)
        written = InvoiceWriter(rng, catalog, work, months).write(invoices, lines)
        catalog.settings.next_invoice_number = catalog.first_number + written.invoices
        fix_sequences(m.__table__ for m in ID_TABLES)
        db.session.commit()
    analyze()
    return {
        "customers": len(catalog.customers),
        "contracts": len(catalog.contracts),
        "tickets": len(work),
        "billed_tickets": sum(len(ids) for ids in written.billed.values()),
        "time_entries": time_entries,
        "expenses": expenses,
        "invoice_batches": months,
        "invoices": written.invoices,
        "invoice_lines": written.lines,
        "contract_charges": written.charges,
        "block_ledger_entries": written.block_entries,
        "invoice_events": written.events,
        "big_invoice_id": written.big_invoice_id,
    }
