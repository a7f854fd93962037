"""Contract terms per type: required terms, periods, dates, other types' terms cleared."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from billing.contracts.parts import current_count
from billing.contracts.terms import (
    CLEARED_TERMS,
    ContractInput,
    InvalidContract,
    clean_terms,
    hours_text,
    parse_count,
    parse_hours,
    parse_quantity,
    type_fields,
)
from billing.errors import ValidationFailed
from models import BillingPeriod, ContractType

T = ContractType
START = date(2026, 1, 1)
# Every term filled in, so that each test shows which ones a type keeps.
EVERYTHING = dict(
    quantity="2",
    unit_price="150.00",
    unit_label="user",
    rounding_minutes=15,
    block_hours="7.5",
    block_amount="5000",
    overage_rate="135",
    rollover=True,
    fixed_amount="8500.00",
    primary_rate_id=3,
    primary_rate_price="110",
    unit_count="12",
)
# What each type keeps of EVERYTHING; every other term is cleared.
KEPT = {
    T.RETAINER: {"quantity": Decimal(2), "unit_price_minor": 15000},
    T.HOURLY: {"rounding_minutes": 15},
    T.BLOCK_HOURS: {
        "block_minutes": 450,
        "unit_price_minor": 15000,
        "overage_rate_minor": 13500,
        "rollover": True,
        "rounding_minutes": 15,
    },
    T.BLOCK_MONEY: {
        "block_amount_minor": 500000,
        "overage_rate_minor": 13500,
        "rollover": True,
        "rounding_minutes": 15,
    },
    T.PER_UNIT: {"unit_label": "user", "unit_price_minor": 15000},
    T.PROJECT_FIXED: {"fixed_amount_minor": 850000},
    T.PROJECT_HOURLY: {"rounding_minutes": 15},
}


def contract_input(kind: ContractType, **fields) -> ContractInput:
    values = dict(
        customer_id=1,
        name="Managed IT",
        type=kind.value,
        start_date=START,
        billing_period="monthly",
        **EVERYTHING,
    )
    return ContractInput(**{**values, **fields})


def refused(data: ContractInput, currency: str = "USD", **flags) -> dict[str, str]:
    """The broken rules, field -> message."""
    with pytest.raises(InvalidContract) as caught:
        clean_terms(data, currency, **flags)
    return {error.field: str(error) for error in caught.value.errors}


@pytest.mark.parametrize("kind", list(T))
def test_each_type_keeps_its_terms_and_clears_the_others(kind):
    clean = clean_terms(contract_input(kind), "USD")
    terms = {column: clean.columns[column] for column in CLEARED_TERMS}
    assert terms == {**CLEARED_TERMS, **KEPT[kind]}
    assert clean.columns["type"] is kind and clean.columns["name"] == "Managed IT"


@pytest.mark.parametrize(
    ("kind", "blank", "field", "message"),
    [
        (T.RETAINER, "quantity", "quantity", "Enter a quantity such as 1 or 2.5."),
        (T.RETAINER, "unit_price", "unit_price", "Enter an amount such as 1,234.50."),
        (T.BLOCK_HOURS, "block_hours", "block_hours", "Enter the hours, such as 10 or 7.5."),
        (T.BLOCK_HOURS, "unit_price", "unit_price", "Enter an amount such as 1,234.50."),
        (T.BLOCK_HOURS, "overage_rate", "overage_rate", "Enter an amount such as 1,234.50."),
        (T.BLOCK_MONEY, "block_amount", "block_amount", "Enter an amount such as 1,234.50."),
        (T.BLOCK_MONEY, "overage_rate", "overage_rate", "Enter an amount such as 1,234.50."),
        (T.PER_UNIT, "unit_price", "unit_price", "Enter an amount such as 1,234.50."),
        (T.PER_UNIT, "unit_label", "unit_label", "Choose whether devices or users are counted."),
        (T.PER_UNIT, "unit_count", "unit_count", "Enter a whole number of zero or more."),
        (T.PROJECT_FIXED, "fixed_amount", "fixed_amount", "Enter an amount such as 1,234.50."),
    ],
)
def test_each_type_requires_its_terms(kind, blank, field, message):
    assert refused(contract_input(kind, **{blank: ""})) == {field: message}


@pytest.mark.parametrize("kind", [T.HOURLY, T.BLOCK_MONEY, T.PROJECT_HOURLY])
def test_hourly_kinds_require_a_primary_rate_until_they_have_one(kind):
    data = contract_input(kind, primary_rate_id=None)
    assert refused(data) == {"primary_rate_id": "Choose the primary rate."}
    clean = clean_terms(data, "USD", has_primary_rate=True)
    assert clean.primary_rate_id is None
    clean = clean_terms(contract_input(kind), "USD")
    assert (clean.primary_rate_id, clean.primary_rate_price_minor) == (3, 11000)


def test_primary_rate_price_is_optional():
    clean = clean_terms(contract_input(T.HOURLY, primary_rate_price=""), "USD")
    assert clean.primary_rate_price_minor is None


@pytest.mark.parametrize("kind", [T.RETAINER, T.BLOCK_HOURS, T.PER_UNIT, T.PROJECT_FIXED])
def test_other_types_take_no_primary_rate(kind):
    assert clean_terms(contract_input(kind), "USD").primary_rate_id is None


def test_per_unit_starting_count_only_while_there_is_no_count():
    assert clean_terms(contract_input(T.PER_UNIT), "USD").unit_count == 12
    data = contract_input(T.PER_UNIT, unit_count="")
    assert clean_terms(data, "USD", has_unit_counts=True).unit_count is None
    assert clean_terms(contract_input(T.RETAINER), "USD").unit_count is None


@pytest.mark.parametrize("kind", [T.RETAINER, T.BLOCK_HOURS, T.BLOCK_MONEY, T.PER_UNIT])
def test_on_demand_is_only_for_hourly(kind):
    assert refused(contract_input(kind, billing_period="on_demand")) == {
        "billing_period": "On demand is only for hourly contracts."
    }


def test_hourly_may_be_billed_on_demand_or_every_period():
    for period in ("on_demand", "monthly", "quarterly", "yearly"):
        clean = clean_terms(contract_input(T.HOURLY, billing_period=period), "USD")
        assert clean.columns["billing_period"] == BillingPeriod(period)
    assert refused(contract_input(T.HOURLY, billing_period="once")) == {
        "billing_period": "Choose a billing period."
    }


@pytest.mark.parametrize("kind", [T.PROJECT_FIXED, T.PROJECT_HOURLY])
def test_projects_are_billed_once_whatever_is_sent(kind):
    for sent in ("monthly", "on_demand", ""):
        clean = clean_terms(contract_input(kind, billing_period=sent), "USD")
        assert clean.columns["billing_period"] is BillingPeriod.ONCE


@pytest.mark.parametrize(
    ("start", "end", "errors"),
    [
        (START, date(2026, 1, 2), {}),
        (START, None, {}),
        (START, START, {"end_date": "The end date must be after the start date."}),
        (START, date(2025, 12, 31), {"end_date": "The end date must be after the start date."}),
        (None, None, {"start_date": "Enter the start date."}),
    ],
)
def test_the_end_date_is_after_the_start(start, end, errors):
    data = contract_input(T.RETAINER, start_date=start, end_date=end)
    if errors:
        assert refused(data) == errors
    else:
        assert clean_terms(data, "USD").columns["end_date"] == end


def test_header_rules():
    assert refused(contract_input(T.RETAINER, name="  ")) == {"name": "Enter a name."}
    assert refused(contract_input(T.RETAINER, name="x" * 201)) == {
        "name": "Use at most 200 characters."
    }
    assert refused(contract_input(T.RETAINER, type="weekly")) == {"type": "Choose a contract type."}
    assert refused(contract_input(T.RETAINER, is_default=True, active=False)) == {
        "is_default": "An inactive contract cannot be the default."
    }
    assert refused(contract_input(T.RETAINER, taxable=True, tax_rate_id=None)) == {
        "tax_rate_id": "Choose the tax rate of this taxable contract."
    }


def test_taxable_keeps_its_tax_rate_and_not_taxable_clears_it():
    taxed = clean_terms(contract_input(T.RETAINER, taxable=True, tax_rate_id=4), "USD")
    assert taxed.columns["tax_rate_id"] == 4
    untaxed = clean_terms(contract_input(T.RETAINER, taxable=False, tax_rate_id=4), "USD")
    assert untaxed.columns["tax_rate_id"] is None


def test_every_broken_rule_is_reported_at_once():
    data = contract_input(T.BLOCK_HOURS, name="", block_hours="0", unit_price="-1", end_date=START)
    assert refused(data) == {
        "name": "Enter a name.",
        "end_date": "The end date must be after the start date.",
        "block_hours": "Enter hours above zero.",
        "unit_price": "Enter an amount of zero or more.",
    }


def test_money_is_parsed_in_the_customers_currency():
    clean = clean_terms(contract_input(T.PROJECT_FIXED, fixed_amount="120000"), "JPY")
    assert clean.columns["fixed_amount_minor"] == 120000
    assert refused(contract_input(T.PROJECT_FIXED, fixed_amount="10.5"), "JPY") == {
        "fixed_amount": "JPY amounts have at most 0 decimals."
    }


@pytest.mark.parametrize(
    ("kind", "field"), [(T.BLOCK_MONEY, "block_amount"), (T.PROJECT_FIXED, "fixed_amount")]
)
def test_block_and_fixed_amounts_are_above_zero(kind, field):
    assert refused(contract_input(kind, **{field: "0"})) == {field: "Enter an amount above zero."}


def test_rounding_increments():
    for minutes in (0, 1, 5, 6, 10, 15, 30, 60):
        data = contract_input(T.HOURLY, rounding_minutes=minutes)
        assert clean_terms(data, "USD").columns["rounding_minutes"] == minutes
    assert refused(contract_input(T.HOURLY, rounding_minutes=7)) == {
        "rounding_minutes": "Choose a rounding increment from the list."
    }


@pytest.mark.parametrize(
    ("text", "minutes"), [("20", 1200), ("7.5", 450), ("0.25", 15), ("1,000", 60000), ("0.01", 1)]
)
def test_parse_hours(text, minutes):
    assert parse_hours(text) == minutes
    assert parse_hours(hours_text(minutes)) == minutes


@pytest.mark.parametrize("text", ["", "ten", "0", "-2", "0.001", "NaN", "Infinity"])
def test_parse_hours_refuses(text):
    with pytest.raises(ValidationFailed) as caught:
        parse_hours(text)
    assert caught.value.field == "block_hours"


def test_hours_text_gives_minutes_back():
    assert [hours_text(m) for m in (1200, 450, 10, 439)] == ["20", "7.5", "0.17", "7.32"]
    assert all(parse_hours(hours_text(m)) == m for m in range(1, 600))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "above zero"),
        ("-1", "above zero"),
        ("1.2345", "at most 3 decimals"),
        ("x", "such as 1 or 2.5"),
        ("1000000", "below 1,000,000"),
    ],
)
def test_parse_quantity_refuses(text, message):
    with pytest.raises(ValidationFailed, match=message):
        parse_quantity(text)


def test_parse_quantity_and_count():
    assert parse_quantity("2.5") == Decimal("2.5") and parse_quantity("0.001") == Decimal("0.001")
    assert parse_count("0") == 0 and parse_count(" 42 ") == 42
    for text in ("", "-1", "1.5", "ten"):
        with pytest.raises(ValidationFailed, match="whole number"):
            parse_count(text)


def test_type_fields_leave_out_what_the_contract_has():
    assert type_fields(T.HOURLY, needs_primary_rate=True, needs_unit_count=False) == (
        "billing_period",
        "primary_rate_id",
        "primary_rate_price",
        "rounding_minutes",
    )
    assert type_fields(T.HOURLY, needs_primary_rate=False, needs_unit_count=False) == (
        "billing_period",
        "rounding_minutes",
    )
    assert type_fields(T.PER_UNIT, needs_primary_rate=False, needs_unit_count=False) == (
        "billing_period",
        "unit_label",
        "unit_price",
    )
    assert type_fields(T.PROJECT_FIXED, needs_primary_rate=True, needs_unit_count=True) == (
        "fixed_amount",
    )


def test_current_count_is_the_latest_on_or_before_today():
    counts = [
        SimpleNamespace(effective_date=date(2026, 1, 1), count=24),
        SimpleNamespace(effective_date=date(2026, 3, 15), count=29),
        SimpleNamespace(effective_date=date(2026, 2, 10), count=26),
    ]
    assert current_count(counts, date(2025, 12, 31)) is None
    assert current_count(counts, date(2026, 1, 1)) == 24
    assert current_count(counts, date(2026, 3, 14)) == 26
    assert current_count(counts, date(2026, 3, 15)) == 29


def test_input_is_a_value():
    data = contract_input(T.RETAINER)
    assert replace(data, name="Other").name == "Other" and data.name == "Managed IT"
