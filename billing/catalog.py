"""The catalog: tax rates, named hourly rates and products, with the rules for changing them.

Each ``save_*`` function checks everything before it touches the session (a query would
otherwise autoflush a half-filled row), then adds or changes the row and flushes. Nothing is
committed here.
"""

import re
from decimal import Decimal

from babel import Locale
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from billing.einvoice.categories import vat_treatment
from billing.errors import Conflict, ValidationFailed
from billing.money import parse_amount
from billing.numbers import Kind, parse_number
from billing.wording import counted
from models import Contract, Expense, InvoiceLine, Product, Rate, TaxRate, db

MAX_PERCENT = Decimal(100)
PERCENT_PLACES = 4
PERCENT = Kind(
    "a percentage",
    (Decimal("8.875"),),
    PERCENT_PLACES,
    MAX_PERCENT + Decimal(1).scaleb(-PERCENT_PLACES),  # 100 is allowed, 100.0001 is not
    range_message="Enter a percentage from 0 to 100.",
)
# "6.5%", "6,5 %", "20%" inside a tax's name (not the "5%" of "6.5%").
_PERCENT_IN_NAME = re.compile(r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s*%")


def parse_percent(text: str, *, field: str = "percent", locale: Locale | None = None) -> Decimal:
    """A typed percentage ("8.875", "20 %"; "8,875" in de_DE) as a ``Decimal`` from 0 to 100,
    4 decimals at most, read as :mod:`billing.numbers` reads every number.

    :raise ValidationFailed: not a number, out of range, or too many decimals.
    """
    cleaned = (text or "").strip().removesuffix("%").strip()
    return parse_number(cleaned, PERCENT, field=field, locale=locale)


def percent_text(percent: Decimal) -> str:
    """``Decimal("8.8750")`` -> ``"8.875"``, ``Decimal("20")`` -> ``"20"`` (never ``2E+1``)."""
    return f"{percent.normalize():f}"


def tax_label(name: str, percent: Decimal | None) -> str:
    """A tax as shown and printed: its name and rate, ``"VAT (20 %)"``; a name that already
    states that rate (``"Hardware tax 6.5%"`` at 6.5) is shown as it is, not repeated."""
    if percent is None:
        return name
    stated = {Decimal(number.replace(",", ".")) for number in _PERCENT_IN_NAME.findall(name)}
    if percent in stated:
        return name
    return f"{name} ({percent_text(percent)} %)"


def _required(text: str, field: str, what: str = "a name") -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValidationFailed(f"Enter {what}.", field)
    return cleaned


def _check_unique(
    column: InstrumentedAttribute, value: str, current_id: int | None, message: str, field: str
) -> None:
    """:raise ValidationFailed: another row has ``value`` in ``column`` (case-insensitive)."""
    model = column.class_
    query = select(model.id).where(func.lower(column) == value.lower())
    if current_id is not None:
        query = query.where(model.id != current_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise ValidationFailed(message, field)


def save_tax_rate(
    tax: TaxRate | None,
    *,
    name: str,
    percent: str,
    is_default: bool,
    active: bool,
    vat_category: str = "S",
    exemption_reason: str = "",
    exemption_code: str = "",
) -> TaxRate:
    """Create (``tax`` is None) or change a tax rate. Making it the default clears the old
    default in the same transaction. The VAT category (BT-118) and exemption (BT-120/121)
    follow :func:`billing.einvoice.categories.vat_treatment`.

    :raise ValidationFailed: empty or taken name, bad percentage, inactive default, a VAT
        category, exemption reason or code that does not fit the rate.
    """
    current_id = tax.id if tax else None
    name = _required(name, "name")
    _check_unique(TaxRate.name, name, current_id, "A tax rate with this name exists.", "name")
    value = parse_percent(percent)
    treatment = vat_treatment(vat_category, value, exemption_reason, exemption_code)
    if is_default and not active:
        raise ValidationFailed("An inactive tax rate cannot be the default.", "is_default")
    if is_default:
        # The partial unique index allows one default: clear the old one before flushing ours.
        clear = update(TaxRate).where(TaxRate.is_default.is_(True)).values(is_default=False)
        if current_id is not None:
            clear = clear.where(TaxRate.id != current_id)
        db.session.execute(clear)
    if tax is None:
        tax = TaxRate()
        db.session.add(tax)
    tax.name, tax.percent, tax.is_default, tax.active = name, value, is_default, active
    tax.vat_category, tax.exemption_reason, tax.exemption_code = treatment
    db.session.flush()
    return tax


def tax_rate_uses(tax: TaxRate) -> dict[str, int]:
    """How many contracts, products, expenses and invoice lines refer to ``tax``."""
    holders = {
        "contract": Contract.tax_rate_id,
        "product": Product.tax_rate_id,
        "expense": Expense.tax_rate_id,
        "invoice line": InvoiceLine.tax_rate_id,
    }
    counts = {
        label: db.session.scalar(select(func.count()).where(column == tax.id)) or 0
        for label, column in holders.items()
    }
    return {label: count for label, count in counts.items() if count}


def delete_tax_rate(tax: TaxRate) -> None:
    """Delete a tax rate nothing refers to (not committed).

    :raise Conflict: a contract, product, expense or invoice line uses it.
    """
    uses = tax_rate_uses(tax)
    if uses:
        listed = ", ".join(counted(n, label) for label, n in uses.items())
        raise Conflict(
            f"The tax rate {tax.name} is used by {listed}, so it cannot be deleted. "
            "Deactivate it instead."
        )
    db.session.delete(tax)
    db.session.flush()


def save_rate(
    rate: Rate | None, *, name: str, hourly_price: str, currency: str, active: bool
) -> Rate:
    """Create (``rate`` is None) or change a named hourly rate, priced in ``currency``.

    :raise ValidationFailed: empty or taken name, or a bad amount.
    """
    name = _required(name, "name")
    _check_unique(
        Rate.name, name, rate.id if rate else None, "A rate with this name exists.", "name"
    )
    price_minor = parse_amount(hourly_price, currency, field="hourly_price")
    if rate is None:
        rate = Rate()
        db.session.add(rate)
    rate.name, rate.active = name, active
    rate.hourly_price_minor, rate.currency = price_minor, currency
    db.session.flush()
    return rate


def _check_product_tax(product: Product | None, taxable: bool, tax_rate_id: int | None) -> None:
    if tax_rate_id is None:
        return
    if not taxable:
        raise ValidationFailed(
            "A product that is not taxable takes no tax rate: choose none, or tick Taxable.",
            "tax_rate_id",
        )
    tax = db.session.get(TaxRate, tax_rate_id)
    unchanged = product is not None and product.tax_rate_id == tax_rate_id
    if tax is None or not (tax.active or unchanged):
        raise ValidationFailed("Choose an active tax rate from the list.", "tax_rate_id")


def save_product(
    product: Product | None,
    *,
    name: str,
    sku: str,
    description: str,
    category: str,
    unit_price: str,
    currency: str,
    taxable: bool,
    tax_rate_id: int | None,
    active: bool,
) -> Product:
    """Create (``product`` is None) or change a catalog product, priced in ``currency``.

    An empty SKU is stored as none; SKUs are unique (case-insensitive).

    :raise ValidationFailed: empty name, taken SKU, bad amount, or a tax rate that cannot apply.
    """
    name = _required(name, "name")
    sku = (sku or "").strip() or None
    if sku is not None:
        current_id = product.id if product else None
        _check_unique(Product.sku, sku, current_id, "Another product has this SKU.", "sku")
    price_minor = parse_amount(unit_price, currency, field="unit_price")
    _check_product_tax(product, taxable, tax_rate_id)
    if product is None:
        product = Product()
        db.session.add(product)
    product.name, product.sku, product.description = name, sku, (description or "").strip()
    product.category = (category or "").strip()
    product.unit_price_minor, product.currency = price_minor, currency
    product.taxable, product.tax_rate_id, product.active = taxable, tax_rate_id, active
    db.session.flush()
    return product


def product_query(search: str = "") -> Select:
    """Products by name, those whose name or SKU contains ``search`` (any case) if given."""
    query = select(Product).order_by(func.lower(Product.name), Product.id)
    term = (search or "").strip().lower()
    if term:
        query = query.where(
            or_(
                func.lower(Product.name).contains(term, autoescape=True),
                func.lower(Product.sku).contains(term, autoescape=True),
            )
        )
    return query
