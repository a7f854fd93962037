"""The billing rules: one function per contract type, and :func:`bill_contract` choosing it.

Retainer, hourly, per unit, fixed and hourly project, block of hours and block of money: each
takes a :class:`~billing.batches.charges.ContractWork` and returns a
:class:`~billing.batches.charges.ContractBill`, built from the pieces in ``charges``. Pure: no
database, so they are unit-tested on objects built in memory (``tests/unit/test_billing_rules``).
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from billing.batches.charges import (
    BlockMove,
    BlockState,
    ContractBill,
    ContractWork,
    RuleFn,
    billed_minutes,
    contract_tax,
    entry_price,
    expense_lines,
    included_ticket_lines,
    primary_rate_id,
    recurring_line,
    service_lines,
    time_lines,
)
from billing.contracts.periods import Period
from billing.invoices.lines import ChargeLine, format_minutes
from billing.money import div_half_up, from_minor, line_amount_minor
from billing.work.durations import hours
from models import BlockEntryKind, ContractType, DetailLevel, LineKind, TimeEntry


def retainer(work: ContractWork) -> ContractBill:
    """Quantity x price per period; its tickets listed at no charge; expenses billed."""
    contract = work.contract
    milli = int((contract.quantity or Decimal(0)).scaleb(3))
    lines = [
        recurring_line(work, period, contract.name, milli, contract.unit_price_minor or 0)
        for period in work.periods
    ]
    lines += service_lines(work) + included_ticket_lines(work) + expense_lines(work)
    return ContractBill(lines, list(work.periods))


def hourly(work: ContractWork) -> ContractBill:
    """Billable time at each entry's rate (rounded to the increment), services, expenses."""
    services = service_lines(work)
    charged = list(work.periods) if work.contract.services else []
    return ContractBill(services + _time_and_expenses(work), charged)


def _time_and_expenses(work: ContractWork) -> list:
    """Time and expense lines; a ticket with neither is listed at no charge, so it shows."""
    lines = time_lines(work) + expense_lines(work)
    billed = {line.ticket_id for line in lines}
    if work.detail == DetailLevel.CONTRACT:
        billed |= {e.ticket_id for e in work.entries()}
    idle = [t for t in work.tickets if t.id not in billed]
    if idle:
        silent = ContractWork(work.contract, [], idle, work.detail, work.excluded_entries)
        lines += included_ticket_lines(silent, "no billable time")
    return lines


def per_unit(work: ContractWork) -> ContractBill:
    """Count x price per period; a count change inside the period is prorated by days."""
    contract = work.contract
    label = contract.unit_label or "unit"
    lines = []
    for period in work.periods:
        active = period.clip(contract.start_date, contract.end_date)
        if active is None:
            continue
        unit_days = sum(count * days for count, days in count_segments(contract, active))
        # Unit-days as units of the period, in thousandths: quantity x price is the amount.
        quantity = (Decimal(unit_days) / period.days).quantize(Decimal("0.001"), ROUND_HALF_UP)
        price = contract.unit_price_minor or 0
        lines.append(
            ChargeLine(
                LineKind.SERVICE,
                f"{contract.name}: {label}s ({_count_note(contract, active, period)})",
                quantity,
                price,
                line_amount_minor(quantity, price),
                tax=contract_tax(contract),
                contract_id=contract.id,
            )
        )
    lines += service_lines(work) + included_ticket_lines(work) + expense_lines(work)
    return ContractBill(lines, list(work.periods))


def count_segments(contract, active: Period) -> list[tuple[int, int]]:
    """(count, days) pieces of ``active``, from the contract's dated count history."""
    history = sorted(contract.unit_counts, key=lambda c: c.effective_date)
    segments, day = [], active.start
    while day <= active.end:
        current = 0
        for row in history:
            if row.effective_date <= day:
                current = row.count
        following = [r.effective_date for r in history if r.effective_date > day]
        last = min([active.end] + [d - timedelta(days=1) for d in following])
        segments.append((current, (last - day).days + 1))
        day = last + timedelta(days=1)
    return segments


def _count_note(contract, active: Period, period: Period) -> str:
    parts = [f"{count} x {days} d" for count, days in count_segments(contract, active)]
    if len(parts) == 1 and active == period:
        return period.label()
    return f"{period.label()}: {', '.join(parts)} of {period.days} d"


def project_fixed(work: ContractWork) -> ContractBill:
    """The fixed fee, billed once; tickets listed at no charge; expenses billed."""
    contract = work.contract
    fee = ChargeLine(
        LineKind.SERVICE,
        f"{contract.name}: fixed fee",
        Decimal(1),
        contract.fixed_amount_minor or 0,
        contract.fixed_amount_minor or 0,
        tax=contract_tax(contract),
        contract_id=contract.id,
    )
    lines = [fee] + included_ticket_lines(work) + expense_lines(work)
    return ContractBill(lines, list(work.periods))


def project_hourly(work: ContractWork) -> ContractBill:
    """Billable time at its rates and expenses, billed once."""
    return ContractBill(_time_and_expenses(work), list(work.periods))


def _usage_by_period(work: ContractWork, value) -> list[int]:
    """Each period's usage (``value(entry)`` summed); entries outside go to the nearest period."""
    usage = [0] * len(work.periods)
    for entry in work.entries():
        index = next(
            (i for i, p in enumerate(work.periods) if entry.work_date <= p.end),
            len(work.periods) - 1,
        )
        usage[index] += value(entry)
    return usage


def _block(work: ContractWork, *, money: bool) -> ContractBill:
    """Block hours (minutes) or block money (minor units): buy, use, overage, roll or lapse."""
    contract = work.contract
    state = work.block or BlockState()
    size = (contract.block_amount_minor if money else contract.block_minutes) or 0
    price = (contract.block_amount_minor if money else contract.unit_price_minor) or 0
    hourly_price = _primary_price(contract)

    def value(entry: TimeEntry) -> int:
        minutes = billed_minutes(entry, contract)
        return div_half_up(minutes * entry_price(entry, contract), 60) if money else minutes

    def show(amount: int) -> str:
        if money:
            return f"{from_minor(amount, contract.customer.currency)} {contract.customer.currency}"
        return f"{format_minutes(amount)} h"

    def move(day, kind, amount, note=""):
        key = "amount_minor" if money else "minutes"
        return BlockMove(day, kind.value, note=note, **{key: amount})

    bill = ContractBill(charged_periods=list(work.periods))
    balance = state.balance
    for period, used in zip(work.periods, _usage_by_period(work, value), strict=True):
        if period.start not in state.purchased_in:
            what = f"{contract.name}: block of {show(size)}" if not money else contract.name
            bill.lines.append(
                ChargeLine(
                    LineKind.SERVICE,
                    f"{what} ({period.label()})",
                    Decimal(1),
                    price,
                    price,
                    tax=contract_tax(contract),
                    contract_id=contract.id,
                )
            )
            bill.block_moves.append(move(period.start, BlockEntryKind.PURCHASE, size))
            balance += size
        if used:
            bill.block_moves.append(move(period.end, BlockEntryKind.USAGE, -used))
            balance -= used
        if balance < 0:
            bill.lines.append(_overage_line(work, -balance, money, hourly_price, period))
            bill.block_moves.append(move(period.end, BlockEntryKind.OVERAGE, -balance))
            balance = 0
        if balance > 0 and not contract.rollover:
            bill.block_moves.append(move(period.end, BlockEntryKind.LAPSE, -balance, "unused"))
            balance = 0
    bill.lines += included_ticket_lines(work, "from the block") + expense_lines(work)
    bill.block_balance_after = balance
    return bill


def _primary_price(contract) -> int:
    primary = primary_rate_id(contract)
    for offer in contract.rates:
        if offer.rate_id == primary:
            price = offer.hourly_price_minor
            return price if price is not None else offer.rate.hourly_price_minor
    return 0


def _overage_line(work, excess: int, money: bool, hourly_price: int, period) -> ChargeLine:
    """Use beyond the balance, at the overage rate (block money converts back to hours)."""
    contract = work.contract
    rate = contract.overage_rate_minor or hourly_price
    minutes = div_half_up(excess * 60, hourly_price) if money and hourly_price else excess
    quantity, price = hours(minutes), rate
    if money and not rate:  # no price to convert the money back to hours: the money itself
        quantity, price = Decimal(1), excess
    return ChargeLine(
        LineKind.SERVICE,
        f"{contract.name}: overage beyond the block, {format_minutes(minutes)} h "
        f"({period.label()})",
        quantity,
        price,
        line_amount_minor(quantity, price),
        tax=contract_tax(contract),
        contract_id=contract.id,
    )


def block_hours(work: ContractWork) -> ContractBill:
    """Block price when bought; use deducted; overage at the overage rate; roll or lapse."""
    return _block(work, money=False)


def block_money(work: ContractWork) -> ContractBill:
    """Amount when bought; use deducted at its rate; overage beyond the balance."""
    return _block(work, money=True)


RULES: dict[ContractType, RuleFn] = {
    ContractType.RETAINER: retainer,
    ContractType.HOURLY: hourly,
    ContractType.BLOCK_HOURS: block_hours,
    ContractType.BLOCK_MONEY: block_money,
    ContractType.PER_UNIT: per_unit,
    ContractType.PROJECT_FIXED: project_fixed,
    ContractType.PROJECT_HOURLY: project_hourly,
}


def bill_contract(work: ContractWork) -> ContractBill:
    """What ``work.contract`` bills for the given periods and tickets."""
    return RULES[work.contract.type](work)
