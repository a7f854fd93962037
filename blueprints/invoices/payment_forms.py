"""The payment form: a payment received from an invoice's customer, and how much of it each of
the customer's open invoices gets (one ``apply_<invoice id>`` field each, the names of the
``billing.payments.store`` errors' fields).

The form only carries text and choices; amounts are read with ``billing.money.parse_amount``
and every rule is checked by ``billing.payments.store.record_payment``.
"""

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from billing.money import amount_text, parse_amount
from billing.payments.store import allocation_field
from blueprints.forms import strip
from blueprints.invoices.forms import DATE_MESSAGE
from blueprints.templating import money
from models import Invoice, PaymentMethod

NO_DATE = "Enter the day the payment was received, such as 2026-01-31."


class PaymentForm(FlaskForm):
    payment_date = DateField(
        "Date received", [InputRequired(NO_DATE)], invalid_value_message=DATE_MESSAGE
    )
    amount = StringField("Amount", filters=[strip])
    method = SelectField(
        "Method",
        choices=[SelectChoice(m.value, m.label) for m in PaymentMethod],
        validate_choice=False,
    )
    reference = StringField("Reference", filters=[strip])
    note = TextAreaField("Note")

    # Set by payment_form: the open invoices, oldest first, one field each.
    invoices: list[Invoice] = []

    def allocation_fields(self) -> list[tuple[Invoice, Any]]:
        """Each open invoice with its ``apply_<id>`` field, in payment order."""
        return [(invoice, self[allocation_field(invoice.id)]) for invoice in self.invoices]

    def amount_minor(self, currency: str, locale) -> int:
        """The amount typed, in minor units. :raise ValidationFailed: beside ``amount``."""
        return parse_amount(self.amount.data, currency, field="amount", locale=locale)

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
