"""Small builders for test data: committed rows with believable defaults.

Each takes keyword overrides for any column; related rows are created when not given.
"""

from __future__ import annotations

import functools
import itertools
import uuid
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from models import (
    BillingPeriod,
    Contract,
    ContractRate,
    ContractType,
    Customer,
    Expense,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Payment,
    PaymentMethod,
    Product,
    Rate,
    Role,
    TaxRate,
    Ticket,
    TimeEntry,
    User,
    db,
)

TEST_PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def _save(obj: Any) -> Any:
    db.session.add(obj)
    db.session.commit()
    return obj


@functools.cache
def _test_password_hash() -> str:
    # Hashing (scrypt) is deliberately slow; hash the shared test password once per run.
    probe = User()
    probe.set_password(TEST_PASSWORD)
    return probe.password_hash


def make_user(role: Role = Role.ADMIN, email: str | None = None, name: str = "") -> User:
    """A committed user with ``TEST_PASSWORD``."""
    user = User(
        email=email or f"{role.value}-{uuid.uuid4().hex[:6]}@example.com",
        name=name or role.value.capitalize(),
        role=role,
    )
    user.password_hash = _test_password_hash()
    return _save(user)


def make_customer(**fields: Any) -> Customer:
    values = dict(
        name=f"Customer {next(_seq)}",
        currency="USD",
        billing_emails="ap@example.com",
        address="1 Main St\nSpringfield",
    )
    return _save(Customer(**{**values, **fields}))


def make_rate(**fields: Any) -> Rate:
    values = dict(name=f"Rate {next(_seq)}", hourly_price_minor=12500, currency="USD")
    return _save(Rate(**{**values, **fields}))


def make_tax_rate(**fields: Any) -> TaxRate:
    values = dict(name=f"Tax {next(_seq)}", percent=Decimal("8.25"))
    return _save(TaxRate(**{**values, **fields}))


def make_product(**fields: Any) -> Product:
    values = dict(name=f"Product {next(_seq)}", unit_price_minor=4999, currency="USD")
    return _save(Product(**{**values, **fields}))


def make_contract(customer: Customer | None = None, **fields: Any) -> Contract:
    """An hourly monthly contract with one primary rate unless told otherwise."""
    rates = fields.pop("rates", None)
    values = dict(
        name=f"Contract {next(_seq)}",
        type=ContractType.HOURLY,
        billing_period=BillingPeriod.MONTHLY,
        start_date=date(2026, 1, 1),
    )
    customer = customer or make_customer()
    hourly = (ContractType.HOURLY, ContractType.PROJECT_HOURLY)
    if rates is None and fields.get("type", ContractType.HOURLY) in hourly:
        rates = [make_rate(currency=customer.currency)]
    contract = Contract(customer=customer, **{**values, **fields})
    db.session.add(contract)
    for position, rate in enumerate(rates or []):
        contract.rates.append(ContractRate(rate=rate, is_primary=position == 0))
    return _save(contract)


def make_retainer(
    customer: Customer | None = None, unit_price_minor: int = 100000, **fields: Any
) -> Contract:
    """A monthly retainer of one unit at ``unit_price_minor`` a period."""
    values = dict(
        type=ContractType.RETAINER, quantity=Decimal(1), unit_price_minor=unit_price_minor
    )
    return make_contract(customer, **{**values, **fields})


def make_ticket(contract: Contract | None = None, **fields: Any) -> Ticket:
    contract = contract or make_contract()
    values = dict(title=f"Ticket {next(_seq)}")
    return _save(Ticket(customer=contract.customer, contract=contract, **{**values, **fields}))


def make_time_entry(ticket: Ticket | None = None, **fields: Any) -> TimeEntry:
    ticket = ticket or make_ticket()
    technician = fields.pop("technician", None) or make_user(Role.TECHNICIAN)
    db.session.add(ticket)
    primary = next((r.rate for r in ticket.contract.rates if r.is_primary), None)
    values = dict(work_date=date(2026, 1, 15), minutes=60, rate=primary)
    return _save(TimeEntry(ticket=ticket, technician=technician, **{**values, **fields}))


def make_expense(ticket: Ticket | None = None, **fields: Any) -> Expense:
    values = dict(
        expense_date=date(2026, 1, 15),
        description="Patch cable",
        quantity=Decimal(2),
        unit_price_minor=1500,
    )
    return _save(Expense(ticket=ticket or make_ticket(), **{**values, **fields}))


__all__ = [
    "build_invoice",
    "make_contract",
    "make_credit_note",
    "make_customer",
    "make_expense",
    "make_invoice",
    "make_line",
    "make_payment",
    "make_product",
    "make_rate",
    "make_retainer",
    "make_tax_rate",
    "make_ticket",
    "make_time_entry",
    "make_user",
    "User",
]


def make_line(
    description: str, unit_price_minor: int, quantity: Decimal | int | str = 1, **fields: Any
) -> InvoiceLine:
    """An unsaved custom line; its amount is quantity x unit price (half up) unless given."""
    quantity = Decimal(quantity)
    amount = (quantity * unit_price_minor).to_integral_value(ROUND_HALF_UP)
    values = dict(
        kind=LineKind.CUSTOM,
        description=description,
        quantity=quantity,
        unit_price_minor=unit_price_minor,
        amount_minor=int(amount),
    )
    return InvoiceLine(**{**values, **fields})


def build_invoice(customer: Customer, lines=(), **fields: Any) -> Invoice:
    """An unsaved Draft of ``customer`` in its currency, issued on 1 Nov 2026; subtotal and
    total are the lines' amounts unless given (tax is the caller's)."""
    lines = list(lines)
    amount = sum(line.amount_minor for line in lines)
    values = dict(
        number=f"INV-{9000 + next(_seq)}",
        customer=customer,
        issue_date=date(2026, 11, 1),
        due_date=date(2026, 12, 1),
        currency=customer.currency,
        bill_to_name=customer.name,
        lines=lines,
        subtotal_minor=amount,
        total_minor=amount,
    )
    return Invoice(**{**values, **fields})


def make_invoice(customer: Customer | None = None, lines=(), **fields: Any) -> Invoice:
    """A committed ``build_invoice`` (of a new customer if none is given)."""
    return _save(build_invoice(customer or make_customer(), lines, **fields))


def make_payment(
    customer: Customer,
    amount_minor: int,
    allocations: dict[int, int] | None = None,
    user: User | None = None,
    **fields: Any,
) -> Payment:
    """A committed payment by bank transfer on 1 Dec 2026, recorded through
    ``billing.payments.store.record_payment`` (oldest invoices first unless ``allocations``)."""
    from billing.payments.store import record_payment

    values = dict(
        payment_date=date(2026, 12, 1),
        currency=customer.currency,
        method=PaymentMethod.BANK,
        reference="",
        note="",
    )
    payment = record_payment(
        customer, amount_minor=amount_minor, allocations=allocations, user=user,
        **{**values, **fields},
    )  # fmt: skip
    db.session.commit()
    return payment


def make_credit_note(
    invoice: Invoice, kind: str = "whole", user: User | None = None, **fields: Any
):
    """A committed credit note against ``invoice``, issued through
    ``billing.credit_notes.issue.issue_credit_note`` on 1 Dec 2026 ("Returned" unless a
    ``reason`` is given); ``fields`` as that function takes them (``lines``, ``amount_minor``,
    ``tax_rate_id``)."""
    from billing.credit_notes.issue import issue_credit_note

    values = dict(reason="Returned", issue_date=date(2026, 12, 1))
    note = issue_credit_note(invoice, kind=kind, user=user, **{**values, **fields})
    db.session.commit()
    return note


def make_sent_invoice(
    customer: Customer, amount_minor: int, due: date, number: str, **fields: Any
) -> Invoice:
    """A committed Sent invoice ``number`` of one "Support" line at ``amount_minor``, due on
    ``due``."""
    return make_invoice(customer, [make_line("Support", amount_minor)], status=InvoiceStatus.SENT,
                        due_date=due, number=number, **fields)  # fmt: skip
