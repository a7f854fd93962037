"""A customer's statement for a period, in one currency: the opening balance, each invoice,
payment, refund and credit note in date order with a running balance, and the closing balance.

The balance is what the customer owes: invoices (not Drafts) add, payments received take away
(the whole payment on its date, credit left unapplied included), refunds paid out add back,
credit notes take away. A negative balance is credit in the customer's favour. Deleted payments
are left out, as if never recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from billing.errors import ValidationFailed
from billing.wording import one_of
from models import (
    CreditNote,
    Customer,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentDirection,
    db,
)

# On one day: what was billed, then what was credited, then the money in and out.
KIND_ORDER = {"invoice": 0, "credit_note": 1, "payment": 2, "refund": 3}
KIND_LABELS = {
    "invoice": "Invoice",
    "credit_note": "Credit note",
    "payment": "Payment received",
    "refund": "Refund",
}


@dataclass(frozen=True)
class Movement:
    """One line of the statement; ``amount_minor`` is what it adds to the balance (a payment or
    a credit note is negative)."""

    day: date
    kind: str
    number: str  # the invoice's or credit note's number; a payment's reference
    detail: str  # a payment's method; an invoice's due date in words is the template's
    amount_minor: int
    balance_minor: int
    invoice_id: int | None = None
    credit_note_id: int | None = None
    due_date: date | None = None

    @property
    def label(self) -> str:
        """What it is, in words ("Invoice", "Payment received"...)."""
        return KIND_LABELS[self.kind]


@dataclass
class Statement:
    """The statement of ``customer`` in ``currency`` from ``start`` to ``end`` (both included)."""

    customer: Customer
    currency: str
    start: date
    end: date
    opening_minor: int
    movements: list[Movement] = field(default_factory=list)

    @property
    def closing_minor(self) -> int:
        """The opening balance plus every movement."""
        return self.opening_minor + sum(m.amount_minor for m in self.movements)

    def total(self, kind: str) -> int:
        """The sum of the movements of one ``kind`` (signed as on the statement)."""
        return sum(m.amount_minor for m in self.movements if m.kind == kind)


def default_period(today: date) -> tuple[date, date]:
    """The first day of the previous month to ``today``."""
    first_of_month = today.replace(day=1)
    return (first_of_month - timedelta(days=1)).replace(day=1), today


def statement_currencies(customer: Customer) -> list[str]:
    """The currencies the customer has a statement in: its own, and any of its invoices'
    (not Drafts) or payments'."""
    invoiced = sa.select(Invoice.currency).where(
        Invoice.customer_id == customer.id, Invoice.status != InvoiceStatus.DRAFT
    )
    paid = sa.select(Payment.currency).where(Payment.customer_id == customer.id)
    found = set(db.session.scalars(sa.union(invoiced, paid)))
    return sorted(found | {customer.currency})


def check_statement(customer: Customer, start: date, end: date, currency: str) -> None:
    """:raise ValidationFailed: the period ends before it starts (beside ``end``), or the
    customer has nothing in ``currency`` (beside ``currency``)."""
    if end < start:
        raise ValidationFailed("The end of the period is before its start.", "end")
    known = statement_currencies(customer)
    if currency not in known:
        raise ValidationFailed(f"Choose a currency of this customer: {one_of(known)}.", "currency")


def build_statement(customer: Customer, start: date, end: date, currency: str) -> Statement:
    """The statement (four statements: the opening balance, then invoices, credit notes and
    payments of the period).

    :raise ValidationFailed: see :func:`check_statement`.
    """
    check_statement(customer, start, end, currency)
    opening = opening_balance(customer.id, currency, start)
    found: list[tuple[date, int, int, dict]] = []
    invoices = db.session.execute(
        sa.select(Invoice.id, Invoice.issue_date, Invoice.number, Invoice.total_minor,
                  Invoice.due_date)
        .where(*_invoice_filter(customer.id, currency), Invoice.issue_date.between(start, end))
    )  # fmt: skip
    for id_, day, number, total, due in invoices:
        found.append((day, KIND_ORDER["invoice"], id_, dict(
            kind="invoice", number=number, detail="", amount_minor=total, invoice_id=id_,
            due_date=due)))  # fmt: skip
    notes = db.session.execute(
        sa.select(CreditNote.id, CreditNote.issue_date, CreditNote.number, CreditNote.total_minor,
                  CreditNote.invoice_id)
        .where(*_credit_filter(customer.id, currency), CreditNote.issue_date.between(start, end))
    )  # fmt: skip
    for id_, day, number, total, invoice_id in notes:
        found.append((day, KIND_ORDER["credit_note"], id_, dict(
            kind="credit_note", number=number, detail="", amount_minor=-total,
            invoice_id=invoice_id, credit_note_id=id_)))  # fmt: skip
    payments = db.session.execute(
        sa.select(Payment.id, Payment.payment_date, Payment.reference, Payment.method,
                  Payment.direction, Payment.amount_minor)
        .where(*_payment_filter(customer.id, currency), Payment.payment_date.between(start, end))
    )  # fmt: skip
    for id_, day, reference, method, direction, amount in payments:
        out = direction == PaymentDirection.OUT
        kind = "refund" if out else "payment"
        found.append((day, KIND_ORDER[kind], id_, dict(
            kind=kind, number=reference, detail=method.label,
            amount_minor=amount if out else -amount)))  # fmt: skip
    statement = Statement(customer, currency, start, end, opening)
    balance = opening
    for day, _, _, values in sorted(found, key=lambda item: item[:3]):
        balance += values["amount_minor"]
        statement.movements.append(Movement(day=day, balance_minor=balance, **values))
    return statement


def opening_balance(customer_id: int, currency: str, start: date) -> int:
    """What the customer owed in ``currency`` at the end of the day before ``start`` (one
    statement)."""

    def summed(column, *conditions) -> sa.ScalarSelect:
        return sa.select(sa.func.coalesce(sa.func.sum(column), 0)).where(*conditions)

    received = _payment_filter(customer_id, currency, PaymentDirection.IN)
    refunded = _payment_filter(customer_id, currency, PaymentDirection.OUT)
    row = db.session.execute(
        sa.select(
            summed(Invoice.total_minor, *_invoice_filter(customer_id, currency),
                   Invoice.issue_date < start).scalar_subquery(),
            summed(Payment.amount_minor, *received, Payment.payment_date < start)
            .scalar_subquery(),
            summed(Payment.amount_minor, *refunded, Payment.payment_date < start)
            .scalar_subquery(),
            summed(CreditNote.total_minor, *_credit_filter(customer_id, currency),
                   CreditNote.issue_date < start).scalar_subquery(),
        )
    ).one()  # fmt: skip
    invoiced, received_minor, refunded_minor, credited = (int(v) for v in row)
    return invoiced - received_minor + refunded_minor - credited


def _invoice_filter(customer_id: int, currency: str) -> list:
    return [
        Invoice.customer_id == customer_id,
        Invoice.currency == currency,
        Invoice.status != InvoiceStatus.DRAFT,
    ]


def _credit_filter(customer_id: int, currency: str) -> list:
    return [CreditNote.customer_id == customer_id, CreditNote.currency == currency]


def _payment_filter(
    customer_id: int, currency: str, direction: PaymentDirection | None = None
) -> list:
    conditions = [
        Payment.customer_id == customer_id,
        Payment.currency == currency,
        Payment.deleted_at.is_(None),
    ]
    if direction is not None:
        conditions.append(Payment.direction == direction)
    return conditions
