"""Money: minor units, half-up rounding to each currency's precision, parsing and formatting."""

from decimal import ROUND_HALF_UP, Decimal

import pytest

from billing.errors import ValidationFailed
from billing.locales import currency_for_country, locale_for_country
from billing.money import (
    LINE_TOO_LARGE,
    MAX_AMOUNT,
    MAX_LINE_MINOR,
    div_half_up,
    format_money,
    from_minor,
    line_amount_minor,
    parse_amount,
    precision,
    quantize,
    to_minor,
)
from billing.numbers import MAX_QUANTITY, QUANTITY_PLACES


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


# --- a line's amount: the one rule for expenses, contract lines and invoice lines -------------


@pytest.mark.parametrize(
    ("quantity", "price", "minor"),
    [
        ("2.5", 1999, 4998),  # 49.975 -> 49.98
        ("0.333", 100, 33),
        ("15", 2200, 33000),
        ("2.5", 99, 248),  # 247.5 -> 248
        ("0.333", 1000, 333),
        ("1.5", 3333, 5000),  # 4999.5 -> 5000
        ("0.005", 100, 1),  # exactly half a minor unit rounds up
        ("0.004", 100, 0),
        ("0.015", 100, 2),  # 1.5 -> 2: half-up, not to even
        ("0.025", 100, 3),  # 2.5 -> 3
        ("3", 0, 0),
        ("1.000", 7, 7),
    ],
)
def test_line_amount_is_rounded_half_up_once(quantity, price, minor):
    assert line_amount_minor(Decimal(quantity), price) == minor


@pytest.mark.parametrize(
    ("quantity", "price", "minor"),
    [
        ("-0.005", 100, -1),  # half a minor unit: away from zero, as a credit mirrors a charge
        ("-0.004", 100, 0),
        ("-2.5", 1999, -4998),
        ("2.5", -1999, -4998),
        ("-2.5", -1999, 4998),
    ],
)
def test_a_negative_line_mirrors_the_positive_one(quantity, price, minor):
    # No form takes a negative quantity or price today (they are refused when typed); the rule
    # itself is symmetric so that a credit line, when there is one, rounds as its charge does.
    assert line_amount_minor(Decimal(quantity), price) == minor


def test_line_amount_is_exact_for_the_largest_inputs():
    largest_quantity = MAX_QUANTITY - Decimal(1).scaleb(-QUANTITY_PLACES)  # 999999.999
    assert line_amount_minor(largest_quantity, 1_000_000) == 999_999_999_000
    assert line_amount_minor(Decimal(1), MAX_LINE_MINOR) == MAX_LINE_MINOR


@pytest.mark.parametrize(
    "quantity", ["0.001", "0.005", "1", "2.5", "7.125", "999.999", "123456.789", "999999.999"]
)
@pytest.mark.parametrize("price", [0, 1, 7, 99, 1999, 3333, 10**8 + 7])
def test_line_amount_agrees_with_thousandths_and_decimal_rounding(quantity, price):
    # the SQL totals (billing.work.totals) round quantity-in-thousandths x price the same way
    exact = Decimal(quantity) * price
    by_decimal = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    by_thousandths = div_half_up(int(Decimal(quantity).scaleb(3)) * price, 1000)
    assert line_amount_minor(Decimal(quantity), price) == by_decimal == by_thousandths


def test_line_amount_is_bounded_inclusive():
    assert line_amount_minor(Decimal(100), 9_999_999_999_999) == MAX_LINE_MINOR - 100
    assert line_amount_minor(Decimal(-1), MAX_LINE_MINOR) == -MAX_LINE_MINOR
    for quantity, price in [("1", MAX_LINE_MINOR + 1), ("-1", MAX_LINE_MINOR + 1)]:
        with pytest.raises(ValidationFailed) as refused:
            line_amount_minor(Decimal(quantity), price)
        assert str(refused.value) == LINE_TOO_LARGE and refused.value.field == "quantity"


def test_the_bound_applies_after_rounding():
    # 0.5 x (2 x 10**15 + 1) = 10**15 + 0.5, which rounds to 10**15 + 1: too much
    with pytest.raises(ValidationFailed):
        line_amount_minor(Decimal("0.5"), 2 * MAX_LINE_MINOR + 1)
    # 0.5 x (2 x 10**15 - 1) = 10**15 - 0.5, which rounds to 10**15: the most a line holds
    assert line_amount_minor(Decimal("0.5"), 2 * MAX_LINE_MINOR - 1) == MAX_LINE_MINOR


def test_the_largest_quantity_times_the_largest_price_is_refused_beside_the_field():
    quantity = MAX_QUANTITY - Decimal("0.001")
    for currency in ("USD", "JPY", "BHD"):
        price = to_minor(MAX_AMOUNT - Decimal(1).scaleb(-precision(currency)), currency)
        with pytest.raises(ValidationFailed, match="too much for one line") as refused:
            line_amount_minor(quantity, price, field="amount")
        assert refused.value.field == "amount"
    # what one line may hold stays far inside the 64-bit money columns
    assert MAX_LINE_MINOR * 9000 < 2**63 - 1
