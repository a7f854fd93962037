"""Money: minor units, half-up rounding to each currency's precision, parsing and formatting."""

from decimal import Decimal

import pytest

from billing.errors import ValidationFailed
from billing.locales import currency_for_country, locale_for_country
from billing.money import (
    format_money,
    from_minor,
    parse_amount,
    quantize,
    to_minor,
)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("1.005", "USD", 101),  # half-up, not banker's rounding
        ("1.004", "USD", 100),
        ("2.5", "JPY", 3),
        ("0.0005", "BHD", 1),  # three decimals
        ("1234.5", "EUR", 123450),
    ],
)
def test_to_minor_rounds_half_up_to_the_currency(amount, currency, minor):
    assert to_minor(Decimal(amount), currency) == minor


def test_from_minor_is_exact():
    assert from_minor(123450, "EUR") == Decimal("1234.50")
    assert from_minor(1500, "JPY") == Decimal("1500")
    assert isinstance(from_minor(1, "USD"), Decimal)


def test_quantize():
    assert quantize(Decimal("10.125"), "USD") == Decimal("10.13")


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("80", "USD", 8000), ("1,234.50", "USD", 123450), (" 0 ", "EUR", 0), ("1500", "JPY", 1500)],
)
def test_parse_amount(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("twelve", "USD", "Enter an amount"),
        ("", "USD", "Enter an amount"),
        ("-5", "USD", "zero or more"),
        ("1.999", "USD", "at most 2 decimals"),
        ("10.5", "JPY", "at most 0 decimals"),
        ("NaN", "USD", "Enter an amount such as 1,234.50."),
        ("1e13", "USD", "Enter an amount such as 1,234.50."),
    ],
)
def test_parse_amount_refuses_bad_input_naming_the_field(text, currency, message):
    with pytest.raises(ValidationFailed, match=message) as error:
        parse_amount(text, currency, field="price")
    assert error.value.field == "price"


def test_country_gives_currency_and_locale():
    assert currency_for_country("US") == "USD"
    assert currency_for_country("de") == "EUR"
    assert currency_for_country("JP") == "JPY"
    assert str(locale_for_country("DE")) == "de_DE"


def test_format_money_in_locale():
    assert format_money(123450, "USD", "en_US") == "$1,234.50"
    assert format_money(123450, "EUR", "de_DE") == "1.234,50\xa0€"
    assert format_money(1500, "JPY", "en_US") == "¥1,500"
