"""Benchmark data, part three: monthly invoice batches with their invoices and lines.

Month by month, each invoice gets a contract active that month and a number of lines (so that
the total is exactly what was asked). A contract's first invoice of the month carries its own
charge (recorded in ``contract_charges``, and the block ledger for block contracts); then its
closed, unbilled tickets are billed while they fit, and catalog or custom lines fill the rest.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from bench import gen_lines as gl
from bench.gen_db import insert_rows
from bench.gen_model import Catalog, Con, at, spread
from bench.gen_work import Tick, is_block, months_of
from billing.contracts.periods import Period
from billing.invoices.numbering import format_number
from models import (
    BlockEntryKind,
    BlockLedgerEntry,
    ContractCharge,
    ContractType,
    DetailLevel,
    Invoice,
    InvoiceBatch,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
    Ticket,
    db,
)

BIG_INVOICE_LINES = 300
S = InvoiceStatus
LINE_COLUMNS = ("id", "invoice_id", "position", "kind", "description", "quantity",
                "unit_price_minor", "discount_minor", "amount_minor", "tax_rate_id", "tax_name",
                "tax_percent", "contract_id", "ticket_id", "time_entry_id", "expense_id",
                "product_id")  # fmt: skip
INVOICE_COLUMNS = ("id", "number", "customer_id", "contract_id", "batch_id", "issue_date",
                   "due_date", "period_start", "period_end", "currency", "status", "reference",
                   "notes", "bill_to_name", "bill_to_address", "bill_to_emails", "issuer",
                   "subtotal_minor", "tax_minor", "total_minor", "created_by_id", "created_at",
                   "updated_at")  # fmt: skip
EVENT_COLUMNS = ("invoice_id", "invoice_number", "user_id", "kind", "from_status", "to_status",
                 "message", "data", "created_at")  # fmt: skip


@dataclass
class Counts:
    """What was written, and the running ids."""

    invoices: int = 0
    lines: int = 0
    charges: int = 0
    block_entries: int = 0
    events: int = 0
    big_invoice_id: int = 0
    billed: dict[int, list[int]] = field(default_factory=dict)  # batch id -> ticket ids


def allocate(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders), exactly."""
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    parts = [int(r) for r in raw]
    by_fraction = sorted(range(len(raw)), key=lambda i: parts[i] - raw[i])
    for i in by_fraction[: total - sum(parts)]:
        parts[i] += 1
    return parts


def status_for(rng: random.Random, age: int) -> InvoiceStatus:
    """A realistic status for an invoice issued ``age`` months ago (0: this month, Draft)."""
    roll = rng.random()
    if age == 0:
        return S.DRAFT
    if age == 1:
        return S.SENT if roll < 0.5 else S.EXPORTED if roll < 0.85 else S.PAID
    if age == 2:
        return S.PAID if roll < 0.7 else S.EXPORTED if roll < 0.9 else S.SENT
    if roll < 0.955:
        return S.PAID
    return S.EXPORTED if roll < 0.975 else S.SENT if roll < 0.985 else S.REFUNDED


class InvoiceWriter:
    """One run over the months: plans, computes and inserts invoices month by month."""

    def __init__(self, rng: random.Random, cat: Catalog, tickets: list[Tick], months: int):
        self.rng, self.cat = rng, cat
        # The billed months: the window's whole months, each invoiced on the 1st of the next.
        self.periods = [Period(a, b) for a, b in months_of(cat.window_start, cat.today)][:months]
        self.queue: dict[int, list[Tick]] = {}
        closing: dict[int, list[Tick]] = {}
        for ticket in tickets:
            if ticket.closed is not None:
                index = (ticket.closed.year - cat.window_start.year) * 12
                closing.setdefault(index + ticket.closed.month - cat.window_start.month, []).append(
                    ticket
                )
        self.closing = closing
        self.balance: dict[int, int] = {}
        self.fee_billed: set[int] = set()
        self.counts = Counts()
        self.line_id = 0

    def write(self, invoices: int, lines: int) -> Counts:
        """Insert the batches, then each month's invoices, lines, charges, ledger and events."""
        if invoices < 1 or lines < BIG_INVOICE_LINES + invoices - 1:
            raise ValueError(
                f"{invoices} invoices need at least {BIG_INVOICE_LINES + invoices - 1} lines "
                f"(one invoice has {BIG_INVOICE_LINES})."
            )
        months = len(self.periods)
        per_month = allocate(invoices, [1 + 0.5 * k / months for k in range(months)])
        big_month = max(0, months - 4)
        big = min(sum(per_month[:big_month]), invoices - 1)
        budgets = spread(self.rng, lines - BIG_INVOICE_LINES, invoices - 1, minimum=1)
        budgets.insert(big, BIG_INVOICE_LINES)
        self.counts.big_invoice_id = big + 1
        self._batches()
        first = 0
        for k, period in enumerate(self.periods):
            self._month(k, period, budgets[first : first + per_month[k]], first)
            first += per_month[k]
        table = Ticket.__table__
        for batch_id, ids in self.counts.billed.items():
            for start in range(0, len(ids), 10_000):  # under SQLite's bound-parameter limit
                chunk = ids[start : start + 10_000]
                db.session.execute(
                    sa.update(table).where(table.c.id.in_(chunk)).values(batch_id=batch_id)
                )
        return self.counts

    def _batches(self) -> None:
        insert_rows(
            InvoiceBatch.__table__,
            ("id", "name", "period_start", "period_end", "detail_level", "created_by_id",
             "created_at"),
            [(k + 1, f"{p.start:%b %Y}", p.start, p.end, self._detail(k).value,
              self.cat.admin_id, at(p.end + timedelta(days=1), 6))
             for k, p in enumerate(self.periods)],
        )  # fmt: skip

    def _detail(self, k: int) -> DetailLevel:
        return DetailLevel.TIME_ENTRY if k % 3 == 2 else DetailLevel.TICKET

    def _month(self, k: int, period: Period, budgets: list[int], first_index: int) -> None:
        cat, rng = self.cat, self.rng
        batch_id, detail = k + 1, self._detail(k)
        for ticket in self.closing.get(k, []):
            self.queue.setdefault(ticket.contract.id, []).append(ticket)
        active = [c for c in cat.contracts if c.active_in(period.start, period.end)]
        active = active or cat.contracts
        turn = (k * 7919) % len(active)
        issue = period.end + timedelta(days=1)
        due = issue + timedelta(days=cat.settings.payment_terms_days)
        age = len(self.periods) - 1 - k
        seen: set[int] = set()
        invoices, lines, charges, moves, events = [], [], [], [], []
        for j, budget in enumerate(budgets):
            con = active[(j + turn) % len(active)]
            invoice_id = first_index + j + 1
            primary = con.id not in seen
            seen.add(con.id)
            rows = self._invoice_lines(con, period, budget, primary, detail, batch_id, moves,
                                       invoice_id)  # fmt: skip
            if primary and con.type != ContractType.HOURLY:
                charges.append((con.id, period.start, period.end, invoice_id))
            subtotal = sum(line[5] for line in rows)
            tax = gl.tax_total(rows)
            status = status_for(rng, age)
            number = format_number(cat.settings.invoice_prefix, cat.first_number + invoice_id - 1)
            created = at(issue, 6)
            changed = at(min(issue + timedelta(days=rng.randint(1, 40)), cat.today), 16)
            cust = con.customer
            invoices.append((invoice_id, number, cust.id, con.id, batch_id, issue, due,
                             period.start, period.end, cust.currency, status.value, "", "",
                             cust.name, cust.address, cust.emails, cat.issuer, subtotal, tax,
                             subtotal + tax, cat.admin_id, created,
                             created if status == S.DRAFT else changed))  # fmt: skip
            events.append((invoice_id, number, cat.admin_id, "created", None, S.DRAFT.value,
                           f"Created by batch {period.start:%b %Y}.", {"batch_id": batch_id},
                           created))  # fmt: skip
            if status != S.DRAFT:
                events.append((invoice_id, number, cat.admin_id, "status", S.DRAFT.value,
                               status.value, "", {}, changed))  # fmt: skip
            for position, line in enumerate(rows):
                self.line_id += 1
                tax_of = line[6]
                lines.append((self.line_id, invoice_id, position, *line[:6],
                              tax_of and tax_of.id, tax_of.name if tax_of else "",
                              tax_of.percent if tax_of else 0, *line[7:]))  # fmt: skip
        c = self.counts
        c.invoices += insert_rows(Invoice.__table__, INVOICE_COLUMNS, invoices)
        c.lines += insert_rows(InvoiceLine.__table__, LINE_COLUMNS, lines)
        c.charges += insert_rows(
            ContractCharge.__table__,
            ("contract_id", "period_start", "period_end", "invoice_id"),
            charges,
        )
        c.block_entries += insert_rows(
            BlockLedgerEntry.__table__,
            ("contract_id", "entry_date", "kind", "minutes", "amount_minor", "invoice_id",
             "note"),
            moves,
        )  # fmt: skip
        c.events += insert_rows(InvoiceEvent.__table__, EVENT_COLUMNS, events)

    def _invoice_lines(self, con: Con, period, budget, primary, detail, batch_id, moves,
                       invoice_id) -> list[tuple]:  # fmt: skip
        """Up to ``budget`` lines of own charges and tickets, then fillers to exactly ``budget``."""
        block = is_block(con)
        rows: list[tuple] = []
        if primary:
            fee_due = con.id not in self.fee_billed
            rows = gl.fixed_lines(con, period, fee_due)[:budget]
            if con.type == ContractType.PROJECT_FIXED and fee_due:
                self.fee_billed.add(con.id)
        if block and not primary:
            pass  # a block's usage is settled on its first invoice of the month
        elif pending := self.queue.get(con.id):
            available = used = 0
            if block:
                size = con.terms.get("block_minutes") or con.terms.get("block_amount_minor") or 0
                available = self.balance.get(con.id, 0) + size
                self._move(moves, con, period.start, BlockEntryKind.PURCHASE, size, invoice_id)
            keep = []
            names = self.cat.names
            for ticket in pending:
                if ticket.closed > period.end:
                    keep.append(ticket)
                    continue
                extra = gl.ticket_lines(ticket, detail, names)
                cost = gl.usage(ticket) if block else 0
                fits_block = not block or used + cost <= available
                if len(rows) + len(extra) <= budget and fits_block:
                    rows += extra
                    used += cost
                    self.counts.billed.setdefault(batch_id, []).append(ticket.id)
                else:
                    keep.append(ticket)
            self.queue[con.id] = keep
            if block:
                self._settle(moves, con, period, available, used, invoice_id)
        elif block and primary:
            size = con.terms.get("block_minutes") or con.terms.get("block_amount_minor") or 0
            available = self.balance.get(con.id, 0) + size
            self._move(moves, con, period.start, BlockEntryKind.PURCHASE, size, invoice_id)
            self._settle(moves, con, period, available, 0, invoice_id)
        fill = budget - len(rows)
        return rows + gl.filler_lines(self.rng, self.cat, con, fill, period.start)

    def _settle(self, moves, con: Con, period: Period, available: int, used: int, invoice_id):
        if used:
            self._move(moves, con, period.end, BlockEntryKind.USAGE, -used, invoice_id)
        left = available - used
        if left > 0 and not con.terms["rollover"]:
            self._move(moves, con, period.end, BlockEntryKind.LAPSE, -left, invoice_id, "unused")
            left = 0
        self.balance[con.id] = left

    def _move(self, moves, con: Con, day, kind, amount: int, invoice_id: int, note: str = ""):
        money = con.type == ContractType.BLOCK_MONEY
        moves.append((con.id, day, kind.value, 0 if money else amount, amount if money else 0,
                      invoice_id, note))  # fmt: skip
