"""The payment form: a payment received from a customer, and how much of it each of the
customer's open invoices gets (one ``apply_<invoice id>`` field each, the names of the
``billing.payments.store`` errors' fields); drawn and posted the same way from an invoice's
page and from the customer's (:func:`new_payment_form`, :func:`post_payment`).

The form only carries text and choices; amounts are read with ``billing.money.parse_amount``
and every rule is checked by ``billing.payments.store.record_payment``.
"""

from dataclasses import dataclass
from typing import Any

from flask import render_template, request
from flask_login import current_user
from wtforms import DateField, StringField
from wtforms.validators import InputRequired

from billing.errors import Conflict, ValidationFailed
from billing.money import amount_text, parse_amount
from billing.payments.allocation import plan_allocation
from billing.payments.store import allocation_field, record_payment
from blueprints.forms import MoneyMovedForm, show_error, strip
from blueprints.invoices.forms import DATE_MESSAGE
from blueprints.saving import saving
from blueprints.templating import money
from clock import today
from models import Customer, Invoice, PaymentMethod

NO_DATE = "Enter the day the payment was received, such as 2026-01-31."
CHANGED_MEANWHILE = (
    "The customer's open invoices changed since this form was drawn: check the amounts "
    "below and save again."
)


class PaymentForm(MoneyMovedForm):
    """A payment received, and the share of it each open invoice gets."""

    payment_date = DateField(
        "Date received", [InputRequired(NO_DATE)], invalid_value_message=DATE_MESSAGE
    )

    # Set by payment_form: the open invoices, oldest first, one field each.
    invoices: list[Invoice] = []

    def allocation_fields(self) -> list[tuple[Invoice, Any]]:
        """Each open invoice with its ``apply_<id>`` field, in payment order."""
        return [(invoice, self[allocation_field(invoice.id)]) for invoice in self.invoices]

    def allocations(self, currency: str, locale) -> dict[int, int]:
        """Invoice id -> minor units, for each ``apply_`` field filled in (empty: not applied).

        :raise ValidationFailed: beside the ``apply_<id>`` field that cannot be read.
        """
        applied = {}
        for invoice, field in self.allocation_fields():
            if field.data:
                name = allocation_field(invoice.id)
                applied[invoice.id] = parse_amount(field.data, currency, field=name, locale=locale)
        return applied

    def fill_allocations(self, applied: dict[int, int], currency: str, locale) -> None:
        """Put ``applied`` (invoice id -> minor units) in the ``apply_`` fields; others empty."""
        for invoice, field in self.allocation_fields():
            minor = applied.get(invoice.id)
            field.data = amount_text(minor, currency, locale) if minor else ""
            field.raw_data = [field.data]


def payment_form(invoices: list[Invoice], **kwargs: Any) -> PaymentForm:
    """A :class:`PaymentForm` with an ``apply_<id>`` field per invoice of ``invoices`` (the
    customer's open invoices, in payment order); ``kwargs`` go to the form (``formdata``...)."""
    fields = {
        allocation_field(invoice.id): StringField(
            f"{invoice.number} (balance {money(invoice.balance_minor, invoice.currency)})",
            filters=[strip],
        )
        for invoice in invoices
    }
    form_class = type("PaymentFormFor", (PaymentForm,), {**fields, "invoices": invoices})
    return form_class(**kwargs)


def posted_allocation_names(form_data: Any) -> set[str]:
    """The ``apply_<id>`` names posted, to tell whether the customer's open invoices changed
    since the form was drawn."""
    return {name for name in form_data if name.startswith("apply_")}


def new_payment_form(
    invoices: list[Invoice], currency: str, locale, amount: int | None, applied: dict[int, int]
) -> PaymentForm:
    """The form as first drawn: today, ``amount`` (None: empty), bank transfer, and the shares
    ``applied`` (invoice id -> minor units) in the ``apply_`` fields."""
    data = {
        "payment_date": today(),
        "amount": amount_text(amount, currency, locale) if amount else "",
        "method": PaymentMethod.BANK.value,
    }
    form = payment_form(invoices, formdata=None, data=data)
    form.fill_allocations(applied, currency, locale)
    return form


def render_payment_page(
    form: PaymentForm,
    customer: Customer,
    currency: str,
    action: str,
    back: tuple[str, str],
    invoice: Invoice | None = None,
    other_currencies: list[tuple[str, str]] | None = None,
) -> str:
    """The Record payment page (``invoices/payment_new.html``): posting to ``action``, with a
    link ``back`` ((url, label)); ``invoice``: the invoice it is recorded from, if any;
    ``other_currencies``: (code, url) of the form in the customer's other currencies."""
    return render_template(
        "invoices/payment_new.html", form=form, customer=customer, currency=currency,
        action=action, back=back, invoice=invoice, other_currencies=other_currencies or [],
    )  # fmt: skip


@dataclass
class PaymentPost:
    """What a posted payment form did: the form to draw again with ``status``, or, once
    ``recorded``, the flash ``message``."""

    form: PaymentForm
    status: int = 200
    recorded: bool = False
    message: str = ""


def post_payment(
    customer: Customer, currency: str, invoices: list[Invoice], locale, source=None
) -> PaymentPost:
    """Handle the posted payment form of ``customer`` in ``currency`` (``invoices``: its open
    ones, in payment order): 409 when they changed since the form was drawn, "Spread" plans the
    amount again, else the payment is recorded (422/409 beside the field when refused).
    ``source``: the invoice it is recorded from, whose balance the message gives."""
    form = payment_form(invoices)
    expected = {allocation_field(i.id) for i in invoices}
    if posted_allocation_names(request.form) != expected:
        show_error(form, Conflict(CHANGED_MEANWHILE))
        return PaymentPost(form, 409)
    if "spread" in request.form:
        try:
            amount = form.amount_minor(currency, locale)
        except ValidationFailed as error:
            show_error(form, error)
            return PaymentPost(form, 422)
        form.fill_allocations(plan_allocation(invoices, amount).applied, currency, locale)
        return PaymentPost(form)
    if not form.validate_on_submit():
        return PaymentPost(form, 422)
    with saving(form, refused=(ValidationFailed, Conflict)) as outcome:
        amount = form.amount_minor(currency, locale)
        applied = form.allocations(currency, locale)
        record_payment(
            customer, form.payment_date.data, amount, currency, form.method.data,
            form.reference.data or "", form.note.data or "", applied, current_user,
        )  # fmt: skip
    if not outcome.ok:
        return PaymentPost(form, outcome.status)
    numbers = {i.id: i.number for i in invoices}
    return PaymentPost(
        form, recorded=True, message=_recorded(currency, amount, applied, numbers, source)
    )


def _recorded(currency: str, amount: int, applied: dict[int, int], numbers, source) -> str:
    """What a recorded payment did, in words, for the flash."""
    shares = [f"{numbers[i]} ({money(minor, currency)})" for i, minor in applied.items()]
    if len(shares) > 1:
        shares = [", ".join(shares[:-1]) + " and " + shares[-1]]
    where = shares[0] if shares else "no invoice"
    said = f"Payment of {money(amount, currency)} recorded: applied to {where}"
    said += f"; balance due {money(source.balance_minor, currency)}." if source else "."
    credit = amount - sum(applied.values())
    if credit:
        said += f" {money(credit, currency)} is kept as the customer's credit."
    return said
