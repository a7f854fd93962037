"""What the billing rules work on and the pieces they share; the rules are in ``rules``.

:class:`ContractWork` is what one contract bills in a batch (the contract with its rates,
services and counts loaded, the periods to charge, the tickets included with their time and
expenses); :class:`ContractBill` is what a rule returns (lines, periods charged, block
movements). Between them, the lines every rule builds the same way: time, expenses, recurring
services, included tickets, and an entry's price and tax. Nothing here touches the database.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from billing.contracts.periods import Period
from billing.invoices.lines import ChargeLine, TaxInfo, format_minutes
from billing.money import div_half_up, line_amount_minor
from billing.work.durations import hours
from models import Contract, DetailLevel, Expense, LineKind, Ticket, TimeEntry


@dataclass
class BlockState:
    """A block contract's balance before this batch (minutes or minor units)."""

    balance: int = 0
    purchased_in: set[date] = field(default_factory=set)  # starts of periods already bought


@dataclass
class BlockMove:
    """A movement to write to the block ledger when the batch is saved."""

    day: date
    kind: str  # a BlockEntryKind value
    minutes: int = 0
    amount_minor: int = 0
    note: str = ""


@dataclass
class ContractWork:
    """Everything one contract bills in a batch."""

    contract: Contract
    periods: list[Period]
    tickets: list[Ticket]
    detail: DetailLevel = DetailLevel.TICKET
    excluded_entries: set[int] = field(default_factory=set)
    excluded_expenses: set[int] = field(default_factory=set)
    block: BlockState | None = None

    def entries(self) -> list[TimeEntry]:
        """The billable, included time entries of the included tickets, by date."""
        found = [
            entry
            for ticket in self.tickets
            for entry in ticket.time_entries
            if entry.billable and entry.id not in self.excluded_entries
        ]
        return sorted(found, key=lambda e: (e.work_date, e.id or 0))

    def expenses(self) -> list[Expense]:
        return [
            expense
            for ticket in self.tickets
            for expense in ticket.expenses
            if expense.billable and expense.id not in self.excluded_expenses
        ]


@dataclass
class ContractBill:
    """The lines a contract bills, the periods it charges, and its block movements."""

    lines: list[ChargeLine] = field(default_factory=list)
    charged_periods: list[Period] = field(default_factory=list)
    block_moves: list[BlockMove] = field(default_factory=list)
    block_balance_after: int | None = None


# --- shared pieces ------------------------------------------------------------------------


def contract_tax(contract: Contract) -> TaxInfo | None:
    """The tax on the contract's own lines (none for a tax-exempt customer)."""
    if contract.customer.tax_exempt or not contract.taxable:
        return None
    return TaxInfo.of(contract.tax_rate)


def expense_tax(expense: Expense, contract: Contract) -> TaxInfo | None:
    """An expense's own rate, else its product's, else the contract's; none if exempt."""
    if contract.customer.tax_exempt:
        return None
    if expense.tax_rate_id is not None and expense.tax_rate is not None:
        return TaxInfo.of(expense.tax_rate)
    product = expense.product
    if product is not None:
        return TaxInfo.of(product.tax_rate) if product.taxable else None
    return contract_tax(contract)


def billed_minutes(entry: TimeEntry, contract: Contract) -> int:
    """The entry's minutes rounded up to the contract's increment."""
    step = contract.rounding_minutes or 0
    return -(-entry.minutes // step) * step if step else entry.minutes


def entry_price(entry: TimeEntry, contract: Contract) -> int:
    """The hourly price of an entry: the contract's price for its rate, else the rate's own."""
    rate_id = entry.rate_id if entry.rate_id is not None else primary_rate_id(contract)
    for offer in contract.rates:
        if offer.rate_id == rate_id:
            price = offer.hourly_price_minor
            return price if price is not None else offer.rate.hourly_price_minor
    return entry.rate.hourly_price_minor if entry.rate is not None else 0


def primary_rate_id(contract: Contract) -> int | None:
    return next((r.rate_id for r in contract.rates if r.is_primary), None)


def rate_name(entry: TimeEntry, contract: Contract) -> str:
    if entry.rate is not None:
        return entry.rate.name
    return next((r.rate.name for r in contract.rates if r.is_primary), "Labour")


def prorated_terms(
    quantity: Decimal, price: int, period: Period, contract: Contract
) -> tuple[Decimal, int]:
    """The quantity and unit price of a recurring charge for the part of ``period`` the
    contract is active, so that quantity x price is what the line costs (an e-invoice's line
    net, PEPPOL-EN16931-R120): the whole period as it is; part of it as that share of the
    quantity when it is exact in thousandths (0.5 x 1,500.00), else as the price for the days
    (1 x 822.58 for 17 of 31 days of 1,500.00); nothing for a period the contract is not in.
    """
    active = period.clip(contract.start_date, contract.end_date)
    if active is None:
        return Decimal(0), price
    if active == period:
        return quantity, price
    share = Fraction(quantity) * active.days / period.days
    if (share * 1000).denominator == 1:
        return Decimal(share.numerator) / share.denominator, price
    return quantity, div_half_up(price * active.days, period.days)


def _period_note(period: Period, contract: Contract) -> str:
    active = period.clip(contract.start_date, contract.end_date)
    if active is None or active == period:
        return period.label()
    return f"{period.label()}, prorated {active.days}/{period.days} days"


def service_lines(work: ContractWork) -> list[ChargeLine]:
    """The contract's recurring service lines, once per period, prorated by days."""
    contract, tax = work.contract, contract_tax(work.contract)
    lines = []
    for period in work.periods:
        for service in contract.services:
            quantity, price = prorated_terms(
                service.quantity, service.unit_price_minor, period, contract
            )
            lines.append(
                ChargeLine(
                    LineKind.SERVICE,
                    f"{service.description} ({_period_note(period, contract)})",
                    quantity,
                    price,
                    line_amount_minor(quantity, price),
                    tax=tax,
                    contract_id=contract.id,
                    product_id=service.product_id,
                )
            )
    return lines


def expense_lines(work: ContractWork) -> list[ChargeLine]:
    """Billable products and expenses of the included tickets, under every contract type."""
    lines = []
    for expense in work.expenses():
        gross = line_amount_minor(expense.quantity, expense.unit_price_minor)
        kind = LineKind.PRODUCT if expense.product_id else LineKind.EXPENSE
        lines.append(
            ChargeLine(
                kind,
                f"#{expense.ticket_id} {expense.description}",
                expense.quantity,
                expense.unit_price_minor,
                max(gross - expense.discount_minor, 0),
                discount_minor=expense.discount_minor,
                tax=expense_tax(expense, work.contract),
                ticket_id=expense.ticket_id,
                expense_id=expense.id,
                product_id=expense.product_id,
            )
        )
    return lines


def time_lines(work: ContractWork) -> list[ChargeLine]:
    """Billable time at each entry's rate, grouped by the batch's detail level.

    Minutes are rounded up per entry to the contract's increment; each line's amount is
    its hours (the sum of its entries' minutes, in thousandths of an hour) x the price, rounded
    half-up once, so that the line reads as it adds up.
    """
    contract, tax = work.contract, contract_tax(work.contract)
    groups: dict[tuple, list[TimeEntry]] = {}
    for entry in work.entries():
        price = entry_price(entry, contract)
        if work.detail == DetailLevel.TIME_ENTRY:
            key = (entry.ticket_id, entry.id, price)
        elif work.detail == DetailLevel.TICKET:
            key = (entry.ticket_id, rate_name(entry, contract), price)
        else:
            key = (None, rate_name(entry, contract), price)
        groups.setdefault(key, []).append(entry)
    lines = []
    for (ticket_id, _, price), entries in groups.items():
        minutes = sum(billed_minutes(e, contract) for e in entries)
        first = entries[0]
        if work.detail == DetailLevel.TIME_ENTRY:
            who = first.technician.name if first.technician else ""
            text = f"#{first.ticket_id} {first.work_date:%Y-%m-%d} {who}: {first.note}".rstrip(": ")
        elif work.detail == DetailLevel.TICKET:
            text = f"#{ticket_id} {first.ticket.title}: {rate_name(first, contract)}"
        else:
            text = f"Labour: {rate_name(first, contract)}"
        lines.append(
            ChargeLine(
                LineKind.TIME,
                text,
                hours(minutes),
                price,
                line_amount_minor(hours(minutes), price),
                tax=tax,
                contract_id=contract.id,
                ticket_id=ticket_id,
                time_entry_id=first.id if work.detail == DetailLevel.TIME_ENTRY else None,
            )
        )
    return lines


def included_ticket_lines(work: ContractWork, note: str = "included") -> list[ChargeLine]:
    """The included tickets listed at no charge, with their billable hours, for transparency."""
    lines = []
    for ticket in work.tickets:
        minutes = sum(
            billed_minutes(e, work.contract)
            for e in ticket.time_entries
            if e.billable and e.id not in work.excluded_entries
        )
        lines.append(
            ChargeLine(
                LineKind.TICKET,
                f"#{ticket.id} {ticket.title} ({format_minutes(minutes)} h, {note})",
                hours(minutes),
                0,
                0,
                # The contract's rate, at no charge: an e-invoice wants a VAT category on
                # every line, even on an invoice of nothing but included tickets.
                tax=contract_tax(work.contract),
                ticket_id=ticket.id,
            )
        )
    return lines


def recurring_line(work: ContractWork, period: Period, text: str, milli_qty: int, price: int):
    """One period's recurring charge: quantity (thousandths) x price, prorated by days."""
    contract = work.contract
    quantity, price = prorated_terms(Decimal(milli_qty).scaleb(-3), price, period, contract)
    return ChargeLine(
        LineKind.SERVICE,
        f"{text} ({_period_note(period, contract)})",
        quantity,
        price,
        line_amount_minor(quantity, price),
        tax=contract_tax(contract),
        contract_id=contract.id,
    )


RuleFn = Callable[[ContractWork], ContractBill]
