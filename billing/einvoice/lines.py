"""Invoice and credit note lines in EN 16931's terms: quantity x price - allowance = net
(PEPPOL-EN16931-R120), each line's VAT category, and the VAT breakdown (BG-23).

Tax is computed once per category and rate (BR-CO-17), as :func:`billing.invoices.lines.totals`
computes it per rate, so the XML and the PDF agree.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from billing.einvoice.document import HOUR, ONE, Line, VatCategory, VatGroup
from billing.errors import Conflict
from billing.invoices.lines import tax_amount
from billing.money import from_minor, line_amount_minor
from models import LineKind, TaxRate

NAME_LENGTH = 100  # BT-153 is kept to one readable line; the whole text goes in BT-154
HOURLY_KINDS = (LineKind.TIME, LineKind.TICKET)
PRICE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class SourceLine:
    """What a stored invoice or credit note line holds that the XML needs."""

    position: int
    description: str
    quantity: Decimal
    unit_price_minor: int
    amount_minor: int
    discount_minor: int
    hourly: bool
    tax_rate_id: int | None
    taxed: bool  # a rate applies (its id, or its name kept after the rate was deleted)
    tax_percent: Decimal


def category_of(line: SourceLine, rates: Mapping[int, TaxRate]) -> VatCategory | None:
    """The line's VAT category from its tax rate; None for a line without one."""
    rate = rates.get(line.tax_rate_id) if line.tax_rate_id is not None else None
    if rate is not None:
        percent = plain(line.tax_percent) if rate.vat_category == "S" else Decimal(0)
        return VatCategory(rate.vat_category, percent, rate.exemption_reason, rate.exemption_code)
    if line.taxed and line.tax_percent > 0:
        return VatCategory("S", plain(line.tax_percent))  # its rate deleted since: the snapshot
    return None


def plain(number: Decimal) -> Decimal:
    """``number`` without trailing zeros and never in exponent form (19.0000 -> 19)."""
    return number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()


def categories(lines: list[SourceLine], rates: Mapping[int, TaxRate]) -> list[VatCategory]:
    """Each line's VAT category. A line without a tax rate joins the invoice's one untaxed
    category (reverse charge, exempt...) or, costing nothing, the first line's category.

    :raise Conflict: a line that costs something has no tax rate and no category fits it.
    """
    found = [category_of(line, rates) for line in lines]
    zero = {vat for vat in found if vat is not None and vat.percent == 0}
    fallback = next(iter(zero)) if len(zero) == 1 else None
    first = next((vat for vat in found if vat is not None), None)
    for index, (line, vat) in enumerate(zip(lines, found, strict=True)):
        if vat is not None:
            continue
        vat = fallback or (first if line.amount_minor == 0 else None)
        if vat is None:
            raise Conflict(
                f"Line {line.position} ({_name(line.description)}) has no tax rate, and an "
                "e-invoice needs a VAT category (BT-151) on every line: give it a tax rate "
                "(a 0 % rate of category E, Z or AE where no VAT is charged)."
            )
        found[index] = vat
    return [vat for vat in found if vat is not None]


def _name(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else "-"
    return first if len(first) <= NAME_LENGTH else first[: NAME_LENGTH - 1] + "…"


def en_line(line: SourceLine, vat: VatCategory, currency: str) -> Line:
    """One line whose net is its quantity x price less its allowance (R120).

    Lines billed here already obey it (an allowance is the line's discount). A line stored
    before that rule whose amount is not its quantity x price is written with the price its
    amount implies (4 decimals), so the XML still adds up to what the customer was billed.
    """
    quantity, price = line.quantity, from_minor(line.unit_price_minor, currency)
    gross = line_amount_minor(quantity, line.unit_price_minor)
    allowance = 0
    if line.discount_minor and gross >= line.amount_minor:
        allowance = gross - line.amount_minor
    elif abs(gross - line.amount_minor) > 1:  # one minor unit is the rules' rounding slack
        if quantity == 0:
            quantity = Decimal(1)
        price = (from_minor(line.amount_minor, currency) / quantity).quantize(PRICE_PLACES)
    name = _name(line.description)
    return Line(
        id=str(line.position),
        name=name,
        quantity=quantity,
        unit_code=HOUR if line.hourly else ONE,
        price=price,
        net=from_minor(line.amount_minor, currency),
        vat=vat,
        allowance=from_minor(allowance, currency),
        description=line.description.strip() if line.description.strip() != name else "",
    )


def breakdown(
    lines: Iterable[SourceLine], vats: Iterable[VatCategory], currency: str
) -> tuple[tuple[VatGroup, ...], int, int]:
    """The VAT breakdown per category and rate, the lines' net sum and the tax (minor units)."""
    bases: dict[VatCategory, int] = {}
    for line, vat in zip(lines, vats, strict=True):
        bases[vat] = bases.get(vat, 0) + line.amount_minor
    groups, net, tax = [], 0, 0
    for vat, base in sorted(bases.items(), key=lambda item: (item[0].code, item[0].percent)):
        amount = tax_amount(base, vat.percent)
        groups.append(VatGroup(vat, from_minor(base, currency), from_minor(amount, currency)))
        net, tax = net + base, tax + amount
    return tuple(groups), net, tax
