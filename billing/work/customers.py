"""Customers: the rules for creating and changing them, and what the customer pages read.

:func:`save_customer` checks everything before it touches the session (a query would otherwise
autoflush a half-filled row), then adds or changes the row and flushes. Nothing is committed here.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import defer

from billing.einvoice.buyer import BuyerDetails, check_buyer
from billing.errors import ForbiddenChange, ValidationFailed
from billing.settings import check_currency, get_settings
from billing.users import check_addresses, split_addresses
from billing.work.totals import WorkTotals, sum_totals, totals_by_ticket
from models import (
    Contract,
    ContractRate,
    Customer,
    Expense,
    Invoice,
    Ticket,
    TicketStatus,
    db,
)

MAX_NAME = 200
MAX_EMAILS = 10
STATUSES = ("active", "inactive", "all")


GROUPINGS = {
    "contract": "One invoice per contract",
    "customer": "One invoice for all its contracts (a section per contract)",
}


@dataclass(frozen=True)
class CustomerData:
    """Everything the customer form edits, as typed (``billing_emails`` is the raw text)."""

    name: str
    billing_emails: str
    address: str
    tax_exempt: bool
    currency: str
    active: bool
    notes: str
    invoice_grouping: str = "contract"
    reminders_opt_out: bool = False
    # E-invoicing (billing.einvoice.buyer): BT-55, BT-48, BT-49 and its scheme, BT-10.
    country: str = ""
    vat_id: str = ""
    endpoint_id: str = ""
    endpoint_scheme: str = ""
    buyer_reference: str = ""
    einvoice_format: str = "pdf"

    def buyer(self) -> BuyerDetails:
        """The e-invoicing details, with the address they need."""
        return BuyerDetails(
            country=self.country,
            vat_id=self.vat_id,
            endpoint_id=self.endpoint_id,
            endpoint_scheme=self.endpoint_scheme,
            buyer_reference=self.buyer_reference,
            einvoice_format=self.einvoice_format,
            address=self.address,
        )


def parse_billing_emails(text: str, *, field: str = "billing_emails") -> list[str]:
    """The addresses in ``text`` (one per line, or separated by commas), normalized, in order,
    each once.

    :raise ValidationFailed: none, more than :data:`MAX_EMAILS`, or one is malformed.
    """
    return check_addresses(
        split_addresses(text),
        most=MAX_EMAILS,
        none="Enter at least one billing email.",
        too_many=f"Enter at most {MAX_EMAILS} billing emails.",
        field=field,
    )


def check_name(name: str, current_id: int | None = None, *, field: str = "name") -> str:
    """The trimmed name, if it is free.

    :raise ValidationFailed: empty, longer than :data:`MAX_NAME`, or another customer has it
        (in any case).
    """
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Enter a name.", field)
    if len(name) > MAX_NAME:
        raise ValidationFailed(f"Use at most {MAX_NAME} characters.", field)
    query = select(Customer.id).where(func.lower(Customer.name) == name.lower())
    if current_id is not None:
        query = query.where(Customer.id != current_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise ValidationFailed("Another customer has this name.", field)
    return name


def currency_lock_reason(customer: Customer) -> str | None:
    """Why ``customer``'s currency may no longer change, or None if it may.

    Invoices, contracts with prices and recorded expenses are amounts in the customer's
    currency: a new currency would mix two currencies in one customer's billing.
    """
    priced_terms = or_(
        Contract.unit_price_minor.is_not(None),
        Contract.block_amount_minor.is_not(None),
        Contract.overage_rate_minor.is_not(None),
        Contract.fixed_amount_minor.is_not(None),
        Contract.rates.any(ContractRate.hourly_price_minor.is_not(None)),
        Contract.services.any(),
    )
    checks = {
        "invoices": exists().where(Invoice.customer_id == customer.id),
        "priced contracts": exists().where(Contract.customer_id == customer.id, priced_terms),
        "expenses": exists()
        .where(Expense.ticket_id == Ticket.id)
        .where(Ticket.customer_id == customer.id),
    }
    found = db.session.execute(select(*checks.values())).one()
    held = [what for what, present in zip(checks, found, strict=True) if present]
    if not held:
        return None
    listed = " and ".join([", ".join(held[:-1]), held[-1]] if len(held) > 1 else held)
    return (
        f"This customer has {listed} in {customer.currency}, so its currency cannot change: "
        "it would mix two currencies."
    )


def save_customer(customer: Customer | None, data: CustomerData) -> Customer:
    """Create (``customer`` is None) or change a customer (not committed).

    :raise ValidationFailed: the first rule ``data`` breaks, with its field: empty, long or
        taken name; no, too many or malformed billing emails; unknown currency; a new currency
        for a customer that already has amounts in the old one; e-invoicing details that are
        malformed or missing for the chosen format (:func:`billing.einvoice.buyer.check_buyer`).
    """
    name = check_name(data.name, customer.id if customer else None)
    emails = parse_billing_emails(data.billing_emails)
    currency = (data.currency or "").strip().upper()
    if not currency:
        raise ValidationFailed("Choose a currency.", "currency")
    check_currency(currency, field="currency", kept=customer.currency if customer else None)
    if customer is not None and currency != customer.currency:
        reason = currency_lock_reason(customer)
        if reason:
            raise ForbiddenChange(reason, "currency")
    if data.invoice_grouping not in GROUPINGS:
        raise ValidationFailed("Choose how this customer's work is invoiced.", "invoice_grouping")
    buyer = check_buyer(data.buyer(), get_settings())
    if customer is None:
        customer = Customer()
        db.session.add(customer)
    customer.name, customer.billing_emails = name, ",".join(emails)
    customer.address, customer.notes = (data.address or "").strip(), (data.notes or "").strip()
    customer.tax_exempt, customer.currency, customer.active = data.tax_exempt, currency, data.active
    customer.invoice_grouping = data.invoice_grouping
    customer.reminders_opt_out = data.reminders_opt_out
    customer.country, customer.vat_id = buyer.country, buyer.vat_id
    customer.endpoint_id, customer.endpoint_scheme = buyer.endpoint_id, buyer.endpoint_scheme
    customer.buyer_reference, customer.einvoice_format = (
        buyer.buyer_reference,
        buyer.einvoice_format,
    )
    db.session.flush()
    return customer


def customer_query(search: str = "", status: str = "active") -> Select:
    """Customers by name; those whose name contains ``search`` (any case, ``%`` and ``_``
    literal) if given; ``status`` is ``active``, ``inactive`` or ``all``."""
    query = select(Customer).order_by(func.lower(Customer.name), Customer.id)
    term = (search or "").strip().lower()
    if term:
        query = query.where(func.lower(Customer.name).contains(term, autoescape=True))
    if status == "active":
        query = query.where(Customer.active.is_(True))
    elif status == "inactive":
        query = query.where(Customer.active.is_(False))
    return query


def unbilled_totals_by_customer(customer_ids: Iterable[int]) -> dict[int, WorkTotals]:
    """The work not yet billed by a batch, summed per customer; three queries in all."""
    ids = sorted(set(customer_ids))
    result = {customer_id: WorkTotals() for customer_id in ids}
    if not ids:
        return result
    rows = db.session.execute(
        select(Ticket.customer_id, Ticket.id).where(
            Ticket.customer_id.in_(ids), Ticket.batch_id.is_(None)
        )
    ).all()
    tickets_of: dict[int, list[int]] = defaultdict(list)
    for customer_id, ticket_id in rows:
        tickets_of[customer_id].append(ticket_id)
    totals = totals_by_ticket(ticket_id for _, ticket_id in rows)
    for customer_id, ticket_ids in tickets_of.items():
        result[customer_id] = sum_totals(totals[t] for t in ticket_ids)
    return result


@dataclass(frozen=True)
class CustomerWork:
    """A customer's open and unbilled work: ``tickets`` are the newest unbilled ones, each with
    its totals; ``totals`` covers all ``unbilled_count`` of them."""

    open_count: int
    unbilled_count: int
    totals: WorkTotals
    tickets: list[tuple[Ticket, WorkTotals]]


def customer_work(customer: Customer, limit: int = 50) -> CustomerWork:
    """Open tickets counted, and every ticket no batch has billed yet totalled; four queries."""
    open_count = db.session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.customer_id == customer.id, Ticket.status == TicketStatus.OPEN
        )
    )
    unbilled = db.session.scalars(
        select(Ticket)
        .options(defer(Ticket.description))
        .where(Ticket.customer_id == customer.id, Ticket.batch_id.is_(None))
        .order_by(Ticket.id.desc())
    ).all()
    totals = totals_by_ticket(ticket.id for ticket in unbilled)
    return CustomerWork(
        open_count=open_count or 0,
        unbilled_count=len(unbilled),
        totals=sum_totals(totals.values()),
        tickets=[(ticket, totals[ticket.id]) for ticket in unbilled[:limit]],
    )


def recent_invoices(customer: Customer, limit: int = 20) -> tuple[list[Invoice], int]:
    """The customer's newest ``limit`` invoices (by issue date), and how many it has in all;
    one query."""
    rows = db.session.execute(
        select(Invoice, func.count().over())
        .where(Invoice.customer_id == customer.id)
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
        .limit(limit)
    ).all()
    return [invoice for invoice, _ in rows], (rows[0][1] if rows else 0)


def customer_contracts(customer: Customer) -> list[Contract]:
    """The customer's contracts: the default first, then active ones, by name."""
    return list(
        db.session.scalars(
            select(Contract)
            .where(Contract.customer_id == customer.id)
            .order_by(Contract.is_default.desc(), Contract.active.desc(), func.lower(Contract.name))
        )
    )
