"""Invoice lines as computed by the billing rules, and the totals of a set of lines.

Tax is computed per rate on the sum of the lines at that rate and rounded once per rate
(half-up); a line's amount is already rounded to the currency's minor unit.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from billing.money import div_half_up
from billing.work.durations import format_duration
from models import LineKind, TaxRate

PERCENT_SCALE = 10_000  # TaxRate.percent has 4 decimals


@dataclass(frozen=True)
class TaxInfo:
    """A tax rate as applied to a line (a snapshot: later edits to the rate do not apply)."""

    id: int | None
    name: str
    percent: Decimal

    @classmethod
    def of(cls, rate: TaxRate | None) -> "TaxInfo | None":
        return None if rate is None else cls(rate.id, rate.name, rate.percent)


@dataclass
class ChargeLine:
    """One line of a draft invoice, with where it came from."""

    kind: LineKind
    description: str
    quantity: Decimal
    unit_price_minor: int
    amount_minor: int
    discount_minor: int = 0
    tax: TaxInfo | None = None
    contract_id: int | None = None
    ticket_id: int | None = None
    time_entry_id: int | None = None
    expense_id: int | None = None
    product_id: int | None = None


@dataclass(frozen=True)
class TaxTotal:
    tax: TaxInfo
    base_minor: int
    tax_minor: int


@dataclass(frozen=True)
class Totals:
    subtotal_minor: int
    tax_minor: int
    taxes: tuple[TaxTotal, ...] = field(default_factory=tuple)

    @property
    def total_minor(self) -> int:
        return self.subtotal_minor + self.tax_minor


def tax_amount(base_minor: int, percent: Decimal) -> int:
    """``base`` x ``percent`` %, rounded half-up to the minor unit."""
    scaled = int(percent.scaleb(4))
    return div_half_up(base_minor * scaled, 100 * PERCENT_SCALE)


def totals(lines: Iterable[ChargeLine]) -> Totals:
    """Subtotal, tax per rate (rounded once per rate) and the taxes' sum."""
    subtotal = 0
    bases: dict[TaxInfo, int] = {}
    for line in lines:
        subtotal += line.amount_minor
        if line.tax is not None and line.tax.percent > 0:
            bases[line.tax] = bases.get(line.tax, 0) + line.amount_minor
    taxes = tuple(
        TaxTotal(tax, base, tax_amount(base, tax.percent))
        for tax, base in sorted(bases.items(), key=lambda item: (item[0].name, item[0].percent))
    )
    return Totals(subtotal, sum(t.tax_minor for t in taxes), taxes)


# The one duration format, under the name the billing rules import it by.
format_minutes = format_duration
