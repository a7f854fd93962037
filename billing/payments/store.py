"""Recording payments, applying credit, deleting payments: each keeps ``Invoice.paid_minor``
equal to the sum of the invoice's applications, in the caller's transaction (it commits).

Every application and every reversal is an event on the invoice's trail. An invoice whose
balance reaches zero becomes Paid by itself (a status event naming the payment); deleting that
payment moves it back to the status it had before (recorded too).
"""

from datetime import date

import sqlalchemy as sa

from billing.audit import record_event
from billing.credit_notes.refunds import refund_deleted
from billing.errors import Conflict, ForbiddenChange, NotYours, ValidationFailed
from billing.money import format_money
from billing.payments.allocation import plan_allocation
from billing.payments.locks import (
    customer_credit_minor,
    lock_customer,
    lock_invoices,
    unapplied_payments,
)
from billing.payments.settling import AUTO_PAID_FROM, paid_when_settled, unpaid_when_owed
from billing.settings import check_currency, company_locale, get_settings
from clock import today, utcnow
from models import (
    Customer,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentApplication,
    PaymentDirection,
    PaymentMethod,
    User,
    db,
)

# A Paid invoice may still take a payment for what it owes (one marked Paid by hand).
PAYABLE = (InvoiceStatus.SENT, InvoiceStatus.EXPORTED, InvoiceStatus.PAID)


def allocation_field(invoice_id: int) -> str:
    """The form field of the amount applied to one invoice (errors are shown beside it)."""
    return f"apply_{invoice_id}"


def _money(minor: int, currency: str) -> str:
    return format_money(minor, currency, company_locale(get_settings()))


def open_invoices(customer_id: int, currency: str) -> list[Invoice]:
    """The customer's Sent or Exported invoices in ``currency`` that still owe something."""
    return list(
        db.session.scalars(
            sa.select(Invoice).where(
                Invoice.customer_id == customer_id,
                Invoice.currency == currency,
                Invoice.status.in_(AUTO_PAID_FROM),
                Invoice.balance_minor > 0,
            )
        )
    )


def _checked(
    customer: Customer, currency: str, allocations: dict[int, int], available: int, what: str
) -> dict[int, Invoice]:
    """The invoices of ``allocations``, locked, once each amount is checked against them."""
    invoices = lock_invoices(allocations)
    for invoice_id, amount in allocations.items():
        field = allocation_field(invoice_id)
        invoice = invoices.get(invoice_id)
        if invoice is None:
            raise ValidationFailed(f"Invoice #{invoice_id} no longer exists.", field)
        if invoice.customer_id != customer.id:
            raise ValidationFailed(
                f"Invoice {invoice.number} is another customer's ({invoice.bill_to_name}).",
                field,
            )
        if invoice.currency != currency:
            raise ValidationFailed(
                f"Invoice {invoice.number} is in {invoice.currency}, {what} in {currency}.", field
            )
        if invoice.status not in PAYABLE:
            raise ForbiddenChange(
                f"Invoice {invoice.number} is {invoice.status.value.capitalize()}: "
                "only a sent or exported invoice can be paid.",
                field,
            )
        if amount <= 0:
            raise ValidationFailed("Enter an amount above zero, or leave it out.", field)
        if amount > invoice.balance_minor:
            raise ValidationFailed(
                f"{_money(amount, currency)} is more than invoice {invoice.number}'s balance "
                f"of {_money(invoice.balance_minor, currency)}.",
                field,
            )
    applied = sum(allocations.values())
    if applied > available:
        raise ValidationFailed(
            f"{_money(applied, currency)} applied is more than {what}'s "
            f"{_money(available, currency)}.",
            "amount",
        )
    return invoices


def record_payment(
    customer: Customer,
    payment_date: date,
    amount_minor: int,
    currency: str,
    method: PaymentMethod | str,
    reference: str,
    note: str,
    allocations: dict[int, int] | None,
    user: User | None,
) -> Payment:
    """Record a payment received from ``customer`` and apply it: to ``allocations`` (invoice
    id -> minor units), or, when None, to its open invoices oldest first. What is not applied
    is the customer's credit. Nothing is committed here.

    :raise ValidationFailed: (beside ``amount``, ``currency``, ``method``, ``reference`` or
        ``apply_<invoice id>``) a non-positive amount, an invoice of another customer or
        currency, more than an invoice's balance, more applied than the payment.
    :raise ForbiddenChange: an invoice that is a Draft or Refunded.
    :raise Conflict: another writer held the customer's payments too long.
    """
    if amount_minor <= 0:
        raise ValidationFailed("Enter an amount above zero.", "amount")
    check_currency(currency, field="currency")
    try:
        method = PaymentMethod(method)
    except ValueError:
        raise ValidationFailed("Choose a payment method from the list.", "method") from None
    reference = reference.strip()
    if len(reference) > 100:
        raise ValidationFailed("Keep the reference to 100 characters.", "reference")
    lock_customer(customer.id)
    if allocations is None:
        allocations = plan_allocation(open_invoices(customer.id, currency), amount_minor).applied
    invoices = _checked(customer, currency, allocations, amount_minor, "the payment")
    payment = Payment(
        customer_id=customer.id, payment_date=payment_date, amount_minor=amount_minor,
        currency=currency, method=method, direction=PaymentDirection.IN,
        reference=reference, note=note.strip(),
        created_by_id=user.id if user else None,
    )  # fmt: skip
    db.session.add(payment)
    db.session.flush()
    for invoice_id, amount in allocations.items():
        _apply(payment, invoices[invoice_id], amount, user, "", payment_date)
    return payment


def apply_credit(
    customer: Customer, currency: str, allocations: dict[int, int] | None, user: User | None
) -> list[PaymentApplication]:
    """Apply the customer's unapplied credit in ``currency`` to its invoices: ``allocations``
    (invoice id -> minor units), or, when None, all of it to its open invoices oldest first.
    The credit is taken from its oldest payments first. Nothing is committed here.

    :raise ValidationFailed: as :func:`record_payment`; more than the credit available.
    """
    lock_customer(customer.id)
    credit = customer_credit_minor(customer.id, currency)
    if allocations is None:
        allocations = plan_allocation(open_invoices(customer.id, currency), credit).applied
    if not allocations:
        raise ValidationFailed("There is no credit, or no open invoice, to apply.", "amount")
    invoices = _checked(customer, currency, allocations, credit, "the customer's credit")
    sources = unapplied_payments(customer.id, currency)
    made = []
    for invoice_id, amount in allocations.items():
        while amount:
            payment, left = sources[0]
            share = min(amount, left)
            invoice = invoices[invoice_id]
            made.append(_apply(payment, invoice, share, user, "Credit from ", today()))
            amount -= share
            sources[0] = (payment, left - share)
            if sources[0][1] == 0:
                sources.pop(0)
    return made


def _apply(
    payment: Payment, invoice: Invoice, amount: int, user: User | None, how: str, day: date
) -> PaymentApplication:
    application = PaymentApplication(
        payment=payment, invoice=invoice, amount_minor=amount, applied_on=day
    )
    db.session.add(application)
    invoice.paid_minor += amount
    balance = invoice.balance_minor
    currency = invoice.currency
    message = (
        f"{how}{_describe(payment)}: {_money(amount, currency)} applied; "
        f"balance due {_money(balance, currency)}."
    )
    data = {"payment_id": payment.id, "amount_minor": amount, "balance_minor": balance}
    record_event(invoice, user, "payment", message[0].upper() + message[1:], data=data)
    why = f"Paid in full by payment #{payment.id}."
    paid_when_settled(invoice, user, why, {"payment_id": payment.id})
    return application


def _describe(payment: Payment) -> str:
    said = f"payment #{payment.id} of {_money(payment.amount_minor, payment.currency)}"
    said += f" by {payment.method.label.lower()} on {payment.payment_date.isoformat()}"
    return said + (f" (ref. {payment.reference})" if payment.reference else "")


def delete_payment(payment: Payment, reason: str, user: User | None, source: str = "") -> None:
    """Delete ``payment`` (an admin, with a reason): the row is kept, marked deleted; its
    applications are removed, each recorded on its invoice, whose balance is due again; an
    invoice it made Paid goes back to its status before. Nothing is committed here.

    :raise ValidationFailed: no reason (beside ``reason``).
    :raise NotYours: the user is not an admin.
    :raise Conflict: already deleted, or its credit was refunded meanwhile.

    A payment part of which a credit note released counts, on each invoice, for what is
    still applied there; deleting a refund (a payment out) gives the customer that credit
    back, and a Refunded invoice is Paid again. ``source`` names the ledger that deleted it
    (a sync), kept on each event.
    """
    if user is not None and not user.is_admin:
        raise NotYours("Only an admin can delete a payment.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the payment is deleted (it is recorded).", "reason")
    lock_customer(payment.customer_id)
    db.session.refresh(payment)
    if payment.is_deleted:
        raise Conflict(f"Payment #{payment.id} was already deleted.")
    applications = list(payment.applications)
    if payment.direction == PaymentDirection.IN:
        unapplied = payment.amount_minor - sum(a.amount_minor for a in applications)
        if customer_credit_minor(payment.customer_id, payment.currency) < unapplied:
            raise Conflict(
                f"Payment #{payment.id} cannot be deleted: part of its credit was refunded."
            )
    invoices = lock_invoices(a.invoice_id for a in applications)
    # Per invoice, what it still holds of the payment: its applications less what credit
    # notes released of them (negative rows).
    by_invoice: dict[int, list[PaymentApplication]] = {}
    for application in applications:
        by_invoice.setdefault(application.invoice_id, []).append(application)
    for invoice_id, rows in by_invoice.items():
        _reverse(payment, rows, invoices[invoice_id], reason, user, source)
    payment.deleted_at = utcnow()
    payment.deleted_by_id = user.id if user else None
    payment.delete_reason = reason
    if payment.direction == PaymentDirection.OUT:
        db.session.flush()
        refund_deleted(payment, reason, user)


def _reverse(
    payment: Payment,
    rows: list[PaymentApplication],
    invoice: Invoice,
    reason: str,
    user,
    source: str = "",
) -> None:
    amount = sum(row.amount_minor for row in rows)
    invoice.paid_minor -= amount
    currency = invoice.currency
    if amount:
        said = f"{_money(amount, currency)} no longer applied"
    else:
        said = "nothing of it was still applied (released by a credit note)"
    message = (
        f"Payment #{payment.id} deleted ({reason}): {said}; "
        f"balance due {_money(invoice.balance_minor, currency)}."
    )
    data = {"payment_id": payment.id, "amount_minor": -amount}
    if source:
        data["source"] = source
    record_event(invoice, user, "payment_deleted", message, data=data)
    for row in rows:
        db.session.delete(row)
    why = f"Payment #{payment.id} deleted: balance due again."
    unpaid_when_owed(invoice, user, why, {"payment_id": payment.id})
