"""The tax rate form of Admin > Taxes: name, percentage, default, and the e-invoice VAT
category (BT-118) with its exemption reason (BT-120) and code (BT-121).

Each field's syntax is checked by its ``billing`` rule; the rules tying the category to the
percentage and the exemption (:func:`billing.einvoice.categories.problems`) run in
:meth:`TaxRateForm.validate`, so every broken rule shows beside its field at once.
"""

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from billing.catalog import parse_percent
from billing.einvoice.categories import (
    CATEGORIES,
    EXEMPTIONS,
    exemption_code,
    exemption_reason,
    problems,
    vat_category,
)
from billing.errors import ValidationFailed
from blueprints.forms import rule, show_error, strip

CATEGORY_CHOICES = [SelectChoice(code, f"{code} – {label}") for code, label in CATEGORIES]
CODE_CHOICES = [SelectChoice("", "None")] + [
    SelectChoice(exemption.code, f"{exemption.code} – {exemption.label}")
    for exemption in EXEMPTIONS
]


class TaxRateForm(FlaskForm):
    name = StringField("Name", [DataRequired(), Length(max=80)], filters=[strip])
    percent = StringField("Percentage", [DataRequired(), rule(parse_percent)], filters=[strip])
    # The choices are only offered: the billing rules judge a posted value, in their words.
    vat_category = SelectField(
        "VAT category (BT-118)",
        [rule(vat_category)],
        choices=CATEGORY_CHOICES,
        default="S",
        validate_choice=False,
    )
    exemption_reason = StringField(
        "Exemption reason (BT-120)", [rule(exemption_reason)], filters=[strip]
    )
    exemption_code = SelectField(
        "Exemption code (BT-121)",
        [rule(exemption_code)],
        choices=CODE_CHOICES,
        default="",
        validate_choice=False,
    )
    is_default = BooleanField("Default tax rate (applies where no other rate is chosen)")
    active = BooleanField("Active", default=True)

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' own checks, then the category's rules on the fields that passed them."""
        valid = super().validate(extra_validators)
        fields = (self.percent, self.vat_category, self.exemption_reason, self.exemption_code)
        if any(field.errors for field in fields):
            return False
        try:
            percent = parse_percent(self.percent.data)
        except ValidationFailed:
            return False  # already told beside the percentage
        found = problems(
            vat_category(self.vat_category.data),
            percent,
            exemption_reason(self.exemption_reason.data),
            exemption_code(self.exemption_code.data),
        )
        for error in found:
            show_error(self, error)
        return valid and not found
