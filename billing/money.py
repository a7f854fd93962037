"""Money: integer minor units at rest, ``Decimal`` in Python, Babel for currencies.

Rounding rule (the only one): amounts are rounded half-up to the currency's precision
(2 for USD/EUR, 0 for JPY, 3 for BHD), once per line, and tax once per rate.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from babel import Locale
from babel.numbers import format_currency, get_currency_precision, get_territory_currencies

from billing.errors import ValidationFailed


def precision(currency: str) -> int:
    """Digits after the decimal point for ``currency`` (ISO 4217)."""
    return get_currency_precision(currency)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half-up to the currency's precision."""
    return amount.quantize(Decimal(1).scaleb(-precision(currency)), rounding=ROUND_HALF_UP)


def to_minor(amount: Decimal, currency: str) -> int:
    """Decimal major units -> integer minor units (rounded half-up)."""
    return int(quantize(amount, currency).scaleb(precision(currency)))


def from_minor(minor: int, currency: str) -> Decimal:
    """Integer minor units -> Decimal major units."""
    return Decimal(minor).scaleb(-precision(currency))


def parse_amount(text: str, currency: str, *, field: str | None = None) -> int:
    """Parse a typed amount ("1,234.50", "80") into minor units; refuse anything else.

    :raise ValidationFailed: unparseable, negative, or finer than the currency allows.
    """
    cleaned = (text or "").strip().replace(",", "").replace(" ", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationFailed("Enter an amount such as 120.00.", field) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationFailed("Enter an amount of zero or more.", field)
    if amount != quantize(amount, currency):
        raise ValidationFailed(
            f"{currency} amounts have at most {precision(currency)} decimals.", field
        )
    if amount >= Decimal(10) ** 12:
        raise ValidationFailed("That amount is too large.", field)
    return to_minor(amount, currency)


def currency_for_country(country: str) -> str:
    """The currency in use in a territory today (Babel's data), USD if it knows none."""
    currencies = get_territory_currencies(country.upper(), tender=True)
    return currencies[0] if currencies else "USD"


@cache
def locale_for_country(country: str) -> Locale:
    """The most likely locale of a territory, for number formatting (en_US for US)."""
    try:
        return Locale.parse(f"und_{country.upper()}")
    except (ValueError, TypeError):
        return Locale.parse("en_US")


def format_money(minor: int, currency: str, locale: Locale | str = "en_US") -> str:
    """Minor units formatted for display, e.g. ``$1,234.50`` or ``1.234,50 €``."""
    return format_currency(from_minor(minor, currency), currency, locale=locale)


def div_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-up (away from zero on .5), in integers only."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient
