"""What a batch would bill: the contracts of a period, their tickets, and their draft invoices.

Everything is loaded with a fixed number of queries whatever the number of contracts, tickets
or time entries; the billing itself is the pure rules of :mod:`billing.batches.rules`.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from billing.batches.charges import BlockState, ContractBill, ContractWork
from billing.batches.period_order import PeriodPlan, month_label, plan_periods
from billing.batches.rules import bill_contract
from billing.batches.ticket_resolution import waiting_tickets
from billing.contracts.blocks import BLOCK_TYPES
from billing.contracts.periods import RECURRING, Period, period_containing
from billing.invoices.lines import Totals, totals
from models import (
    BillingPeriod,
    BlockEntryKind,
    BlockLedgerEntry,
    Contract,
    ContractCharge,
    ContractRate,
    ContractType,
    Customer,
    DetailLevel,
    Expense,
    Product,
    Ticket,
    TicketStatus,
    TimeEntry,
    db,
)


@dataclass
class BatchRequest:
    """A period to bill, what to include, and how to group the lines."""

    start: date
    end: date
    name: str = ""
    customer_ids: set[int] = field(default_factory=set)
    contract_types: set[ContractType] = field(default_factory=set)
    detail: DetailLevel = DetailLevel.TICKET
    excluded_contracts: set[int] = field(default_factory=set)
    excluded_tickets: set[int] = field(default_factory=set)
    excluded_entries: set[int] = field(default_factory=set)
    excluded_expenses: set[int] = field(default_factory=set)
    # What the builder's form kept ticked; anything else it finds is left out (None: all).
    included: dict[str, set[int]] | None = None

    @property
    def default_name(self) -> str:
        return f"{self.start:%b %Y}" if self.start.day == 1 else f"{self.start} – {self.end}"


@dataclass
class ContractPreview:
    """One contract in the builder: locked (with the reason) or what it would bill."""

    contract: Contract
    tickets: list[Ticket]
    periods: list[Period] = field(default_factory=list)
    locked_reason: str | None = None
    catch_up: list[Period] = field(default_factory=list)  # earlier periods billed with these
    waiting: list = field(default_factory=list)  # WaitingTicket: work here, not billable yet
    excluded: bool = False
    bill: ContractBill | None = None
    totals: Totals | None = None

    @property
    def included_tickets(self) -> list[Ticket]:
        return [t for t in self.tickets if t.id not in self._excluded_tickets]

    _excluded_tickets: set[int] = field(default_factory=set)

    @property
    def billable(self) -> bool:
        return not self.locked_reason and not self.excluded and self.bill is not None


@dataclass
class BatchPreview:
    request: BatchRequest
    contracts: list[ContractPreview]

    @property
    def to_bill(self) -> list[ContractPreview]:
        return [c for c in self.contracts if c.billable]

    def invoice_groups(self) -> list[list[ContractPreview]]:
        """The contracts billed, grouped by the invoice each goes on: its own, or its
        customer's one invoice (``Customer.invoice_grouping``)."""
        groups: dict[tuple, list[ContractPreview]] = {}
        for item in self.to_bill:
            customer = item.contract.customer
            key = (
                ("customer", customer.id)
                if customer.invoice_grouping == "customer"
                else ("contract", item.contract.id)
            )
            groups.setdefault(key, []).append(item)
        return list(groups.values())

    def summary(self) -> dict:
        """Invoices, tickets, hours and money (per currency) of what would be billed."""
        money: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        tickets = minutes = 0
        for item in self.to_bill:
            tickets += len(item.included_tickets)
            minutes += sum(
                e.minutes
                for t in item.included_tickets
                for e in t.time_entries
                if e.billable and e.id not in self.request.excluded_entries
            )
        groups = self.invoice_groups()
        for group in groups:  # as saving makes them: tax per rate over each whole invoice
            figures = group_totals(group)
            row = money[group[0].contract.customer.currency]
            row[0] += figures.subtotal_minor
            row[1] += figures.tax_minor
            row[2] += figures.total_minor
        return {
            "invoices": len(groups),
            "tickets": tickets,
            "minutes": minutes,
            "locked": sum(1 for c in self.contracts if c.locked_reason),
            "money": dict(money),
        }


def group_totals(group: list[ContractPreview]) -> Totals:
    """The totals of one invoice made of ``group``'s lines (tax rounded once per rate)."""
    if len(group) == 1:
        return group[0].totals
    return totals([line for item in group for line in item.bill.lines])


def _contracts(request: BatchRequest) -> list[Contract]:
    query = (
        sa.select(Contract)
        .join(Contract.customer)
        .where(
            Contract.active.is_(True),
            Contract.start_date <= request.end,
            sa.or_(Contract.end_date.is_(None), Contract.end_date >= request.start),
        )
        .options(
            joinedload(Contract.customer),
            joinedload(Contract.tax_rate),
            selectinload(Contract.rates).joinedload(ContractRate.rate),
            selectinload(Contract.services),
            selectinload(Contract.unit_counts),
        )
        .order_by(Customer.name, Contract.name, Contract.id)
    )
    if request.customer_ids:
        query = query.where(Contract.customer_id.in_(request.customer_ids))
    if request.contract_types:
        query = query.where(Contract.type.in_(request.contract_types))
    return list(db.session.scalars(query).unique())


def _ticket_filter(contract_ids: list[int], end: date) -> list[sa.ColumnElement]:
    closed_by = datetime.combine(end + timedelta(days=1), time.min)
    return [
        Ticket.contract_id.in_(contract_ids),
        Ticket.batch_id.is_(None),
        Ticket.status.in_([TicketStatus.RESOLVED, TicketStatus.CLOSED]),
        sa.or_(Ticket.closed_at.is_(None), Ticket.closed_at < closed_by),
    ]


def _tickets(contract_ids: list[int], end: date) -> dict[int, list[Ticket]]:
    """Unbilled closed/resolved tickets per contract, with their time and expenses attached."""
    where = _ticket_filter(contract_ids, end)
    tickets = list(db.session.scalars(sa.select(Ticket).where(*where).order_by(Ticket.id)))
    entries: dict[int, list[TimeEntry]] = defaultdict(list)
    for entry in db.session.scalars(
        sa.select(TimeEntry)
        .join(Ticket, Ticket.id == TimeEntry.ticket_id)
        .where(*where)
        .options(joinedload(TimeEntry.technician), joinedload(TimeEntry.rate))
        .order_by(TimeEntry.work_date, TimeEntry.id)
    ):
        entries[entry.ticket_id].append(entry)
    expenses: dict[int, list[Expense]] = defaultdict(list)
    for expense in db.session.scalars(
        sa.select(Expense)
        .join(Ticket, Ticket.id == Expense.ticket_id)
        .where(*where)
        .options(
            joinedload(Expense.product).joinedload(Product.tax_rate),
            joinedload(Expense.tax_rate),
        )
        .order_by(Expense.id)
    ):
        expenses[expense.ticket_id].append(expense)
    by_contract: dict[int, list[Ticket]] = defaultdict(list)
    for ticket in tickets:
        set_committed_value(ticket, "time_entries", entries[ticket.id])
        set_committed_value(ticket, "expenses", expenses[ticket.id])
        by_contract[ticket.contract_id].append(ticket)
    return by_contract


def _charged(contract_ids: list[int]) -> dict[int, set[date]]:
    charged: dict[int, set[date]] = defaultdict(set)
    rows = db.session.execute(
        sa.select(ContractCharge.contract_id, ContractCharge.period_start).where(
            ContractCharge.contract_id.in_(contract_ids)
        )
    )
    for contract_id, start in rows:
        charged[contract_id].add(start)
    return charged


def _open_tickets(contract_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(Ticket.contract_id, sa.func.count(Ticket.id))
        .where(Ticket.contract_id.in_(contract_ids), Ticket.status == TicketStatus.OPEN)
        .group_by(Ticket.contract_id)
    )
    return dict(rows.all())


def _block_states(contracts: list[Contract]) -> dict[int, BlockState]:
    """Each block contract's balance so far and the periods it already bought a block in."""
    ids = [c.id for c in contracts]
    states = {c.id: BlockState() for c in contracts}
    if not ids:
        return states
    kinds = {c.id: c for c in contracts}
    rows = db.session.execute(
        sa.select(
            BlockLedgerEntry.contract_id,
            BlockLedgerEntry.kind,
            BlockLedgerEntry.entry_date,
            BlockLedgerEntry.minutes,
            BlockLedgerEntry.amount_minor,
        ).where(BlockLedgerEntry.contract_id.in_(ids))
    )
    for contract_id, kind, day, minutes, amount in rows:
        contract = kinds[contract_id]
        state = states[contract_id]
        state.balance += amount if contract.type == ContractType.BLOCK_MONEY else minutes
        if kind == BlockEntryKind.PURCHASE and contract.billing_period in RECURRING:
            state.purchased_in.add(period_containing(contract.billing_period, day).start)
    return states


def periods_to_charge(
    contract: Contract, request: BatchRequest, charged: set[date], open_tickets: int, today: date
) -> PeriodPlan:
    """The periods ``contract`` charges in this batch (see :mod:`billing.batches.period_order`), or
    the reason it is locked."""
    kind = contract.billing_period
    if kind == BillingPeriod.ON_DEMAND:
        return PeriodPlan()
    if kind == BillingPeriod.ONCE:
        if contract.start_date in charged:
            return PeriodPlan(reason="A project is billed once, and this one has been.")
        if open_tickets:
            return PeriodPlan(
                reason=f"A project is billed once: {open_tickets} of its tickets are still open."
            )
        return PeriodPlan([Period(contract.start_date, max(contract.start_date, request.end))])
    return plan_periods(
        contract, request.start, request.end, charged, today, ordered=_recurs(contract)
    )


def _waiting_block(contract: Contract, charged: set[date]) -> str:
    """Why a block contract's late work waits: its use is charged with a period's block."""
    last = period_containing(contract.billing_period, max(charged))
    following = period_containing(contract.billing_period, last.end + timedelta(days=1))
    return (
        f"Its work dated in periods already billed waits for the next period to bill, "
        f"{month_label(following)}: a block's use is charged with a period."
    )


def _apply_included(request: BatchRequest, contracts, tickets: dict[int, list[Ticket]]) -> None:
    """Turn the ticked ids of the builder into exclusions of everything else found."""
    kept = request.included or {}
    every = [t for group in tickets.values() for t in group]
    request.excluded_contracts |= {c.id for c in contracts} - kept.get("contract", set())
    request.excluded_tickets |= {t.id for t in every} - kept.get("ticket", set())
    request.excluded_entries |= {e.id for t in every for e in t.time_entries} - kept.get(
        "entry", set()
    )
    request.excluded_expenses |= {x.id for t in every for x in t.expenses} - kept.get(
        "expense", set()
    )


def _recurs(contract: Contract) -> bool:
    """Whether the contract charges something every period, even without tickets."""
    return bool(contract.services) or contract.type in (
        ContractType.RETAINER,
        ContractType.PER_UNIT,
        *BLOCK_TYPES,
    )


def build_preview(request: BatchRequest, today: date) -> BatchPreview:
    """Load what the period holds and compute every contract's draft invoice."""
    contracts = _contracts(request)
    ids = [c.id for c in contracts]
    tickets = _tickets(ids, request.end) if ids else {}
    charged = _charged(ids) if ids else {}
    once_ids = [c.id for c in contracts if c.billing_period == BillingPeriod.ONCE]
    open_counts = _open_tickets(once_ids) if once_ids else {}
    blocks = _block_states([c for c in contracts if c.type in BLOCK_TYPES])
    waiting = waiting_tickets(ids, request.start, request.end)
    if request.included is not None:
        _apply_included(request, contracts, tickets)
    previews = []
    for contract in contracts:
        done = charged.get(contract.id, set())
        plan = periods_to_charge(contract, request, done, open_counts.get(contract.id, 0), today)
        periods, reason = plan.periods, plan.reason
        if not reason and not periods and contract.type in BLOCK_TYPES and done:
            reason = _waiting_block(contract, done)  # nothing to charge its use with yet
        item = ContractPreview(
            contract,
            tickets.get(contract.id, []),
            periods,
            reason,
            catch_up=plan.catch_up,
            waiting=waiting.get(contract.id, []),
            excluded=contract.id in request.excluded_contracts,
            _excluded_tickets=request.excluded_tickets,
        )
        if not reason and (periods or item.included_tickets):
            work = ContractWork(
                contract,
                periods,
                item.included_tickets,
                request.detail,
                request.excluded_entries,
                request.excluded_expenses,
                blocks.get(contract.id),
            )
            bill = bill_contract(work)
            if bill.lines:  # nothing to bill makes no invoice (not even a $0.00 one)
                item.bill, item.totals = bill, totals(bill.lines)
        if (
            item.bill is not None
            or item.waiting
            or (reason and (item.tickets or _recurs(contract)))
        ):
            previews.append(item)
    return BatchPreview(request, previews)
