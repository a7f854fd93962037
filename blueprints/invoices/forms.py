"""The forms of the invoice pages. Field names match the ``field`` of the ``billing`` errors.

The forms only carry text and choices; every rule (required, ranges, amounts) is checked by
``billing.invoices.edit``, whose errors :func:`blueprints.forms.show_error` puts beside the field.
"""

from typing import Any

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, StringField, TextAreaField
from wtforms.validators import Optional

from billing.catalog import tax_label
from billing.invoices.edit import LineInput
from billing.money import amount_text
from billing.numbers import number_text
from blueprints.forms import IdSelectField, strip
from blueprints.templating import money
from models import Contract, Customer, Invoice, InvoiceLine, Product, TaxRate, db

DATE_MESSAGE = "Enter a date such as 2026-01-31."


class NewInvoiceForm(FlaskForm):
    customer_id = IdSelectField("Customer")
    contract_id = IdSelectField("Contract")
    issue_date = DateField("Issue date", [Optional()], invalid_value_message=DATE_MESSAGE)
    due_date = DateField("Due date", [Optional()], invalid_value_message=DATE_MESSAGE)

    def prepare(self, customers: list[Customer], contracts: list[Contract]) -> None:
        """Active customers; their active contracts grouped by customer (none is a choice)."""
        self.customer_id.choices = [SelectChoice("", "Choose a customer")] + [
            SelectChoice(c.id, c.name) for c in customers
        ]
        self.contract_id.choices = [SelectChoice("", "No contract")] + [
            SelectChoice(c.id, f"{c.name} ({c.type.label})", optgroup=c.customer.name)
            for c in contracts
        ]


class HeaderForm(FlaskForm):
    due_date = DateField("Due date", [Optional()], invalid_value_message=DATE_MESSAGE)
    reference = StringField("Reference", filters=[strip])
    notes = TextAreaField("Notes")


class LineForm(FlaskForm):
    product_id = IdSelectField("Product")
    description = StringField("Description", filters=[strip])
    quantity = StringField("Quantity", default="1", filters=[strip])
    unit_price = StringField("Unit price", filters=[strip])
    discount = StringField("Discount", filters=[strip])
    tax_rate_id = IdSelectField("Tax")

    def prepare(self, currency: str, taxes: list[TaxRate], products: list[Product], line=None):
        """Choices: active tax rates (and the line's own), active products (adding only)."""
        offered = [t for t in taxes if t.active or (line and t.id == line.tax_rate_id)]
        self.tax_rate_id.choices = [SelectChoice("", "No tax")] + [
            SelectChoice(t.id, tax_label(t.name, t.percent)) for t in offered
        ]
        self.product_id.choices = [SelectChoice("", "None: a free line")] + [
            SelectChoice(p.id, f"{p.name} ({money(p.unit_price_minor, p.currency)})")
            for p in products
            if p.active
        ]
        self.unit_price.label.text = f"Unit price ({currency})"
        self.discount.label.text = f"Discount ({currency})"

    def line_input(self) -> LineInput:
        """What was typed, for ``billing.invoices.edit``."""
        return LineInput(
            description=self.description.data or "",
            quantity=self.quantity.data or "",
            unit_price=self.unit_price.data or "",
            discount=self.discount.data or "",
            tax_rate_id=self.tax_rate_id.data,
            product_id=self.product_id.data,
        )


def line_values(line: InvoiceLine, currency: str) -> dict[str, Any]:
    """A stored line as the edit form shows it."""
    return {
        "description": line.description,
        "quantity": number_text(line.quantity),
        "unit_price": amount_text(line.unit_price_minor, currency),
        "discount": amount_text(line.discount_minor, currency) if line.discount_minor else "",
        "tax_rate_id": line.tax_rate_id,
    }


def product_values(product: Product, currency: str, exempt: bool) -> dict[str, Any]:
    """What a catalog product fills in: its name, its price (if in ``currency``) and, if it is
    taxable and the customer is not exempt, its active tax rate."""
    rate = product.tax_rate if product.taxable and not exempt else None
    same = product.currency == currency
    return {
        "description": product.name,
        "unit_price": amount_text(product.unit_price_minor, currency) if same else "",
        "tax_rate_id": rate.id if rate is not None and rate.active else None,
    }


def line_options() -> tuple[list[TaxRate], list[Product]]:
    """What line forms offer: every tax rate (inactive ones only for lines that have them)
    and the active products, by name."""
    taxes = db.session.scalars(sa.select(TaxRate).order_by(sa.func.lower(TaxRate.name))).all()
    products = db.session.scalars(
        sa.select(Product).where(Product.active).order_by(sa.func.lower(Product.name), Product.id)
    ).all()
    return list(taxes), list(products)


def line_form(
    invoice: Invoice, options: tuple, line: InvoiceLine | None = None, *, blank=False, **kwargs
) -> LineForm:
    """The add form (``line`` None) or a line's edit form, with its choices. ``blank``: one
    unit at the default tax rate (none for a tax-exempt customer); else as posted or given."""
    taxes, products = options
    if blank:
        default = next((t.id for t in taxes if t.is_default and t.active), None)
        tax = None if invoice.customer.tax_exempt else default
        kwargs |= {"formdata": None, "data": {"quantity": "1", "tax_rate_id": tax}}
    # Unique field names and ids: the add form and an edit form can share the page.
    kwargs.setdefault("prefix", f"line-{line.id if line else 'new'}")
    form = LineForm(**kwargs)
    form.prepare(invoice.currency, taxes, products, line)
    return form
