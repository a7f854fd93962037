"""Forms of the contract pages. Field names match the ``field`` of the ``billing`` errors.

Only syntax (dates, lengths) is checked here; the rules of each type live in
``billing.contracts.store``, so choices are not validated by WTForms either: the rules say what is
wrong with a choice in words that fit it ("On demand is only for hourly contracts").
"""

from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from billing.catalog import tax_label
from billing.contracts.terms import PERIODS, ROUNDING_MINUTES, ContractInput
from billing.errors import BillingError
from billing.money import format_money
from blueprints.forms import IdSelectField, show_error, strip
from models import BillingPeriod, Contract, ContractType, Customer, Product, Rate, TaxRate, db

PERIOD_LABELS = {
    BillingPeriod.MONTHLY: "Monthly",
    BillingPeriod.QUARTERLY: "Quarterly",
    BillingPeriod.YEARLY: "Yearly",
    BillingPeriod.ON_DEMAND: "On demand",
    BillingPeriod.ONCE: "Once",
}
ROUNDING_LABELS = {0: "Exact minutes", 1: "1 minute", 60: "1 hour"}
MONEY_LABELS = {
    "unit_price": "Unit price",
    "block_amount": "Block amount",
    "overage_rate": "Overage rate per hour",
    "fixed_amount": "Fixed fee",
    "primary_rate_price": "Price per hour under this contract",
}
# Labels of the money fields that mean something else under some types.
TYPE_LABELS = {
    (ContractType.BLOCK_HOURS, "unit_price"): "Block price",
    (ContractType.PER_UNIT, "unit_price"): "Price per device or user",
}


def _choice_list(items: Any) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in items]


class ContractForm(FlaskForm):
    customer_id = IdSelectField("Customer")
    name = StringField("Name", [Length(max=200)], filters=[strip])
    type = SelectField(
        "Type",
        choices=_choice_list((t.value, t.label) for t in ContractType),
        validate_choice=False,
    )
    billing_period = SelectField("Billing period", validate_choice=False)
    start_date = DateField("Starts", [Optional()])
    end_date = DateField("Ends", [Optional()])
    active = BooleanField("Active (work can be recorded and billed under it)", default=True)
    is_default = BooleanField("Default contract of the customer")
    taxable = BooleanField("Taxable")
    tax_rate_id = IdSelectField("Tax rate")
    notes = TextAreaField("Notes", [Length(max=5000)])
    quantity = StringField("Quantity", filters=[strip], default="1")
    unit_price = StringField("Unit price", filters=[strip])
    unit_label = SelectField(
        "Counted per",
        choices=[SelectChoice("device", "Device"), SelectChoice("user", "User")],
        validate_choice=False,
    )
    rounding_minutes = SelectField(
        "Round each time entry up to",
        coerce=int,
        choices=[SelectChoice(m, ROUNDING_LABELS.get(m, f"{m} minutes")) for m in ROUNDING_MINUTES],
        validate_choice=False,
        default=0,
    )
    block_hours = StringField("Block size (hours)", filters=[strip])
    block_amount = StringField("Block amount", filters=[strip])
    overage_rate = StringField("Overage rate per hour", filters=[strip])
    rollover = BooleanField("Roll the unused balance over to the next period")
    fixed_amount = StringField("Fixed fee", filters=[strip])
    primary_rate_id = IdSelectField("Primary rate")
    primary_rate_price = StringField("Price per hour under this contract", filters=[strip])
    unit_count = StringField("Starting count", filters=[strip])

    def kind(self) -> ContractType:
        """The chosen type (the first one when none or an unknown one is chosen)."""
        try:
            return ContractType(self.type.data)
        except ValueError:
            return ContractType.RETAINER

    def to_input(self) -> ContractInput:
        """What the form holds, for ``billing.contracts.store.save_contract`` (text never None)."""
        return ContractInput(
            **{name: _value(self[name]) for name in ContractInput.__dataclass_fields__}
        )

    def set_choices(self, contract: Contract | None, currency: str | None) -> None:
        """Fill the selects (active rows, plus those ``contract`` uses) and label the money."""
        kind = self.kind()
        self.billing_period.choices = [
            SelectChoice(p.value, PERIOD_LABELS[p]) for p in PERIODS[kind]
        ]
        self.customer_id.choices = customer_choices(contract)
        self.tax_rate_id.choices = tax_choices(contract)
        self.primary_rate_id.choices = rate_choices()
        for name, label in MONEY_LABELS.items():
            label = TYPE_LABELS.get((kind, name), label)
            self[name].label.text = f"{label} ({currency})" if currency else label


def _value(field: Any) -> Any:
    text = isinstance(field, StringField) or (
        isinstance(field, SelectField) and field.coerce is str
    )
    return (field.data or "") if text else field.data


def customer_choices(contract: Contract | None) -> list[SelectChoice]:
    """Active customers by name, plus the contract's own."""
    keep = contract.customer_id if contract else None
    query = select(Customer.id, Customer.name).order_by(Customer.name)
    query = query.where(Customer.active.is_(True) | (Customer.id == keep))
    return [SelectChoice("", "Choose a customer")] + [
        SelectChoice(str(i), name) for i, name in db.session.execute(query)
    ]


def tax_choices(contract: Contract | None) -> list[SelectChoice]:
    """Active tax rates, plus the contract's own."""
    keep = contract.tax_rate_id if contract else None
    query = select(TaxRate).where(TaxRate.active.is_(True) | (TaxRate.id == keep))
    choices = [SelectChoice("", "Choose a tax rate")]
    for tax in db.session.scalars(query.order_by(TaxRate.name)):
        choices.append(SelectChoice(str(tax.id), tax_label(tax.name, tax.percent)))
    return choices


def rate_choices(exclude: Any = ()) -> list[SelectChoice]:
    """Active rates with their own price, leaving out the ids in ``exclude``."""
    query = select(Rate).where(Rate.active.is_(True)).order_by(Rate.name)
    return [SelectChoice("", "Choose a rate")] + [
        SelectChoice(str(r.id), f"{r.name} ({format_money(r.hourly_price_minor, r.currency)}/h)")
        for r in db.session.scalars(query)
        if r.id not in exclude
    ]


def product_choices(keep: int | None = None) -> list[SelectChoice]:
    """Active products by name (plus ``keep``), for service lines."""
    query = select(Product.id, Product.name).order_by(Product.name)
    query = query.where(Product.active.is_(True) | (Product.id == keep))
    return [SelectChoice("", "No product (describe it)")] + [
        SelectChoice(str(i), name) for i, name in db.session.execute(query)
    ]


class RateAddForm(FlaskForm):
    rate_id = IdSelectField("Rate")
    hourly_price = StringField("Price per hour (optional)", filters=[strip])


class ServiceForm(FlaskForm):
    product_id = IdSelectField("Product")
    description = StringField("Description", filters=[strip])
    quantity = StringField("Quantity", filters=[strip], default="1")
    unit_price = StringField("Unit price", filters=[strip])


class UnitCountForm(FlaskForm):
    effective_date = DateField("From", [Optional()])
    count = StringField("Count", filters=[strip])


def show_errors(form: FlaskForm, error: BillingError) -> None:
    """Put every rule ``error`` reports beside its field (``InvalidContract`` lists several)."""
    for each in getattr(error, "errors", [error]):
        show_error(form, each)
