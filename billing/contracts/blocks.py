"""The running balance of a block contract (block hours in minutes, block money in minor units).

:func:`block_balance` is pure arithmetic over plain values, month by month, following the rules
the billing engine applies (``billing.batches.rules._block``), so that the balance
shown before a batch is the one the batch will record:

- The balance starts with the ledger's first entry (with the contract while the ledger is empty,
  so that a contract taken over from elsewhere does not buy its past blocks again). From then
  on, each billing period (a calendar month, quarter or year) in which the contract runs buys
  one block: a ``PURCHASE`` entry in the period records it; until one is recorded, the rule adds
  the block in the period's first month.
- ``ADJUSTMENT`` and ``ROLLOVER`` entries move the balance by their signed amount.
- Use is the billable time of the contract's tickets not yet billed (minutes rounded up to the
  increment; for block money each entry valued at its price, rounded half-up per entry) plus the
  ``USAGE`` entries, which is how a saved batch records the time it billed.
- Use beyond what is available in a month is **overage**: billed at the overage rate, so the
  balance stops at zero instead of going into debt.
- When a billing period is over, a contract without rollover **lapses** its unused balance.

Overage and lapse are rules too, which the engine records as ``OVERAGE`` (signed +, restoring
the balance it billed) and ``LAPSE`` (signed -) entries in the month they belong to. Recorded
amounts count first and each rule only adds what is still unrecorded (the ``unrecorded_*`` of a
row), so the function gives the same rows before and after the engine writes its entries.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from billing.money import div_half_up
from billing.work.totals import billed_minutes_expr, entry_price_expr, with_prices
from models import (
    BillingPeriod,
    BlockEntryKind,
    BlockLedgerEntry,
    Contract,
    ContractRate,
    ContractType,
    Rate,
    Ticket,
    TimeEntry,
    db,
)

BLOCK_TYPES = (ContractType.BLOCK_HOURS, ContractType.BLOCK_MONEY)  # the contracts with a block
PERIOD_MONTHS = {BillingPeriod.MONTHLY: 1, BillingPeriod.QUARTERLY: 3, BillingPeriod.YEARLY: 12}
ADJUSTING = (BlockEntryKind.ADJUSTMENT, BlockEntryKind.ROLLOVER)
_DAY = timedelta(days=1)  # a period's last day counts as ended: a batch may bill it that day


@dataclass(frozen=True)
class BlockTerms:
    """What the arithmetic needs of the contract; ``money`` values time at its price."""

    start: date
    end: date | None
    period_months: int
    block_size: int
    rollover: bool
    money: bool = False


@dataclass(frozen=True)
class Movement:
    """A ledger entry's signed amount, in the balance's unit."""

    day: date
    kind: BlockEntryKind
    amount: int


@dataclass(frozen=True)
class TimeUse:
    """``entries`` billable time entries on ``day`` of ``minutes`` each (already rounded up to
    the increment), at ``hourly_price_minor`` (block money only)."""

    day: date
    minutes: int
    hourly_price_minor: int = 0
    entries: int = 1


@dataclass(frozen=True)
class MonthRow:
    """One month of the balance. Amounts are in the balance's unit; ``adjusted`` is signed,
    the others are zero or more."""

    month: date
    opening: int
    purchased: int
    adjusted: int
    used: int
    overage: int
    lapsed: int
    closing: int
    period_end: bool
    unrecorded_purchase: int
    unrecorded_overage: int
    unrecorded_lapse: int


@dataclass(frozen=True)
class BlockBalance:
    """The month rows, oldest first, and the balance on the day asked for (with the block of
    the period under way, bought when that period is billed)."""

    rows: tuple[MonthRow, ...]
    current: int
    billable: MonthRow | None = None  # the last month of the last period a batch can bill now

    @property
    def after_billable(self) -> int | None:
        """What a batch billing every ended period today leaves: the closing of that period."""
        return self.billable.closing if self.billable else None


def _index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def use_amount(item: TimeUse, money: bool) -> int:
    """What ``item`` takes from the balance: minutes, or their value rounded half-up per entry."""
    if not money:
        return item.minutes * item.entries
    return div_half_up(item.minutes * item.hourly_price_minor, 60) * item.entries


def block_balance(
    terms: BlockTerms,
    movements: Iterable[Movement],
    usage: Iterable[TimeUse],
    as_of: date,
) -> BlockBalance:
    """Month rows from the balance's start to ``as_of``'s month (or the contract's end, or the
    last month with a movement), and the balance on ``as_of``.

    A period's block is bought once its first day with the contract has come; its lapse applies
    once the period is over (its last day before ``as_of``).
    """
    sums: dict[int, dict[BlockEntryKind, int]] = defaultdict(lambda: defaultdict(int))
    used: dict[int, int] = defaultdict(int)
    bought_months = set()
    for move in movements:
        sums[_index(move.day)][move.kind] += move.amount
        if move.kind is BlockEntryKind.PURCHASE:
            bought_months.add(_index(move.day))
    for item in usage:
        used[_index(item.day)] += use_amount(item, terms.money)
    since = max(_index(terms.start), min(sums, default=0))
    last = _index(min(as_of, terms.end) if terms.end else as_of)
    known = [*sums, *used]
    first, last = min([since, *known]), max([since, last, *known])
    months = terms.period_months
    bought = {index // months for index in bought_months} if months else set()
    rows, balance, current = [], 0, 0
    for index in range(first, last + 1):
        purchase = 0
        if months and index // months not in bought and _buys(terms, index, since, as_of):
            purchase = terms.block_size
        row = _month_row(terms, index, balance, sums[index], used[index], purchase, as_of)
        rows.append(row)
        balance = row.closing
        if index <= _index(as_of):
            current = balance
    ended = [r for r in rows if r.period_end and _month(_index(r.month) + 1) <= as_of + _DAY]
    return BlockBalance(tuple(rows), current, ended[-1] if ended else None)


def _buys(terms: BlockTerms, index: int, since: int, as_of: date) -> bool:
    """Whether month ``index`` is the first of its period in the balance, begun by ``as_of``,
    with the contract running."""
    first = max(index - index % terms.period_months, since)
    begun = max(_month(index), terms.start) <= as_of
    running = terms.end is None or terms.end >= _month(index)
    return index == first and begun and running


def _month_row(
    terms: BlockTerms,
    index: int,
    opening: int,
    sums: dict[BlockEntryKind, int],
    time_used: int,
    unrecorded_purchase: int,
    as_of: date,
) -> MonthRow:
    purchased = sums[BlockEntryKind.PURCHASE] + unrecorded_purchase
    adjusted = sum(sums[kind] for kind in ADJUSTING)
    used = time_used - sums[BlockEntryKind.USAGE]
    recorded_overage = sums[BlockEntryKind.OVERAGE]
    recorded_lapse = -sums[BlockEntryKind.LAPSE]
    remaining = opening + purchased + adjusted + recorded_overage - recorded_lapse - used
    unrecorded_overage = max(0, -remaining)
    remaining = max(0, remaining)
    months = terms.period_months
    period_end = bool(months) and (index + 1) % months == 0
    over = _month(index + 1) <= as_of
    unrecorded_lapse = remaining if period_end and over and not terms.rollover else 0
    return MonthRow(
        month=_month(index),
        opening=opening,
        purchased=purchased,
        adjusted=adjusted,
        used=used,
        overage=recorded_overage + unrecorded_overage,
        lapsed=recorded_lapse + unrecorded_lapse,
        closing=remaining - unrecorded_lapse,
        period_end=period_end,
        unrecorded_purchase=unrecorded_purchase,
        unrecorded_overage=unrecorded_overage,
        unrecorded_lapse=unrecorded_lapse,
    )


def block_terms(contract: Contract) -> BlockTerms:
    """The terms of a block contract as :func:`block_balance` needs them."""
    money = contract.type is ContractType.BLOCK_MONEY
    return BlockTerms(
        start=contract.start_date,
        end=contract.end_date,
        period_months=PERIOD_MONTHS.get(contract.billing_period, 0),
        block_size=(contract.block_amount_minor if money else contract.block_minutes) or 0,
        rollover=contract.rollover,
        money=money,
    )


def _primary_price(contract_id: int) -> int:
    query = (
        sa.select(sa.func.coalesce(ContractRate.hourly_price_minor, Rate.hourly_price_minor))
        .join(Rate, Rate.id == ContractRate.rate_id)
        .where(ContractRate.contract_id == contract_id, ContractRate.is_primary.is_(True))
    )
    return db.session.scalar(query) or 0


def _unbilled_time(contract_id: int, primary_price: int) -> list[TimeUse]:
    # An entry's price as the engine takes it: the contract's price for its rate, else the
    # rate's own; an entry without a rate goes at the primary rate.
    price = sa.case((TimeEntry.rate_id.is_(None), primary_price), else_=entry_price_expr()).label(
        "price"
    )
    billed = billed_minutes_expr().label("billed")
    query = (
        with_prices(sa.select(TimeEntry.work_date, billed, price, sa.func.count()))
        .where(
            Ticket.contract_id == contract_id,
            Ticket.batch_id.is_(None),
            TimeEntry.billable.is_(True),
        )
        .group_by(TimeEntry.work_date, billed, price)
    )
    return [TimeUse(day, int(m), int(p), int(n)) for day, m, p, n in db.session.execute(query)]


def load_block_balance(contract: Contract, as_of: date) -> BlockBalance:
    """The balance of a block contract from its ledger and its unbilled time: three queries."""
    terms = block_terms(contract)
    amount = BlockLedgerEntry.amount_minor if terms.money else BlockLedgerEntry.minutes
    ledger = sa.select(BlockLedgerEntry.entry_date, BlockLedgerEntry.kind, amount).where(
        BlockLedgerEntry.contract_id == contract.id
    )
    movements = [Movement(day, kind, value) for day, kind, value in db.session.execute(ledger)]
    usage = _unbilled_time(contract.id, _primary_price(contract.id))
    return block_balance(terms, movements, usage, as_of)


def ledger_totals(contract_id: int, as_of: date) -> tuple[int, int]:
    """What a block contract's ledger holds on ``as_of``: the sum of its entries up to that day,
    in minutes and in minor units (unbilled time left out: see :func:`load_block_balance`)."""
    minutes, amount = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(BlockLedgerEntry.minutes), 0),
            sa.func.coalesce(sa.func.sum(BlockLedgerEntry.amount_minor), 0),
        ).where(BlockLedgerEntry.contract_id == contract_id, BlockLedgerEntry.entry_date <= as_of)
    ).one()
    return int(minutes), int(amount)
