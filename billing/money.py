"""Money: integer minor units at rest, ``Decimal`` in Python, Babel for currencies.

Rounding rule (the only one): amounts are rounded half-up to the currency's precision
(2 for USD/EUR, 0 for JPY, 3 for BHD), once per line, and tax once per rate. What a line comes
to, quantity x unit price, is :func:`line_amount_minor`, bounded by :data:`MAX_LINE_MINOR`.
"""

from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_currency_symbol,
)

from billing.errors import ValidationFailed
from billing.numbers import Kind, input_locale, number_text, parse_number

# Far above any real price, far inside the 64-bit minor-unit columns.
MAX_AMOUNT = Decimal(10) ** 12
# The most one line may come to, in minor units, either way. Quantity and price are each
# bounded (MAX_QUANTITY, MAX_AMOUNT), their product is not: it could pass the 64-bit columns
# (9.2 x 10**18). 10**15 leaves room for thousands of such lines on one invoice.
MAX_LINE_MINOR = 10**15
LINE_TOO_LARGE = "Quantity x unit price comes to too much for one line: lower one of them."


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


def _amount_kind(currency: str) -> Kind:
    """What an amount field in ``currency`` accepts (see :mod:`billing.numbers`): zero or more,
    below :data:`MAX_AMOUNT`, at most the currency's decimals."""
    places = precision(currency)
    example = Decimal("1234.5").quantize(Decimal(1).scaleb(-places)) if places else Decimal(1234)
    fine = f"{currency} amounts have at most {places} decimals."
    return Kind("an amount", (example,), places, MAX_AMOUNT, fine_message=fine)


def _without_currency(text: str | None, currency: str, locale: Locale) -> str:
    """``text`` without a leading or trailing currency symbol or code ("$80", "80 EUR")."""
    cleaned = (text or "").strip()
    for mark in (get_currency_symbol(currency, locale), currency):
        if mark and cleaned.startswith(mark):
            return cleaned.removeprefix(mark).strip()
        if mark and cleaned.endswith(mark):
            return cleaned.removesuffix(mark).strip()
    return cleaned


def parse_amount(
    text: str | None, currency: str, *, field: str | None = None, locale: Locale | None = None
) -> int:
    """Minor units for an amount typed in the company's locale ("1,234.50" or "$80" in en_US,
    "1.234,50 €" in de_DE); see :mod:`billing.numbers` for what is refused.

    :raise ValidationFailed: (beside ``field``) empty, unreadable or ambiguous, negative, finer
        than the currency allows, or not below :data:`MAX_AMOUNT`.
    """
    loc = input_locale(locale)
    typed = _without_currency(text, currency, loc)
    return to_minor(parse_number(typed, _amount_kind(currency), field=field, locale=loc), currency)


def amount_text(minor: int, currency: str, locale: Locale | None = None) -> str:
    """An amount as a form field shows it, parsed back by :func:`parse_amount`: ``123450`` USD
    -> ``"1234.50"`` (en_US) or ``"1234,50"`` (de_DE)."""
    return number_text(from_minor(minor, currency), locale, places=precision(currency))


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


def line_amount_minor(quantity: Decimal, unit_price_minor: int, *, field: str = "quantity") -> int:
    """What a line comes to: ``quantity`` x ``unit_price_minor``, rounded half-up (away from
    zero at .5) to a whole minor unit, exactly, in integers. The one rule for an expense, a
    contract's service line or retainer, and an invoice line; ``billing.work.totals`` sums
    expenses with the same rounding in SQL.

    :raise ValidationFailed: (beside ``field``) the amount is beyond :data:`MAX_LINE_MINOR`,
        above it or, for a negative quantity or price, below its negative.
    """
    numerator, denominator = quantity.as_integer_ratio()
    amount = div_half_up(numerator * unit_price_minor, denominator)
    if abs(amount) > MAX_LINE_MINOR:
        raise ValidationFailed(LINE_TOO_LARGE, field)
    return amount
