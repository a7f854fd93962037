"""The forms of the credit note pages. Field names match the ``field`` of the errors of
``billing.credit_notes`` (``kind``, ``reason``, ``issue_date``, ``amount``, ``tax_rate``,
``qty_<invoice line id>``; a refund's ``refund_date``, ``amount``, ``method``, ``reference``).

The forms carry text and choices; amounts and quantities are read with ``billing.money`` and
``billing.numbers``, and every rule is checked by ``billing.credit_notes``.
"""

from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional

from billing.catalog import tax_label
from billing.credit_notes.issue import KINDS, qty_field
from billing.credit_notes.page import TaxChoice
from billing.money import parse_amount
from billing.numbers import parse_quantity
from blueprints.forms import IdSelectField, MoneyMovedForm, strip
from models import InvoiceLine

DATE_MESSAGE = "Enter a date such as 2026-01-31."
KIND_LABELS = {"whole": "The whole invoice", "lines": "Chosen lines", "amount": "An amount"}


class CreditNoteForm(FlaskForm):
    """Issue a credit note: what to credit, the lines' quantities or an amount, why, when."""

    kind = RadioField(
        "What to credit",
        choices=[SelectChoice(kind, KIND_LABELS[kind]) for kind in KINDS],
        validate_choice=False,
    )
    amount = StringField("Amount (net of tax)", filters=[strip])
    tax_rate = IdSelectField("Tax rate")
    reason = TextAreaField("Reason", filters=[strip])
    issue_date = DateField("Date", [Optional()], invalid_value_message=DATE_MESSAGE)

    # Set by credit_note_form: the invoice's lines, one qty_<id> field each.
    lines: list[InvoiceLine] = []
    lines_error: str = ""

    def line_fields(self) -> list[tuple[InvoiceLine, Any]]:
        """Each invoice line with its ``qty_<id>`` field, in line order."""
        return [(line, self[qty_field(line.id)]) for line in self.lines]

    def offer_rates(self, choices: list[TaxChoice]) -> None:
        """The tax rates of the invoice's lines (and "No tax" when a line is untaxed)."""
        self.tax_rate.choices = [
            SelectChoice("" if c.tax_rate_id is None else c.tax_rate_id,
                         tax_label(c.name, c.percent) if c.tax_rate_id else "No tax")
            for c in choices
        ]  # fmt: skip

    def chosen_quantities(self, locale) -> dict[int, Decimal]:
        """Invoice line id -> quantity, for each ``qty_`` field filled in.

        :raise ValidationFailed: beside the ``qty_<id>`` field that cannot be read.
        """
        return {
            line.id: parse_quantity(field.data, field=qty_field(line.id), locale=locale)
            for line, field in self.line_fields()
            if field.data
        }

    def amount_minor(self, currency: str, locale) -> int:
        """The amount typed, in minor units. :raise ValidationFailed: beside ``amount``."""
        return parse_amount(self.amount.data, currency, field="amount", locale=locale)


def credit_note_form(lines: list[InvoiceLine], **kwargs: Any) -> CreditNoteForm:
    """A :class:`CreditNoteForm` with a ``qty_<id>`` field per line of ``lines``; ``kwargs``
    go to the form (``formdata``, ``data``...)."""
    fields = {
        qty_field(line.id): StringField(f"Quantity to credit: {line.description}",
                                        filters=[strip])
        for line in lines
    }  # fmt: skip
    form_class = type("CreditNoteFormFor", (CreditNoteForm,), {**fields, "lines": lines})
    return form_class(**kwargs)


class RefundForm(MoneyMovedForm):
    """Record a refund paid from a credit note's released credit."""

    refund_date = DateField(
        "Date paid",
        [InputRequired("Enter the day the refund was paid, such as 2026-01-31.")],
        invalid_value_message=DATE_MESSAGE,
    )
