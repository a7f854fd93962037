"""Benchmark data, part two: tickets with their time entries and expenses, in memory first.

The invoice part decides which tickets are billed (``Tick.batch_id``) before they are inserted,
so that no ticket is updated after the load.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from bench import gen_text as text
from bench.gen_db import insert_rows
from bench.gen_model import BLOCK_KINDS, HOURLY_KINDS, Catalog, Con, Tax, at, fx, spread
from demo import content as demo_data
from demo.build import month_start
from models import ContractType, Expense, Ticket, TicketStatus, TimeEntry

SUPPORT_MINUTES = [5, 10, 15, 15, 15, 20, 30, 30, 30, 45, 45, 60, 60, 75, 90, 120, 180]
PROJECT_MINUTES = [60, 90, 120, 120, 180, 240]


@dataclass(slots=True, eq=False)
class Tick:
    """A ticket; ``entries`` are (id, user, day, minutes, billable, rate id, note) tuples and
    ``expenses`` (id, product, text, milli quantity, price, discount, billable, line tax, day,
    own tax rate id)."""

    id: int
    contract: Con
    title: str
    description: str
    opened: date
    closed: date | None
    status: TicketStatus
    entries: list[tuple] = field(default_factory=list)
    expenses: list[tuple] = field(default_factory=list)
    batch_id: int | None = None


def months_of(start: date, today: date) -> list[tuple[date, date]]:
    """The calendar months from ``start``'s to ``today``'s, as (first day, last day)."""
    result, first = [], start
    while first <= today:
        following = month_start(first, -1)
        result.append((first, following - timedelta(days=1)))
        first = following
    return result


def build_work(rng: random.Random, cat: Catalog, tickets: int, entries: int) -> list[Tick]:
    """Tickets spread over the window with entries and some expenses (about 3 in 10 tickets)."""
    today = cat.today
    months = months_of(cat.window_start, today)
    active = [[c for c in cat.contracts if c.active_in(a, b)] or cat.contracts for a, b in months]
    span = (today - cat.window_start).days + 1
    made: list[Tick] = []
    for _ in range(tickets):
        day = cat.window_start + timedelta(days=rng.randrange(span))
        if day.weekday() >= 5 and rng.random() < 0.8:  # few weekend tickets
            day -= timedelta(days=day.weekday() - 4)
        day = max(day, cat.window_start)
        index = (day.year - cat.window_start.year) * 12 + day.month - cat.window_start.month
        con = rng.choice(active[index])
        day = min(max(day, con.start), con.end or today, today)
        made.append(_ticket(rng, con, day, today))
    made.sort(key=lambda t: t.opened)
    for number, ticket in enumerate(made, 1):
        ticket.id = number
    entry_id = 0
    for ticket, n in zip(made, spread(rng, entries, len(made), 1 if entries >= len(made) else 0),
                         strict=True):  # fmt: skip
        for _ in range(n):
            entry_id += 1
            ticket.entries.append(_entry(rng, cat, ticket, entry_id))
        ticket.entries.sort(key=lambda e: (e[2], e[0]))
    for expense_id, index in enumerate(
        sorted(rng.sample(range(len(made)), len(made) * 3 // 10)), 1
    ):
        made[index].expenses.append(_expense(rng, cat, made[index], expense_id))
    return made


def _ticket(rng: random.Random, con: Con, day: date, today: date) -> Tick:
    roll = rng.random()
    if (today - day).days > 14:
        status = "closed" if roll < 0.88 else "resolved" if roll < 0.95 else "open"
    else:
        status = "open" if roll < 0.4 else "resolved" if roll < 0.7 else "closed"
    closed = None
    if status != "open":
        closed = min(day + timedelta(days=rng.choice([0, 0, 1, 1, 2, 3, 5, 8])), today)
    subject = rng.choice(text.SUBJECTS)
    title = f"{subject} ({rng.choice(text.WHERE)})" if rng.random() < 0.6 else subject
    if con.type in (ContractType.PROJECT_FIXED, ContractType.PROJECT_HOURLY):
        title = f"{con.name}: {subject.lower()}"
    description = f"{rng.choice(text.SOURCES)} {rng.choice(text.DETAILS)}"
    return Tick(0, con, title, description, day, closed, TicketStatus(status))


def _entry(rng: random.Random, cat: Catalog, ticket: Tick, entry_id: int) -> tuple:
    last = ticket.closed or cat.today
    day = ticket.opened + timedelta(days=rng.randint(0, (last - ticket.opened).days))
    if day.weekday() >= 5:
        day = max(ticket.opened, day - timedelta(days=day.weekday() - 4))
    con = ticket.contract
    rate = con.primary_rate
    if rate is not None:
        if day.weekday() >= 5 and 3 in con.rates:
            rate = 3
        elif rng.random() < 0.12 and 2 in con.rates:
            rate = 2
        elif rng.random() < 0.25 and 4 in con.rates:
            rate = 4
    project = con.type in (ContractType.PROJECT_FIXED, ContractType.PROJECT_HOURLY)
    minutes = rng.choice(PROJECT_MINUTES if project else SUPPORT_MINUTES)
    billable = rng.random() < 0.86
    note = rng.choice(text.TIME_NOTES if billable else text.INTERNAL_NOTES)
    return (entry_id, rng.choice(cat.people), day, minutes, billable, rate, note)


def _expense(rng: random.Random, cat: Catalog, ticket: Tick, expense_id: int) -> tuple:
    """A catalog product (US dollar customers) or a free expense; a few discounted."""
    con = ticket.contract
    cur = con.customer.currency
    last = ticket.closed or cat.today
    day = ticket.opened + timedelta(days=rng.randint(0, (last - ticket.opened).days))
    products = {p[1]: p for p in cat.products}
    tax: Tax | None
    own = None
    if cur == "USD" and rng.random() < 0.7:
        sku, quantities = rng.choice(demo_data.TICKET_PRODUCTS)
        product_id, _, desc, price, tax = products[sku]
        own = tax and tax.id
        milli = rng.choice(quantities) * 1000
        billable = rng.random() < 0.9
    else:
        desc, amount, (low, high), billable = rng.choice(demo_data.FREE_EXPENSES)
        product_id, tax = None, con.tax
        price = fx(int(amount.replace(".", "")), cur)
        milli = rng.randint(low, high) * 100
    if con.customer.exempt:
        tax = None
    discount = (milli * price // 10_000) if billable and rng.random() < 0.15 else 0
    return (expense_id, product_id, desc, milli, price, discount, billable, tax, day, own)


def billed_minutes(minutes: int, con: Con) -> int:
    """Minutes rounded up to the contract's increment (as billing.batches.charges does)."""
    step = con.terms["rounding_minutes"]
    return -(-minutes // step) * step if step else minutes


def is_hourly(con: Con) -> bool:
    return con.type in HOURLY_KINDS


def is_block(con: Con) -> bool:
    return con.type in BLOCK_KINDS


def insert_work(tickets: list[Tick]) -> tuple[int, int]:
    """Insert the tickets (with the batch that billed them), entries and expenses."""
    insert_rows(
        Ticket.__table__,
        ("id", "customer_id", "contract_id", "title", "description", "status", "created_at",
         "closed_at", "batch_id"),
        ((t.id, t.contract.customer.id, t.contract.id, t.title, t.description, t.status.value,
          at(t.opened, 14), t.closed and at(t.closed, 20), t.batch_id) for t in tickets),
    )  # fmt: skip
    entries = insert_rows(
        TimeEntry.__table__,
        ("id", "ticket_id", "user_id", "work_date", "minutes", "billable", "rate_id", "note",
         "created_at"),
        ((e[0], t.id, e[1], e[2], e[3], e[4], e[5], e[6], at(e[2], 21))
         for t in tickets for e in t.entries),
    )  # fmt: skip
    expenses = insert_rows(
        Expense.__table__,
        ("id", "ticket_id", "product_id", "user_id", "expense_date", "description", "quantity",
         "unit_price_minor", "discount_minor", "billable", "tax_rate_id"),
        ((x[0], t.id, x[1], t.entries[0][1] if t.entries else None, x[8], x[2], x[3], x[4],
          x[5], x[6], x[9]) for t in tickets for x in t.expenses),
    )  # fmt: skip
    return entries, expenses
