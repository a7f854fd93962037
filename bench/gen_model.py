"""Benchmark data: the light in-memory records the generator parts share, and small helpers.

Nothing is read back from the database during a load: customers, contracts (with their
effective prices) and the catalog travel between the parts as these records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from billing.money import div_half_up
from models import ContractType

T = ContractType
# Share of each contract type (every type appears at least once when there are 7 or more).
TYPE_WEIGHTS = {
    T.RETAINER: 25, T.HOURLY: 20, T.BLOCK_HOURS: 12, T.BLOCK_MONEY: 8,
    T.PER_UNIT: 20, T.PROJECT_FIXED: 8, T.PROJECT_HOURLY: 7,
}  # fmt: skip
HOURLY_KINDS = (T.HOURLY, T.PROJECT_HOURLY)
BLOCK_KINDS = (T.BLOCK_HOURS, T.BLOCK_MONEY)
# Minor units of a US dollar amount in each currency: (numerator, denominator).
FX = {"USD": (1, 1), "EUR": (92, 100), "GBP": (79, 100)}
# key: (name, percent x 10 000, default)
TAXES = {
    "sales": ("Sales tax 8.25%", 82_500, True),
    "hardware": ("Hardware tax 6.5%", 65_000, False),
    "EUR": ("VAT 21%", 210_000, False),
    "GBP": ("VAT 20%", 200_000, False),
}
RATES = [("Standard", 12_500), ("After hours", 18_750), ("Weekend", 25_000), ("Remote", 9_500)]


@dataclass(frozen=True, slots=True)
class Tax:
    """A tax rate as copied onto lines: id, name, percent scaled by 10 000."""

    id: int
    name: str
    percent: int


@dataclass(slots=True)
class Cust:
    id: int
    name: str
    currency: str
    exempt: bool
    address: str
    emails: str


@dataclass(slots=True, eq=False)
class Con:
    """A contract with what billing it needs: effective hourly prices, services, counts."""

    id: int
    customer: Cust
    type: ContractType
    name: str
    start: date
    end: date | None
    tax: Tax | None
    rates: dict[int, tuple[str, int]] = field(default_factory=dict)  # rate id -> name, price
    primary_rate: int | None = None
    services: list[tuple[int, str, int, int]] = field(
        default_factory=list
    )  # product, text, milli, price
    counts: list[tuple[date, int]] = field(default_factory=list)
    terms: dict[str, Any] = field(default_factory=dict)  # the Contract columns of its type

    def active_in(self, first: date, last: date) -> bool:
        """Whether the contract runs on some day from ``first`` to ``last``."""
        return self.start <= last and (self.end is None or self.end >= first)


@dataclass
class Catalog:
    """What the work and invoice parts build on."""

    today: date
    window_start: date
    admin_id: int
    people: list[int]
    taxes: dict[str, Tax]
    products: list[tuple[int, str, str, int, Tax | None]]  # id, sku, name, USD price, tax
    customers: list[Cust]
    contracts: list[Con]
    settings: Any
    issuer: dict[str, Any]
    names: dict[int, str]  # user id -> name, for time lines
    first_number: int = 1  # the settings' next invoice number before the load


def convert(minor_usd: int, currency: str) -> int:
    """A US dollar price in ``currency``, rounded to whole units."""
    num, den = FX[currency]
    return div_half_up(minor_usd * num, den * 100) * 100


def fx(minor_usd: int, currency: str) -> int:
    """A US dollar amount in ``currency``, to the minor unit."""
    num, den = FX[currency]
    return div_half_up(minor_usd * num, den)


def at(day: date, hour: int) -> datetime:
    """A UTC timestamp on ``day`` at ``hour``."""
    return datetime.combine(day, time(hour), UTC)


def spread(rng: random.Random, total: int, count: int, minimum: int = 0) -> list[int]:
    """``total`` split over ``count`` parts of at least ``minimum``, unevenly but exactly."""
    if count <= 0:
        return []
    rest = total - minimum * count
    if rest < 0:
        raise ValueError(f"cannot split {total} into {count} parts of at least {minimum}")
    weights = [rng.random() ** 2 + 0.05 for _ in range(count)]
    scale = rest / sum(weights)
    parts = [int(w * scale) for w in weights]
    for index in rng.sample(range(count), rest - sum(parts)):  # fewer than count by flooring
        parts[index] += 1
    return [minimum + p for p in parts]
