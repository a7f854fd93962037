"""Tax percentages: parsed exactly as Decimal (never float), shown without trailing zeros."""

from decimal import Decimal

import pytest

from billing.catalog import parse_percent, percent_text
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
        ("Infinity", "from 0 to 100"),
        ("NaN", "from 0 to 100"),
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
