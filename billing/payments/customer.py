"""A customer's money on the customer page: its payments (each with the invoices it paid), its
unapplied credit per currency, and the payment side of its invoices' trails.

A few statements per page whatever the customer's history: each list is limited and loaded
with what it shows, never row by row.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from models import (
    CreditNote,
    Invoice,
    InvoiceEvent,
    Payment,
    PaymentApplication,
    PaymentDirection,
    db,
)

PAYMENTS_SHOWN = 50
ACTIVITY_SHOWN = 50
# The events of the customer's invoices that are about money and its status.
ACTIVITY_KINDS = ("payment", "payment_deleted", "credit_note", "refund", "reminder", "status")


@dataclass(frozen=True)
class PaymentRow:
    """One payment as the customer page lists it: its applications (invoice, signed amount;
    a negative one was released by a credit note) and what of it is not applied."""

    payment: Payment
    applications: list[PaymentApplication]
    unapplied_minor: int

    @property
    def is_refund(self) -> bool:
        """A payment out: money paid back to the customer."""
        return self.payment.direction == PaymentDirection.OUT


@dataclass(frozen=True)
class CustomerPayments:
    """The newest payments (deleted ones included, marked) and how many there are in all."""

    rows: list[PaymentRow] = field(default_factory=list)
    count: int = 0

    @property
    def hidden(self) -> int:
        """How many older payments are not listed."""
        return self.count - len(self.rows)


def customer_payments(customer_id: int, limit: int = PAYMENTS_SHOWN) -> CustomerPayments:
    """The customer's ``limit`` newest payments (by date, then as recorded) with their
    applications and the invoices' numbers: three statements."""
    payments = db.session.execute(
        sa.select(Payment, sa.func.count().over())
        .where(Payment.customer_id == customer_id)
        .options(
            selectinload(Payment.applications)
            .joinedload(PaymentApplication.invoice)
            .load_only(Invoice.number, Invoice.currency),
            joinedload(Payment.credit_note).load_only(CreditNote.number),
        )
        .order_by(Payment.payment_date.desc(), Payment.id.desc())
        .limit(limit)
    ).all()
    rows = []
    for payment, _ in payments:
        applications = list(payment.applications)
        left = 0
        if payment.direction == PaymentDirection.IN and not payment.is_deleted:
            left = payment.amount_minor - sum(a.amount_minor for a in applications)
        rows.append(PaymentRow(payment, applications, left))
    return CustomerPayments(rows, payments[0][1] if payments else 0)


def customer_credits(customer_id: int) -> dict[str, int]:
    """The customer's unapplied credit per currency (only currencies with some), as
    :func:`billing.payments.locks.customer_credit_minor` counts it: two grouped statements."""
    live = sa.and_(Payment.customer_id == customer_id, Payment.deleted_at.is_(None))
    signed = sa.case((Payment.direction == PaymentDirection.OUT, -Payment.amount_minor),
                     else_=Payment.amount_minor)  # fmt: skip
    received = db.session.execute(
        sa.select(Payment.currency, sa.func.sum(signed)).where(live).group_by(Payment.currency)
    ).all()
    applied = dict(
        db.session.execute(
            sa.select(Payment.currency, sa.func.sum(PaymentApplication.amount_minor))
            .join(Payment, PaymentApplication.payment_id == Payment.id)
            .where(live)
            .group_by(Payment.currency)
        ).all()
    )
    credits = {cur: int(total) - int(applied.get(cur) or 0) for cur, total in received}
    return {cur: minor for cur, minor in sorted(credits.items()) if minor > 0}


def customer_activity(customer_id: int, limit: int = ACTIVITY_SHOWN) -> list[InvoiceEvent]:
    """The newest ``limit`` events of the customer's invoices about payments, credit notes,
    refunds, reminders and statuses (with who did it): one statement."""
    return list(
        db.session.scalars(
            sa.select(InvoiceEvent)
            .join(Invoice, InvoiceEvent.invoice_id == Invoice.id)
            .where(Invoice.customer_id == customer_id, InvoiceEvent.kind.in_(ACTIVITY_KINDS))
            .options(joinedload(InvoiceEvent.user))
            .order_by(InvoiceEvent.created_at.desc(), InvoiceEvent.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class CustomerMoney:
    """Everything the customer page shows about its payments."""

    payments: CustomerPayments
    credits: dict[str, int]
    activity: list[InvoiceEvent]


def customer_money(customer_id: int) -> CustomerMoney:
    """The customer page's payments, credit per currency and activity."""
    return CustomerMoney(
        customer_payments(customer_id),
        customer_credits(customer_id),
        customer_activity(customer_id),
    )
