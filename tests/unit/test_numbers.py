"""The one parser of typed numbers (billing.numbers) and amounts (billing.money.parse_amount):
read in the company's locale, strictly; everything unclear or hostile refused in words."""

from decimal import Decimal

import pytest

from billing.errors import ValidationFailed
from billing.money import amount_text, parse_amount
from billing.numbers import decimals, input_locale, number_text, parse_quantity

EN_GROUPING = "Enter an amount such as 1,234.50. Use “,” between thousands and “.” before decimals."
DE_GROUPING = "Enter an amount such as 1.234,50. Use “.” between thousands and “,” before decimals."


@pytest.mark.parametrize(
    ("locale", "typed", "minor"),
    [
        ("en_US", "1,234.50", 123450),
        ("en_US", "1234.50", 123450),
        ("en_US", "1,000", 100000),
        ("en_US", " 80 ", 8000),
        ("en_US", ".5", 50),
        ("en_US", "$1,234.50", 123450),
        ("en_US", "1234.50 USD", 123450),
        ("en_US", "0", 0),
        ("en_US", "1.500", 150),  # trailing zeros are not extra decimals
        ("de_DE", "1.234,50", 123450),
        ("de_DE", "1234,50", 123450),
        ("de_DE", "1,5", 150),
        ("de_DE", "1.000", 100000),
        ("de_DE", "1.234,50 €", 123450),
        ("fr_FR", "1 234,50", 123450),  # a plain space for the narrow no-break one
        ("fr_FR", "1\u202f234,50", 123450),
        ("de_CH", "1'234.50", 123450),  # the keyboard's apostrophe for ’
        ("hi_IN", "1,23,456.50", 12345650),
    ],
)
def test_amounts_are_read_in_the_locale(locale, typed, minor):
    currency = {"de_DE": "EUR", "fr_FR": "EUR", "de_CH": "CHF", "hi_IN": "INR"}.get(locale, "USD")
    assert parse_amount(typed, currency, field="price", locale=locale) == minor


@pytest.mark.parametrize(
    ("locale", "typed", "message"),
    [
        ("en_US", "1,50", EN_GROUPING),  # not 150: a decimal comma or a grouping slip
        ("en_US", "12,34.5", EN_GROUPING),
        ("en_US", "1.234,50", EN_GROUPING),
        ("en_US", "1 234.50", EN_GROUPING),
        ("en_US", "", "Enter an amount such as 1,234.50."),
        ("en_US", "1e3", "Enter an amount such as 1,234.50."),
        ("en_US", "1E3", "Enter an amount such as 1,234.50."),
        ("en_US", "1e309", "Enter an amount such as 1,234.50."),
        ("en_US", "1_000", "Enter an amount such as 1,234.50."),
        ("en_US", "²", "Enter an amount such as 1,234.50."),
        ("en_US", "١٢٣", "Enter an amount such as 1,234.50."),  # Arabic-Indic digits
        ("en_US", "１２", "Enter an amount such as 1,234.50."),  # full-width digits
        ("en_US", "NaN", "Enter an amount such as 1,234.50."),
        ("en_US", "-Infinity", "Enter an amount such as 1,234.50."),
        ("en_US", "\x00", "Enter an amount such as 1,234.50."),
        ("en_US", "1" * 5000, "Enter an amount such as 1,234.50."),
        ("en_US", "+5", "Enter an amount such as 1,234.50."),
        ("en_US", "0x10", "Enter an amount such as 1,234.50."),
        ("en_US", "-5", "Enter an amount of zero or more."),
        ("en_US", "−5", "Enter an amount of zero or more."),  # the minus sign
        ("en_US", "9" * 26, "Enter an amount below 1,000,000,000,000."),
        ("en_US", "9" * 27, "Enter an amount below 1,000,000,000,000."),
        ("en_US", "1000000000000", "Enter an amount below 1,000,000,000,000."),
        ("en_US", "9" * 30 + ".999", "Enter an amount below 1,000,000,000,000."),
        ("en_US", "1.999", "USD amounts have at most 2 decimals."),
        ("de_DE", "1,234.50", DE_GROUPING),
        ("de_DE", "1234.50", DE_GROUPING),
        ("de_DE", "1.50", DE_GROUPING),
        ("de_DE", "1,999", "EUR amounts have at most 2 decimals."),
        ("de_DE", "1e3", "Enter an amount such as 1.234,50."),
        ("de_DE", "-5", "Enter an amount of zero or more."),
        ("de_DE", "9" * 27, "Enter an amount below 1.000.000.000.000."),
    ],
)
def test_amounts_refused_in_words_beside_the_field(locale, typed, message):
    currency = "EUR" if locale == "de_DE" else "USD"
    with pytest.raises(ValidationFailed) as refused:
        parse_amount(typed, currency, field="price", locale=locale)
    assert str(refused.value) == message and refused.value.field == "price"


def test_the_example_follows_the_currency():
    with pytest.raises(ValidationFailed, match=r"such as 1,234\.") as refused:
        parse_amount("x", "JPY", locale="en_US")
    assert str(refused.value) == "Enter an amount such as 1,234."
    with pytest.raises(ValidationFailed, match="at most 0 decimals"):
        parse_amount("12.5", "JPY", locale="en_US")
    assert parse_amount("1.005", "BHD", locale="en_US") == 1005


@pytest.mark.parametrize(
    ("locale", "typed", "expected"),
    [("en_US", "2.5", "2.5"), ("en_US", "1,000", "1000"), ("de_DE", "2,5", "2.5")]
    + [("de_DE", "1.000", "1000"), ("en_US", "0.001", "0.001")],
)
def test_quantities_are_read_in_the_locale(locale, typed, expected):
    assert parse_quantity(typed, locale=locale) == Decimal(expected)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a quantity such as 1 or 2.5."),
        ("0", "Enter a quantity above zero."),
        ("-1", "Enter a quantity above zero."),
        ("1e3", "Enter a quantity such as 1 or 2.5."),
        ("NaN", "Enter a quantity such as 1 or 2.5."),
        ("²", "Enter a quantity such as 1 or 2.5."),
        ("1_0", "Enter a quantity such as 1 or 2.5."),
        ("1,5", "Enter a quantity such as 1 or 2.5. Use “,” between thousands"),
        ("9" * 27, "Enter a quantity below 1,000,000."),
        ("1.0001", "Use at most 3 decimals."),
    ],
)
def test_quantities_refused(typed, message):
    with pytest.raises(ValidationFailed) as refused:
        parse_quantity(typed, field="qty", locale="en_US")
    assert str(refused.value).startswith(message) and refused.value.field == "qty"


@pytest.mark.parametrize(
    ("locale", "minor", "currency", "shown"),
    [("en_US", 123450, "USD", "1234.50"), ("de_DE", 123450, "EUR", "1234,50")]
    + [
        ("en_US", 1500, "JPY", "1500"),
        ("fr_FR", 5, "EUR", "0,05"),
        ("en_US", 1005, "BHD", "1.005"),
    ],
)
def test_amount_text_is_read_back(locale, minor, currency, shown):
    assert amount_text(minor, currency, locale) == shown
    assert parse_amount(shown, currency, locale=locale) == minor


def test_number_text_and_decimals():
    assert number_text(Decimal("2.500"), "de_DE") == "2,5"
    assert number_text(Decimal("1234.5"), "en_US", grouped=True) == "1,234.5"
    assert number_text(Decimal("8.875"), "de_DE") == "8,875"
    assert [decimals(Decimal(v)) for v in ("7.50", "20", "0.001", "1E+2")] == [1, 0, 3, 0]


def test_outside_the_app_numbers_are_read_in_en_us():
    assert str(input_locale()) == "en_US"
    assert str(input_locale("de_DE")) == "de_DE"
