"""Forms of the admin area. Field names match the ``field`` of the ``billing`` errors they show.

Syntax (required, length, integer) is checked here; the rules themselves live in ``billing``
and are called through :func:`blueprints.forms.rule`, so that every broken rule shows beside
its field at once.
"""

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    ValidationError,
)

from billing.einvoice import identifiers
from billing.einvoice.seller import (
    check_contact_email,
    check_contact_phone,
    check_endpoint,
    check_length,
    check_vat_id,
)
from billing.errors import ValidationFailed
from billing.ids import MAX_ID
from billing.settings import (
    MAX_LOGO_BYTES,
    check_payment_terms,
    check_prefix,
    check_template,
    countries,
    currency_choices,
    read_logo,
)
from billing.users import check_password_strength, normalize_email
from blueprints.forms import IdSelectField, WholeNumberField, rule, show_error, strip
from models import Role

ROLE_CHOICES = [
    SelectChoice(Role.TECHNICIAN.value, "Technician"),
    SelectChoice(Role.ADMIN.value, "Admin"),
]


def read_upload(upload: FileStorage) -> bytes:
    """An uploaded file's bytes, at most one more than a logo may have (enough to refuse it).

    The stream is rewound, so it can be read again.
    """
    data = upload.stream.read(MAX_LOGO_BYTES + 1)
    upload.stream.seek(0)
    return data


class SettingsForm(FlaskForm):
    company_name = StringField("Company name", [Length(max=200)], filters=[strip])
    address = TextAreaField("Address", [Length(max=2000)])
    country = SelectField("Country")
    currency_override = SelectField("Billing currency")
    logo = FileField("Logo")
    remove_logo = BooleanField("Remove the logo")
    tax_id = StringField("Tax ID", [Length(max=64)], filters=[strip])
    payment_terms_days = WholeNumberField(
        "Payment terms (days)", [InputRequired(), rule(check_payment_terms)]
    )
    bank_details = TextAreaField("Bank and payment details", [Length(max=2000)])
    invoice_prefix = StringField("Invoice number prefix", [rule(check_prefix)], filters=[strip])
    next_invoice_number = WholeNumberField(
        "Next invoice number",
        [
            InputRequired(),
            NumberRange(min=1, message="Enter 1 or more."),
            NumberRange(max=MAX_ID, message=f"Enter at most {MAX_ID:,}."),  # the column's range
        ],
    )
    credit_note_prefix = StringField(
        "Credit note number prefix",
        [rule(check_prefix, field="credit_note_prefix")],
        filters=[strip],
    )
    next_credit_note_number = WholeNumberField(
        "Next credit note number",
        [
            InputRequired(),
            NumberRange(min=1, message="Enter 1 or more."),
            NumberRange(max=MAX_ID, message=f"Enter at most {MAX_ID:,}."),
        ],
    )
    email_subject = StringField(
        "Email subject",
        [Length(max=200), rule(check_template, field="email_subject")],
        filters=[strip],
    )
    email_body = TextAreaField(
        "Email body", [Length(max=10000), rule(check_template, field="email_body")]
    )
    invoice_footer = TextAreaField("Invoice footer", [Length(max=2000)])
    # E-invoicing (EN 16931): all optional, identifiers stored compact (billing.einvoice.seller).
    legal_name = StringField(
        "Legal name (BT-27)", [rule(check_length, field="legal_name")], filters=[strip]
    )
    vat_id = StringField("VAT number (BT-31)", [rule(check_vat_id)], filters=[strip])
    tax_registration = StringField(
        "Tax registration (BT-32)", [rule(check_length, field="tax_registration")], filters=[strip]
    )
    registration_number = StringField(
        "Registration number (BT-30)",
        [rule(check_length, field="registration_number")],
        filters=[strip],
    )
    endpoint_id = StringField("Electronic address (BT-34)", filters=[strip])  # see validate()
    endpoint_scheme = SelectField(
        "Scheme of the electronic address",
        choices=[SelectChoice("", "None")]
        + [SelectChoice(code, f"{code} – {label}") for code, label in identifiers.ENDPOINT_SCHEMES],
        default="",
    )
    iban = StringField("IBAN (BT-84)", [rule(identifiers.iban, field="iban")], filters=[strip])
    bic = StringField("BIC (BT-86)", [rule(identifiers.bic, field="bic")], filters=[strip])
    payment_terms_text = TextAreaField(
        "Payment terms text (BT-20)", [rule(check_length, field="payment_terms_text")]
    )
    contact_name = StringField(
        "Contact name (BT-41)", [rule(check_length, field="contact_name")], filters=[strip]
    )
    contact_phone = TelField("Contact phone (BT-42)", [rule(check_contact_phone)], filters=[strip])
    contact_email = EmailField(
        "Contact email (BT-43)", [rule(check_contact_email)], filters=[strip]
    )

    def validate(self, extra_validators: Any = None) -> bool:
        """Check every field, then the electronic address with its scheme (both or neither)."""
        valid = super().validate(extra_validators)
        if not (self.endpoint_id.errors or self.endpoint_scheme.errors):
            try:
                check_endpoint(self.endpoint_id.data, self.endpoint_scheme.data)
            except ValidationFailed as error:
                show_error(self, error)
                return False
        return valid

    def validate_logo(self, field: FileField) -> None:
        """Judge an uploaded logo along with the other fields (the view stores it)."""
        if field.data:
            try:
                read_logo(read_upload(field.data))
            except ValidationFailed as error:
                raise ValidationError(str(error)) from None

    def __init__(self, *args: Any, kept_currency: str | None = None, **kwargs: Any):
        """``kept_currency``: the override saved now, offered even if no longer current."""
        super().__init__(*args, **kwargs)
        self.country.choices = [SelectChoice(code, name) for code, name in countries().items()]
        self.currency_override.choices = [SelectChoice("", "Follow the country")] + [
            SelectChoice(code, f"{code} – {name}")
            for code, name in currency_choices(kept_currency).items()
        ]


class RateForm(FlaskForm):
    name = StringField("Name", [DataRequired(), Length(max=80)], filters=[strip])
    hourly_price = StringField("Hourly price", [DataRequired()], filters=[strip])
    active = BooleanField("Active", default=True)


class ProductForm(FlaskForm):
    name = StringField("Name", [DataRequired(), Length(max=200)], filters=[strip])
    sku = StringField("SKU", [Length(max=64)], filters=[strip])
    description = TextAreaField("Description", [Length(max=5000)])
    category = StringField("Category", [Length(max=80)], filters=[strip])
    unit_price = StringField("Unit price", [DataRequired()], filters=[strip])
    taxable = BooleanField("Taxable", default=True)
    tax_rate_id = IdSelectField("Tax rate", validate_choice=True)
    active = BooleanField("Active", default=True)


class UserCreateForm(FlaskForm):
    email = EmailField(
        "Email", [DataRequired(), Length(max=254), rule(normalize_email)], filters=[strip]
    )
    name = StringField("Name", [Length(max=120)], filters=[strip])
    role = SelectField("Role", choices=ROLE_CHOICES)
    can_see_billing = BooleanField("May see billing (invoices, batches, amounts billed)")
    password = PasswordField(
        "Password", [DataRequired(), Length(max=200), rule(check_password_strength)]
    )


class UserEditForm(FlaskForm):
    name = StringField("Name", [DataRequired(), Length(max=120)], filters=[strip])
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Active (may log in)")
    can_see_billing = BooleanField("May see billing (invoices, batches, amounts billed)")


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        "New password", [DataRequired(), Length(max=200), rule(check_password_strength)]
    )
    confirm = PasswordField(
        "Repeat the new password",
        [DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )
