"""What the invoice pages show: the invoice with what it needs, its lines grouped as the page
lists them, its audit trail, the payments applied to it, the balance of each block contract it
bills, and what a new invoice may be for."""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from billing.contracts.blocks import BLOCK_TYPES, ledger_totals
from billing.errors import NotFound
from billing.invoices.parts import ContractPart, contract_parts
from models import (
    Contract,
    ContractType,
    Customer,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    LineKind,
    Payment,
    PaymentApplication,
    Ticket,
    db,
)


@dataclass
class LineSection:
    """One part of the lines table: services, tickets (a group per ticket), or expenses."""

    key: str
    title: str
    groups: dict[str, list[InvoiceLine]] = field(default_factory=dict)  # heading -> lines


@dataclass(frozen=True)
class InvoiceBlockBalance:
    """A block contract's balance as the invoice shows it: what its ledger holds on ``as_of``
    (the invoice's period end, or its issue date), in minutes or minor units."""

    contract: Contract
    as_of: date
    hours: bool  # block hours (minutes_left counts) or block money (amount_minor counts)
    minutes_left: int
    amount_minor: int


def load_invoice(invoice_id: int, *, for_update: bool = False) -> Invoice:
    """The invoice with its customer, contract and lines, locked for an edit if asked.

    :raise NotFound: no such invoice.
    """
    query = (
        sa.select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(
            joinedload(Invoice.customer),
            joinedload(Invoice.contract),
            selectinload(Invoice.lines),
        )
    )
    if for_update:
        query = query.with_for_update(of=Invoice)
    invoice = db.session.scalar(query)
    if invoice is None:
        raise NotFound(f"There is no invoice #{invoice_id}.")
    return invoice


def load_events(invoice: Invoice) -> list[InvoiceEvent]:
    """The invoice's audit trail, oldest first, with who did each thing."""
    return list(
        db.session.scalars(
            sa.select(InvoiceEvent)
            .where(InvoiceEvent.invoice_id == invoice.id)
            .options(joinedload(InvoiceEvent.user))
            .order_by(InvoiceEvent.created_at, InvoiceEvent.id)
        )
    )


def load_payment_applications(invoice: Invoice) -> list[PaymentApplication]:
    """The payments applied to the invoice, oldest first, each with its payment (one query)."""
    return list(
        db.session.scalars(
            sa.select(PaymentApplication)
            .join(PaymentApplication.payment)
            .where(PaymentApplication.invoice_id == invoice.id)
            .options(contains_eager(PaymentApplication.payment))
            .order_by(Payment.payment_date, Payment.id, PaymentApplication.id)
        )
    )


def line_sections(invoice: Invoice) -> list[LineSection]:
    """The lines grouped as service items, tickets (under each ticket) and expenses/products.

    Time billed without a ticket (one line per rate) counts as a service item. An invoice for
    several contracts has a section per contract (its period in the title) instead.
    """
    parts = contract_parts(invoice)
    if parts:
        return [_part_section(n, part) for n, part in enumerate(parts)]
    sections = {
        "services": LineSection("services", "Services"),
        "tickets": LineSection("tickets", "Tickets"),
        "expenses": LineSection("expenses", "Expenses and products"),
    }
    ticketed = (LineKind.TICKET, LineKind.TIME)
    ids = {li.ticket_id for li in invoice.lines if li.kind in ticketed and li.ticket_id}
    query = sa.select(Ticket.id, Ticket.title).where(Ticket.id.in_(ids))
    titles = dict(db.session.execute(query).tuples().all()) if ids else {}
    for line in invoice.lines:
        if line.kind in (LineKind.EXPENSE, LineKind.PRODUCT):
            key, heading = "expenses", ""
        elif line.kind == LineKind.TICKET or (line.kind == LineKind.TIME and line.ticket_id):
            key = "tickets"
            heading = f"#{line.ticket_id} {titles.get(line.ticket_id, '')}".rstrip()
            heading = heading if line.ticket_id else "Other tickets"
        else:
            key, heading = "services", ""
        sections[key].groups.setdefault(heading, []).append(line)
    return [s for s in sections.values() if s.groups]


def _part_section(number: int, part: ContractPart) -> LineSection:
    section = LineSection(f"contract-{number}", part.title)
    for line in part.lines:
        ticketed = line.kind == LineKind.TICKET or (line.kind == LineKind.TIME and line.ticket_id)
        heading = f"Ticket #{line.ticket_id}" if ticketed and line.ticket_id else ""
        section.groups.setdefault(heading, []).append(line)
    return section


def invoice_block_balances(invoice: Invoice) -> list[InvoiceBlockBalance]:
    """The balance of each block contract the invoice bills, as of its period end (or issue
    date): one query per block contract, none for an invoice without one."""
    parts = contract_parts(invoice)
    contracts = [p.contract for p in parts if p.contract] if parts else [invoice.contract]
    as_of = invoice.period_end or invoice.issue_date
    balances = []
    for contract in contracts:
        if contract is None or contract.type not in BLOCK_TYPES:
            continue
        minutes, amount = ledger_totals(contract.id, as_of)
        hours = contract.type == ContractType.BLOCK_HOURS
        balances.append(InvoiceBlockBalance(contract, as_of, hours, minutes, amount))
    return balances


def new_invoice_choices(customer_id: int | None) -> tuple[list[Customer], list[Contract]]:
    """What a new flexible invoice may be for: the active customers by name, and the active
    contracts of active customers (only ``customer_id``'s when given), by customer and name."""
    customers = db.session.scalars(
        sa.select(Customer).where(Customer.active).order_by(sa.func.lower(Customer.name))
    ).all()
    contracts = sa.select(Contract).join(Contract.customer).where(Contract.active, Customer.active)
    if customer_id is not None:
        contracts = contracts.where(Contract.customer_id == customer_id)
    order = (sa.func.lower(Customer.name), sa.func.lower(Contract.name))
    return list(customers), list(db.session.scalars(contracts.order_by(*order)))
