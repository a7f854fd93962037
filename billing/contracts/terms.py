"""The terms of each contract type: pure rules, no database.

A contract keeps its type's terms in nullable columns (see ``models.Contract``).
:func:`clean_terms` turns what the contract form holds into those columns, clears every column
the type does not use, and reports every broken rule at once (:class:`InvalidContract`).
``billing.contracts.store`` adds the rules that need the database and saves. Numbers are read in
the company's locale (:mod:`billing.numbers`, which looks the settings up).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from billing import numbers
from billing.errors import ValidationFailed
from billing.money import line_amount_minor, parse_amount
from billing.numbers import parse_quantity
from billing.work.durations import hours
from models import BillingPeriod, ContractType

T = ContractType
ROUNDING_MINUTES = (0, 1, 5, 6, 10, 15, 30, 60)
RECURRING = (BillingPeriod.MONTHLY, BillingPeriod.QUARTERLY, BillingPeriod.YEARLY)
PERIODS = {kind: RECURRING for kind in T} | {
    T.HOURLY: (*RECURRING, BillingPeriod.ON_DEMAND),
    T.PROJECT_FIXED: (BillingPeriod.ONCE,),
    T.PROJECT_HOURLY: (BillingPeriod.ONCE,),
}
UNIT_LABELS = ("device", "user")
NEEDS_PRIMARY_RATE = (T.HOURLY, T.BLOCK_MONEY, T.PROJECT_HOURLY)
MAX_NAME = 200
# Any decimals: hours are rounded to the minute. The bound keeps minutes in a 32-bit column.
HOURS = numbers.Kind(
    "hours", (Decimal(10), Decimal("7.5")), None, Decimal(10**7), positive=True,
    ask="Enter the hours,",
)  # fmt: skip
WHOLE = "Enter a whole number of zero or more."
COUNT = numbers.Kind("a whole number", (Decimal(12),), 0, Decimal(10**9), fine_message=WHOLE)
# The form fields of each type's terms, in the order the form shows them. The primary rate and
# the starting count are asked only while the contract has none (see ``type_fields``).
TYPE_FIELDS = {
    T.RETAINER: ("billing_period", "quantity", "unit_price"),
    T.HOURLY: ("billing_period", "primary_rate_id", "primary_rate_price", "rounding_minutes"),
    T.BLOCK_HOURS: (
        "billing_period", "block_hours", "unit_price", "overage_rate", "rollover",
        "rounding_minutes",
    ),
    T.BLOCK_MONEY: (
        "billing_period", "block_amount", "primary_rate_id", "primary_rate_price",
        "overage_rate", "rollover", "rounding_minutes",
    ),
    T.PER_UNIT: ("billing_period", "unit_label", "unit_price", "unit_count"),
    T.PROJECT_FIXED: ("fixed_amount",),
    T.PROJECT_HOURLY: ("primary_rate_id", "primary_rate_price", "rounding_minutes"),
}  # fmt: skip
# Each type-specific column's value when the type does not use it.
CLEARED_TERMS: dict[str, Any] = {
    "quantity": None,
    "unit_price_minor": None,
    "unit_label": None,
    "rounding_minutes": 0,
    "block_minutes": None,
    "block_amount_minor": None,
    "overage_rate_minor": None,
    "rollover": False,
    "fixed_amount_minor": None,
}


@dataclass(frozen=True)
class ContractInput:
    """What the contract form holds: text as typed, choices as ids or enum values."""

    customer_id: int | None
    name: str
    type: str
    start_date: date | None
    billing_period: str = ""
    end_date: date | None = None
    active: bool = True
    is_default: bool = False
    taxable: bool = False
    tax_rate_id: int | None = None
    notes: str = ""
    quantity: str = ""
    unit_price: str = ""
    unit_label: str = ""
    rounding_minutes: int = 0
    block_hours: str = ""
    block_amount: str = ""
    overage_rate: str = ""
    rollover: bool = False
    fixed_amount: str = ""
    primary_rate_id: int | None = None
    primary_rate_price: str = ""
    unit_count: str = ""


@dataclass(frozen=True)
class CleanContract:
    """Checked input: the contract's columns, and what goes into its rates and counts."""

    columns: dict[str, Any]
    primary_rate_id: int | None
    primary_rate_price_minor: int | None
    unit_count: int | None


class InvalidContract(ValidationFailed):
    """Several broken rules; ``errors`` lists each one with its field (the first is its own)."""

    def __init__(self, errors: list[ValidationFailed]):
        super().__init__(str(errors[0]), errors[0].field)
        self.errors = errors


class Checks:
    """Runs checks and keeps every :class:`ValidationFailed`, so a form shows them all at once."""

    def __init__(self) -> None:
        self.errors: list[ValidationFailed] = []

    def __call__(self, check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``check(*args, **kwargs)``, or None after noting the rule it broke."""
        try:
            return check(*args, **kwargs)
        except ValidationFailed as error:
            self.errors.extend(getattr(error, "errors", [error]))
            return None

    def fail(self, message: str, field: str) -> None:
        """Note a broken rule."""
        self.errors.append(ValidationFailed(message, field))

    def raise_any(self) -> None:
        """:raise InvalidContract: a rule was broken."""
        if self.errors:
            raise InvalidContract(self.errors)


def type_fields(kind: ContractType, *, needs_primary_rate: bool, needs_unit_count: bool) -> tuple:
    """The form fields of ``kind``'s terms, leaving out what the contract has already."""
    skip = set()
    if not needs_primary_rate:
        skip |= {"primary_rate_id", "primary_rate_price"}
    if not needs_unit_count:
        skip.add("unit_count")
    return tuple(name for name in TYPE_FIELDS[kind] if name not in skip)


def parse_type(value: str, *, field: str = "type") -> ContractType:
    """:raise ValidationFailed: not a contract type."""
    try:
        return ContractType(value)
    except ValueError:
        raise ValidationFailed("Choose a contract type.", field) from None


def check_period(kind: ContractType, value: str, *, field: str = "billing_period") -> BillingPeriod:
    """The billing period of a ``kind`` contract: projects are billed once whatever is sent.

    :raise ValidationFailed: none, or one the type does not allow (on demand is hourly only).
    """
    allowed = PERIODS[kind]
    if len(allowed) == 1:
        return allowed[0]
    if value not in allowed:
        if value == BillingPeriod.ON_DEMAND:
            raise ValidationFailed("On demand is only for hourly contracts.", field)
        raise ValidationFailed("Choose a billing period.", field)
    return BillingPeriod(value)


def check_dates(start: date | None, end: date | None) -> None:
    """:raise ValidationFailed: no start date, or an end date not after it."""
    if start is None:
        raise ValidationFailed("Enter the start date.", "start_date")
    if end is not None and end <= start:
        raise ValidationFailed("The end date must be after the start date.", "end_date")


def parse_hours(text: str, *, field: str = "block_hours") -> int:
    """Hours ("20", "7.5") as minutes above zero, rounded half-up to a whole minute.

    :raise ValidationFailed: not a number, under half a minute, or too large.
    """
    hours = numbers.parse_number(text, HOURS, field=field)
    minutes = (hours * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if minutes <= 0:
        raise ValidationFailed("Enter hours above zero.", field)
    return int(minutes)


def hours_text(minutes: int) -> str:
    """Minutes as hours for a form field ("7.5", "7,5" in de_DE); two decimals, enough to give
    them back."""
    return numbers.number_text(hours(minutes, places=2))


def parse_count(text: str, *, field: str = "count") -> int:
    """A whole count of zero or more.

    :raise ValidationFailed: anything else.
    """
    if not (text or "").strip():
        raise ValidationFailed(WHOLE, field)
    return int(numbers.parse_number(text, COUNT, field=field))


def _amount(name: str, *, positive: bool = False) -> Callable[[ContractInput, str], int]:
    def parse(data: ContractInput, currency: str) -> int:
        minor = parse_amount(getattr(data, name), currency, field=name)
        if positive and minor == 0:
            raise ValidationFailed("Enter an amount above zero.", name)
        return minor

    return parse


def _rounding(data: ContractInput, currency: str) -> int:
    if data.rounding_minutes not in ROUNDING_MINUTES:
        raise ValidationFailed("Choose a rounding increment from the list.", "rounding_minutes")
    return data.rounding_minutes


def _unit_label(data: ContractInput, currency: str) -> str:
    if data.unit_label not in UNIT_LABELS:
        raise ValidationFailed("Choose whether devices or users are counted.", "unit_label")
    return data.unit_label


def _rollover(data: ContractInput, currency: str) -> bool:
    return data.rollover


# Each type's columns, and how each is read from the input.
TERM_PARSERS: dict[ContractType, dict[str, Callable[[ContractInput, str], Any]]] = {
    T.RETAINER: {
        "quantity": lambda data, currency: parse_quantity(data.quantity),
        "unit_price_minor": _amount("unit_price"),
    },
    T.HOURLY: {"rounding_minutes": _rounding},
    T.BLOCK_HOURS: {
        "block_minutes": lambda data, currency: parse_hours(data.block_hours),
        "unit_price_minor": _amount("unit_price"),
        "overage_rate_minor": _amount("overage_rate"),
        "rollover": _rollover,
        "rounding_minutes": _rounding,
    },
    T.BLOCK_MONEY: {
        "block_amount_minor": _amount("block_amount", positive=True),
        "overage_rate_minor": _amount("overage_rate"),
        "rollover": _rollover,
        "rounding_minutes": _rounding,
    },
    T.PER_UNIT: {"unit_label": _unit_label, "unit_price_minor": _amount("unit_price")},
    T.PROJECT_FIXED: {"fixed_amount_minor": _amount("fixed_amount", positive=True)},
    T.PROJECT_HOURLY: {"rounding_minutes": _rounding},
}


def _name(text: str) -> str:
    name = (text or "").strip()
    if not name:
        raise ValidationFailed("Enter a name.", "name")
    if len(name) > MAX_NAME:
        raise ValidationFailed(f"Use at most {MAX_NAME} characters.", "name")
    return name


def _header(data: ContractInput, kind: ContractType, checks: Checks) -> dict[str, Any]:
    """The columns every type has."""
    if data.is_default and not data.active:
        checks.fail("An inactive contract cannot be the default.", "is_default")
    if data.taxable and data.tax_rate_id is None:
        checks.fail("Choose the tax rate of this taxable contract.", "tax_rate_id")
    return {
        "name": checks(_name, data.name),
        "type": kind,
        "billing_period": checks(check_period, kind, data.billing_period),
        "start_date": data.start_date,
        "end_date": data.end_date,
        "active": data.active,
        "is_default": data.is_default,
        "taxable": data.taxable,
        "tax_rate_id": data.tax_rate_id if data.taxable else None,
        "notes": (data.notes or "").strip(),
    }


def clean_terms(
    data: ContractInput,
    currency: str,
    *,
    has_primary_rate: bool = False,
    has_unit_counts: bool = False,
) -> CleanContract:
    """Check ``data`` without the database and return the contract's columns: the header, the
    terms of its type, and every other type's terms cleared (None, no rollover, no rounding).

    :raise InvalidContract: every rule ``data`` breaks, each with its field.
    """
    checks = Checks()
    kind = checks(parse_type, data.type)
    checks(check_dates, data.start_date, data.end_date)
    if kind is None:
        checks(_name, data.name)
        checks.raise_any()
    columns = {**_header(data, kind, checks), **CLEARED_TERMS}
    for column, parse in TERM_PARSERS[kind].items():
        columns[column] = checks(parse, data, currency)
    rate_id = price = count = None
    if kind in NEEDS_PRIMARY_RATE and not has_primary_rate:
        rate_id = data.primary_rate_id
        if rate_id is None:
            checks.fail("Choose the primary rate.", "primary_rate_id")
        if (data.primary_rate_price or "").strip():
            price = checks(
                parse_amount, data.primary_rate_price, currency, field="primary_rate_price"
            )
    if kind is T.PER_UNIT and not has_unit_counts:
        count = checks(parse_count, data.unit_count, field="unit_count")
    # What the terms bill in one line must fit one line (billing.money.MAX_LINE_MINOR).
    unit_price = columns.get("unit_price_minor")
    if kind is T.RETAINER and None not in (columns.get("quantity"), unit_price):
        checks(line_amount_minor, columns["quantity"], unit_price)
    if count is not None and unit_price is not None:
        checks(line_amount_minor, Decimal(count), unit_price, field="unit_count")
    checks.raise_any()
    return CleanContract(columns, rate_id, price, count)
