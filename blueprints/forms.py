"""Forms shared across blueprints: a domain error beside its field, the id select, the whole
number field, the ``strip`` filter and ``rule`` validator every form uses, and the fields a
payment and a refund share."""

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from billing.errors import BillingError, ValidationFailed
from billing.ids import parse_id
from billing.money import parse_amount
from billing.wording import shown
from models import PaymentMethod


class ActionForm(FlaskForm):
    """A button-only POST (log out, delete, mark sent): just the CSRF token."""


def show_error(form: FlaskForm, error: BillingError) -> None:
    """Put ``error`` beside the form field it names, or above the form if it names none."""
    name = getattr(error, "field", None)
    field = form._fields.get(name) if name else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors = [*form.form_errors, str(error)]


def optional_id(value: Any) -> int | None:
    """A select's value as a row id: "" (none chosen) -> None, else an id in the id columns'
    range (``billing.ids.parse_id``).

    :raise ValueError: anything else, in words fit to show beside the field.
    """
    if value in (None, "", "None"):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # from the database: already an id
    parsed = parse_id(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError(f"Choose from the list: “{shown(str(value))}” is not one of its options.")
    return parsed


class IdSelectField(SelectField):
    """A select of rows by id (a customer, a contract, a rate...): "" is none chosen.

    A posted value that is not an id (20 digits, "²", text) leaves the data None and puts the
    reason beside the field, so the form is refused (422) before any query sees it. Whether the
    id is one of the choices is left to the rules (``validate_choice`` is off unless asked).
    """

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, coerce=optional_id, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the posted id; on a bad value, data is None and the message is the reason."""
        if not valuelist:
            return
        self.data = None
        self.data = optional_id(valuelist[0])


class WholeNumberField(IntegerField):
    """A whole number typed in ASCII digits (payment terms, the next invoice number).

    WTForms' ``IntegerField`` reads any Unicode digit ("٣" as 3) and any length; this one reads
    at most 30 ASCII digits and leaves the data None with the reason otherwise.
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the typed number, or put the reason beside the field."""
        if not valuelist:
            return
        raw = (valuelist[0] or "").strip()
        self.data = None
        if not raw:
            return  # InputRequired, where the field has it, says so
        digits = raw.removeprefix("-")  # a sign is read, for the range check to refuse it
        if not digits.isascii() or not digits.isdigit() or len(digits) > 30:
            raise ValueError(f"Enter a whole number such as 30: “{shown(raw)}” is not one.")
        self.data = int(raw)


def strip(value: Any) -> Any:
    """Filter: trim surrounding whitespace from text input."""
    return value.strip() if isinstance(value, str) else value


def rule(check: Callable[..., Any], **kwargs: Any) -> Callable[[FlaskForm, Any], None]:
    """A validator running a ``billing`` rule on the field's data; its message goes beside it.

    Data the field could not parse (None) is skipped: the field reports that itself.
    """

    def validator(form: FlaskForm, field: Any) -> None:
        if field.data is None:
            return
        try:
            check(field.data, **kwargs)
        except ValidationFailed as error:
            raise ValidationError(str(error)) from None

    return validator


class MoneyMovedForm(FlaskForm):
    """What a payment received and a refund paid both carry: the amount, how it was paid, the
    reference and a note. Subclasses add their date field."""

    amount = StringField("Amount", filters=[strip])
    method = SelectField(
        "Method",
        choices=[SelectChoice(m.value, m.label) for m in PaymentMethod],
        validate_choice=False,
    )
    reference = StringField("Reference", filters=[strip])
    note = TextAreaField("Note")

    def amount_minor(self, currency: str, locale) -> int:
        """The amount typed, in minor units. :raise ValidationFailed: beside ``amount``."""
        return parse_amount(self.amount.data, currency, field="amount", locale=locale)
