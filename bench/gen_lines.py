"""Benchmark data: invoice lines as the billing rules (billing/batches/rules.py) would write them.

A line is a tuple ``(kind, description, milli quantity, unit price, discount, amount, tax,
contract id, ticket id, time entry id, expense id, product id)``; amounts are integer minor units
rounded half-up once per line, exactly as ``billing.batches.charges`` computes them.
"""

from __future__ import annotations

import random
from datetime import date

from bench import gen_text as text
from bench.gen_model import Catalog, Con, Tax, fx
from bench.gen_work import Tick, billed_minutes, is_block, is_hourly
from billing.contracts.periods import Period
from billing.invoices.lines import PERCENT_SCALE, format_minutes
from billing.money import div_half_up
from models import ContractType, DetailLevel, LineKind

SERVICE, TIME, TICKET = LineKind.SERVICE.value, LineKind.TIME.value, LineKind.TICKET.value
PRODUCT, EXPENSE, CUSTOM = LineKind.PRODUCT.value, LineKind.EXPENSE.value, LineKind.CUSTOM.value
T = ContractType


def milli_hours(minutes: int) -> int:
    """Minutes as thousandths of an hour, rounded half-up (``billing.work.durations.hours``)."""
    return div_half_up(minutes * 1000, 60)


def times(milli: int, price: int) -> int:
    """Quantity (thousandths) x price, rounded half-up to the minor unit."""
    return div_half_up(milli * price, 1000)


def tax_total(lines: list[tuple]) -> int:
    """The tax of ``lines``: per rate on the sum of its lines, rounded once per rate."""
    bases: dict[Tax, int] = {}
    for line in lines:
        tax = line[6]
        if tax is not None and tax.percent > 0:
            bases[tax] = bases.get(tax, 0) + line[5]
    return sum(div_half_up(base * t.percent, 100 * PERCENT_SCALE) for t, base in bases.items())


def fixed_lines(con: Con, period: Period, fee_due: bool) -> list[tuple]:
    """A contract's own charge for a period: the recurring fee, block purchase or project fee."""
    label, tax, cid = period.label(), con.tax, con.id
    terms = con.terms
    lines = []
    if con.type == T.RETAINER:
        qty, price = terms["quantity"], terms["unit_price_minor"]
        lines.append((SERVICE, f"{con.name} ({label})", qty, price, 0, times(qty, price), tax))
    elif con.type == T.PER_UNIT:
        count = next((n for day, n in reversed(con.counts) if day <= period.start), 0)
        price = terms["unit_price_minor"]
        what = f"{con.name}: {terms['unit_label']}s ({label})"
        lines.append((SERVICE, what, count * 1000, price, 0, count * price, tax))
    elif con.type == T.BLOCK_HOURS:
        price = terms["unit_price_minor"]
        what = f"{con.name}: block of {format_minutes(terms['block_minutes'])} h ({label})"
        lines.append((SERVICE, what, 1000, price, 0, price, tax))
    elif con.type == T.BLOCK_MONEY:
        price = terms["block_amount_minor"]
        lines.append((SERVICE, f"{con.name} ({label})", 1000, price, 0, price, tax))
    elif con.type == T.PROJECT_FIXED and fee_due:
        price = terms["fixed_amount_minor"]
        lines.append((SERVICE, f"{con.name}: fixed fee", 1000, price, 0, price, tax))
    rows = [(*line, cid, None, None, None, None) for line in lines]
    for product_id, desc, qty, price in con.services:
        rows.append((SERVICE, f"{desc} ({label})", qty, price, 0, times(qty, price), tax, cid,
                     None, None, None, product_id))  # fmt: skip
    return rows


def entry_price(con: Con, rate_id: int | None) -> tuple[str, int]:
    """The rate name and hourly price of an entry under ``con`` (its primary rate if none)."""
    return con.rates.get(rate_id if rate_id is not None else con.primary_rate, ("Labour", 0))


def usage(ticket: Tick) -> int:
    """What a ticket takes from a block: billed minutes, or their value for block money."""
    con = ticket.contract
    total = 0
    for _, _, _, minutes, billable, rate_id, _ in ticket.entries:
        if billable:
            billed = billed_minutes(minutes, con)
            if con.type == T.BLOCK_MONEY:
                total += div_half_up(billed * entry_price(con, rate_id)[1], 60)
            else:
                total += billed
    return total


def ticket_lines(ticket: Tick, detail: DetailLevel, names: dict[int, str]) -> list[tuple]:
    """The lines a billed ticket adds: its time (hourly kinds) or a no-charge listing, and
    its billable expenses."""
    con = ticket.contract
    cid, tid, tax = con.id, ticket.id, con.tax
    lines = []
    billable = [e for e in ticket.entries if e[4]]
    if is_hourly(con):
        groups: dict[tuple, list[tuple]] = {}
        for entry in billable:
            name, price = entry_price(con, entry[5])
            key = (entry[0], price) if detail == DetailLevel.TIME_ENTRY else (name, price)
            groups.setdefault(key, []).append(entry)
        for (_, price), entries in groups.items():
            minutes = sum(billed_minutes(e[3], con) for e in entries)
            first = entries[0]
            if detail == DetailLevel.TIME_ENTRY:
                what = f"#{tid} {first[2]:%Y-%m-%d} {names.get(first[1], '')}: {first[6]}"
                entry_id = first[0]
            else:
                what = f"#{tid} {ticket.title}: {entry_price(con, first[5])[0]}"
                entry_id = None
            amount = div_half_up(minutes * price, 60)
            lines.append((TIME, what, milli_hours(minutes), price, 0, amount, tax, cid, tid,
                          entry_id, None, None))  # fmt: skip
    lines += expense_lines(ticket)
    if not lines or not is_hourly(con):
        note = "from the block" if is_block(con) else "included"
        if is_hourly(con):
            note = "no billable time"
        minutes = sum(billed_minutes(e[3], con) for e in billable)
        what = f"#{tid} {ticket.title} ({format_minutes(minutes)} h, {note})"
        lines.insert(0, (TICKET, what, milli_hours(minutes), 0, 0, 0, None, None, tid, None,
                         None, None))  # fmt: skip
    return lines


def expense_lines(ticket: Tick) -> list[tuple]:
    """Billable products and expenses, net of their discount (``billing.batches.charges``)."""
    lines = []
    for (
        expense_id,
        product_id,
        desc,
        milli,
        price,
        discount,
        billable,
        tax,
        _,
        _,
    ) in ticket.expenses:
        if billable:
            amount = max(times(milli, price) - discount, 0)
            kind = PRODUCT if product_id else EXPENSE
            lines.append((kind, f"#{ticket.id} {desc}", milli, price, discount, amount, tax,
                          None, ticket.id, None, expense_id, product_id))  # fmt: skip
    return lines


def filler_lines(rng: random.Random, cat: Catalog, con: Con, count: int, day: date) -> list:
    """Other things an MSP sells: catalog products (US dollars) and custom lines."""
    cur, exempt = con.customer.currency, con.customer.exempt
    lines = []
    for _ in range(count):
        if cur == "USD" and rng.random() < 0.7:
            product_id, _, name, price, tax = rng.choice(cat.products)
            milli = rng.choice([1, 1, 1, 2, 3, 5, 10, 25]) * 1000
            lines.append((PRODUCT, name, milli, price, 0, times(milli, price),
                          None if exempt else tax, None, None, None, None, product_id))  # fmt: skip
        else:
            what = f"{rng.choice(text.CUSTOM_LINES)} ({day:%b %Y})"
            price = fx(rng.choice([95, 150, 250, 400, 1200]) * 100, cur)
            milli = rng.choice([1000, 1000, 1500, 2000, 4000])
            lines.append((CUSTOM, what, milli, price, 0, times(milli, price), con.tax, con.id,
                          None, None, None, None))  # fmt: skip
    return lines
