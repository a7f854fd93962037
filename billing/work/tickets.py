"""Tickets: creating and editing them, their status machine, and the lock once billed.

A ticket bills against one active contract of its customer. Once an invoice batch has billed it
(``batch_id`` set), the ticket, its time entries and its expenses are read-only: every rule here
and in :mod:`billing.work.items` refuses to change them with :class:`Conflict`. Nothing is
committed here; each function checks everything before it changes a row, then flushes.
"""

from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload, selectinload

from billing.errors import Conflict, ValidationFailed
from models import (
    Contract,
    ContractRate,
    Customer,
    Expense,
    Product,
    Ticket,
    TicketStatus,
    TimeEntry,
    User,
    db,
)

MAX_TITLE = 200
MAX_DESCRIPTION = 20000

OPEN, RESOLVED, CLOSED = TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED

# Every move a ticket's status may make. Unbilled tickets can always be reopened; a billed
# ticket makes none (see check_not_billed).
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    OPEN: frozenset({RESOLVED, CLOSED}),
    RESOLVED: frozenset({OPEN, CLOSED}),
    CLOSED: frozenset({OPEN, RESOLVED}),
}

# What the button that makes each move says.
ACTIONS = {OPEN: "Reopen", RESOLVED: "Resolve", CLOSED: "Close"}


def billed_message(ticket: Ticket) -> str:
    """The one sentence that explains why a billed ticket cannot change."""
    name = ticket.batch.name if ticket.batch else f"#{ticket.batch_id}"
    return f"Ticket #{ticket.id} was billed by batch {name}; it can no longer be changed."


def check_not_billed(ticket: Ticket) -> None:
    """:raise Conflict: an invoice batch billed ``ticket``; it and its work are read-only."""
    if ticket.batch_id is not None:
        raise Conflict(billed_message(ticket))


def next_statuses(ticket: Ticket) -> list[TicketStatus]:
    """The statuses ``ticket`` may move to now, in the enum's order (none once billed)."""
    if ticket.is_billed:
        return []
    return [status for status in TicketStatus if status in TRANSITIONS[ticket.status]]


def change_status(ticket: Ticket, target: TicketStatus | str, *, now: datetime) -> None:
    """Move ``ticket`` to ``target`` along :data:`TRANSITIONS`.

    ``closed_at`` records when the work was finished: set when the ticket leaves open (for
    resolved or closed), kept while it moves between resolved and closed, cleared on reopening.

    :raise ValidationFailed: ``target`` is no status (field ``status``).
    :raise Conflict: the ticket is billed, or the move is not in the table.
    """
    check_not_billed(ticket)
    try:
        target = TicketStatus(target)
    except ValueError:
        raise ValidationFailed("Choose open, resolved or closed.", "status") from None
    if target not in TRANSITIONS[ticket.status]:
        if target == ticket.status:
            raise Conflict(f"Ticket #{ticket.id} is {target.value} already.")
        raise Conflict(f"A {ticket.status.value} ticket cannot become {target.value}.")
    ticket.status = target
    if target == OPEN:
        ticket.closed_at = None
    elif ticket.closed_at is None:
        ticket.closed_at = now
    db.session.flush()


def active_contracts(customer_id: int | None) -> list[Contract]:
    """The customer's active contracts, the default first, then by name."""
    if customer_id is None:
        return []
    query = (
        select(Contract)
        .where(Contract.customer_id == customer_id, Contract.active.is_(True))
        .order_by(Contract.is_default.desc(), Contract.name, Contract.id)
    )
    return list(db.session.scalars(query))


def default_contract(contracts: list[Contract]) -> Contract | None:
    """Where a new ticket goes: the default contract, else the only one, else none."""
    default = next((c for c in contracts if c.is_default), None)
    return default or (contracts[0] if len(contracts) == 1 else None)


def _customer(ticket: Ticket | None, customer_id: int | None) -> Customer:
    unchanged = ticket is not None and ticket.customer_id == customer_id
    customer = db.session.get(Customer, customer_id) if customer_id is not None else None
    if customer is None or not (customer.active or unchanged):
        raise ValidationFailed("Choose an active customer.", "customer_id")
    moves_currency = ticket is not None and ticket.customer.currency != customer.currency
    if moves_currency and (ticket.time_entries or ticket.expenses):
        raise ValidationFailed(
            f"This ticket's work is priced in {ticket.customer.currency}, and "
            f"{customer.name} is billed in {customer.currency}: it cannot move there.",
            "customer_id",
        )
    return customer


def _contract(ticket: Ticket | None, customer: Customer, contract_id: int | None) -> Contract:
    contract = db.session.get(Contract, contract_id) if contract_id is not None else None
    unchanged = ticket is not None and ticket.contract_id == contract_id
    if contract is None or contract.customer_id != customer.id:
        raise ValidationFailed(f"Choose one of {customer.name}'s active contracts.", "contract_id")
    if not (contract.active or unchanged):
        raise ValidationFailed(
            f"The contract {contract.name} is inactive; choose an active one.", "contract_id"
        )
    return contract


def _rehome_rates(ticket: Ticket, contract: Contract) -> None:
    """Time moved to another contract keeps a rate that contract has, else takes its primary."""
    offered = {cr.rate_id for cr in contract.rates}
    primary = next((cr.rate_id for cr in contract.rates if cr.is_primary), None)
    for entry in ticket.time_entries:
        if entry.rate_id not in offered:
            entry.rate_id = primary if offered else None


def save_ticket(
    ticket: Ticket | None,
    *,
    customer_id: int | None,
    contract_id: int | None,
    title: str,
    description: str,
) -> Ticket:
    """Create (``ticket`` is None, status open) or change a ticket.

    Moving a ticket to another contract moves its time to that contract's rates (the same rate
    if the contract offers it, else its primary one).

    :raise Conflict: the ticket is billed.
    :raise ValidationFailed: empty or long title, long description, an inactive customer, or
        a contract that is not one of the customer's active contracts.
    """
    if ticket is not None:
        check_not_billed(ticket)
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("Enter a title.", "title")
    if len(title) > MAX_TITLE:
        raise ValidationFailed(f"Use at most {MAX_TITLE} characters.", "title")
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(f"Use at most {MAX_DESCRIPTION} characters.", "description")
    customer = _customer(ticket, customer_id)
    contract = _contract(ticket, customer, contract_id)
    if ticket is None:
        ticket = Ticket(status=OPEN)
        db.session.add(ticket)
    elif ticket.contract_id != contract.id:
        _rehome_rates(ticket, contract)
    ticket.customer, ticket.contract = customer, contract
    ticket.customer_id, ticket.contract_id = customer.id, contract.id
    ticket.title, ticket.description = title, description
    db.session.flush()
    return ticket


def ticket_query(
    *,
    customer_id: int | None = None,
    contract_id: int | None = None,
    status: TicketStatus | None = None,
    billed: bool | None = None,
) -> Select:
    """Tickets newest first with their customer, contract and batch, filtered by what is given."""
    query = select(Ticket).options(
        joinedload(Ticket.customer), joinedload(Ticket.contract), joinedload(Ticket.batch)
    )
    if customer_id:
        query = query.where(Ticket.customer_id == customer_id)
    if contract_id:
        query = query.where(Ticket.contract_id == contract_id)
    if status is not None:
        query = query.where(Ticket.status == status)
    if billed is not None:
        query = query.where(Ticket.batch_id.is_not(None) if billed else Ticket.batch_id.is_(None))
    return query.order_by(Ticket.id.desc())


def load_ticket(ticket_id: int, *, for_update: bool = False) -> Ticket | None:
    """A ticket with everything its page shows (contract rates, work, technicians, products),
    in a constant number of queries however much work it has.

    ``for_update`` locks the ticket's row (PostgreSQL; SQLite writes one at a time anyway), so
    that a batch billing the ticket and a change to its work wait for each other.
    """
    query = (
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .options(
            joinedload(Ticket.customer),
            joinedload(Ticket.batch),
            joinedload(Ticket.contract).selectinload(Contract.rates).joinedload(ContractRate.rate),
            selectinload(Ticket.time_entries).joinedload(TimeEntry.technician),
            selectinload(Ticket.time_entries).joinedload(TimeEntry.rate),
            selectinload(Ticket.expenses).joinedload(Expense.product),
        )
    )
    if for_update:
        query = query.with_for_update(of=Ticket)
    return db.session.scalar(query)


def work_options(ticket: Ticket) -> tuple[list[User], list[Product]]:
    """Who may be chosen for the ticket's time and which products for its expenses: the active
    ones, plus any inactive one its work already names (so that editing it keeps them)."""
    user_ids = {entry.user_id for entry in ticket.time_entries}
    product_ids = {e.product_id for e in ticket.expenses if e.product_id is not None}
    users = select(User).where(or_(User.active.is_(True), User.id.in_(user_ids)))
    products = select(Product).where(or_(Product.active.is_(True), Product.id.in_(product_ids)))
    return (
        list(db.session.scalars(users.order_by(User.name, User.id))),
        list(db.session.scalars(products.order_by(Product.name, Product.id))),
    )
