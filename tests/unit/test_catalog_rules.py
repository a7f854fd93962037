"""Tax percentages: parsed exactly as Decimal (never float), shown without trailing zeros, and
shown once beside a tax's name."""

from decimal import Decimal

import pytest

from billing.catalog import parse_percent, percent_text, tax_label
from billing.errors import ValidationFailed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8.875", Decimal("8.875")),
        (" 20 % ", Decimal("20")),
        ("0", Decimal("0")),
        ("100", Decimal("100")),
        ("0.0001", Decimal("0.0001")),
        ("7.50000", Decimal("7.5")),  # trailing zeros are not extra decimals
    ],
)
def test_parse_percent(text, expected):
    parsed = parse_percent(text)
    assert parsed == expected and isinstance(parsed, Decimal)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter a percentage such as 8.875."),
        ("eight", "Enter a percentage such as 8.875."),
        ("1,5", "Enter a percentage such as 8.875."),
        ("-0.5", "from 0 to 100"),
        ("100.0001", "from 0 to 100"),
        ("Infinity", "Enter a percentage such as 8.875."),
        ("NaN", "Enter a percentage such as 8.875."),
        ("0.00001", "at most 4 decimals"),
    ],
)
def test_parse_percent_refuses(text, message):
    with pytest.raises(ValidationFailed, match=message) as refused:
        parse_percent(text, field="rate")
    assert refused.value.field == "rate"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("8.8750"), "8.875"),
        (Decimal("20"), "20"),
        (Decimal("100.0000"), "100"),
        (Decimal("0"), "0"),
        (Decimal("0.0001"), "0.0001"),
    ],
)
def test_percent_text(value, text):
    assert percent_text(value) == text


@pytest.mark.parametrize(
    ("name", "percent", "label"),
    [
        ("VAT", "20", "VAT (20 %)"),
        ("Sales tax", "8.8750", "Sales tax (8.875 %)"),
        ("Hardware tax 6.5%", "6.5", "Hardware tax 6.5%"),  # the name states it: once
        ("GST 6,50 %", "6.5", "GST 6,50 %"),
        ("VAT 20%", "20.0000", "VAT 20%"),
        ("Hardware tax 6.5%", "5", "Hardware tax 6.5% (5 %)"),  # "5%" in "6.5%" is not 5 %
        ("Levy 2026", "20", "Levy 2026 (20 %)"),  # a number that is no percentage
        ("Zero rated", "0", "Zero rated (0 %)"),
    ],
)
def test_tax_label_appends_the_rate_unless_the_name_states_it(name, percent, label):
    assert tax_label(name, Decimal(percent)) == label
