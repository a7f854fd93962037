"""The lines of a credit note: what is left to credit on each invoice line, the credit lines
made from a choice of lines or from an amount, and their totals (tax per rate as invoices).

A part of a line is credited pro rata of the line's amount (its quantity x unit price less its
discount, or what a prorated service or a time line came to): crediting 2 of 5 credits 2/5 of
that amount, rounded half-up, and the last of a line takes exactly what is left of it, so the
credits of a line add up to the line's amount, never a minor unit more.
"""

from collections.abc import Iterable
from decimal import Decimal

import sqlalchemy as sa

from billing.errors import ValidationFailed
from billing.invoices.lines import ChargeLine, TaxInfo, Totals, totals
from billing.money import div_half_up, format_money
from billing.numbers import MAX_QUANTITY, QUANTITY_PLACES, decimals, number_text
from billing.settings import company_locale, get_settings
from models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, LineKind, db


def qty_field(line_id: int) -> str:
    """The form field of the quantity credited on one invoice line (errors beside it)."""
    return f"qty_{line_id}"


def _taxed(line: InvoiceLine | CreditNoteLine) -> bool:
    # The rule of billing.invoices.snapshot.tax_summary: a line with a rate, or its name kept.
    return bool(line.tax_name or line.tax_rate_id)


def totals_of(lines: Iterable[CreditNoteLine]) -> Totals:
    """Subtotal, tax per rate and total of credit note lines, by the invoices' one rule
    (:func:`billing.invoices.lines.totals`: tax rounded once per rate)."""
    return totals(
        ChargeLine(
            LineKind.CUSTOM,
            line.description,
            line.quantity,
            line.unit_price_minor,
            line.amount_minor,
            tax=TaxInfo(line.tax_rate_id, line.tax_name, line.tax_percent)
            if _taxed(line)
            else None,
        )
        for line in lines
    )


def credit_note_totals(credit_note: CreditNote) -> Totals:
    """The credit note's totals with tax per rate, from its stored lines (pages and PDFs)."""
    return totals_of(credit_note.lines)


def _credited(invoice: Invoice) -> dict[int, tuple[Decimal, int]]:
    """Per invoice line id: the quantity and the amount earlier credit notes credited."""
    rows = db.session.execute(
        sa.select(CreditNoteLine.invoice_line_id, CreditNoteLine.quantity,
                  CreditNoteLine.amount_minor)
        .join(CreditNote, CreditNoteLine.credit_note_id == CreditNote.id)
        .where(CreditNote.invoice_id == invoice.id, CreditNoteLine.invoice_line_id.is_not(None))
    ).all()  # fmt: skip
    credited: dict[int, tuple[Decimal, int]] = {}
    for line_id, quantity, amount in rows:
        was_quantity, was_amount = credited.get(line_id, (Decimal(0), 0))
        credited[line_id] = (was_quantity + quantity, was_amount + amount)
    return credited


def line_remaining(invoice: Invoice) -> dict[int, Decimal]:
    """Per invoice line id, the quantity not credited yet (in line order)."""
    credited = _credited(invoice)
    return {
        line.id: line.quantity - credited.get(line.id, (Decimal(0), 0))[0] for line in invoice.lines
    }


def _copy(line: InvoiceLine, position: int, quantity: Decimal, amount: int) -> CreditNoteLine:
    return CreditNoteLine(
        position=position,
        invoice_line_id=line.id,
        description=line.description,
        quantity=quantity,
        unit_price_minor=line.unit_price_minor,
        amount_minor=amount,
        tax_rate_id=line.tax_rate_id,
        tax_name=line.tax_name,
        tax_percent=line.tax_percent,
    )


def whole_lines(invoice: Invoice) -> list[CreditNoteLine]:
    """Every line of ``invoice`` in full (nothing credited on it yet)."""
    return [
        _copy(line, position, line.quantity, line.amount_minor)
        for position, line in enumerate(invoice.lines, start=1)
    ]


def _part_amount(line: InvoiceLine, quantity: Decimal, remaining: Decimal, left: int) -> int:
    """What crediting ``quantity`` of ``line`` comes to, ``left`` of its amount not credited."""
    if quantity == remaining:
        return left
    part_num, part_den = quantity.as_integer_ratio()
    whole_num, whole_den = line.quantity.as_integer_ratio()
    share = div_half_up(line.amount_minor * part_num * whole_den, part_den * whole_num)
    return min(share, left)


def chosen_lines(invoice: Invoice, chosen: dict[int, Decimal]) -> list[CreditNoteLine]:
    """Credit lines for ``chosen`` (invoice line id -> quantity), in the invoice's line order.

    :raise ValidationFailed: (beside ``qty_<line id>``, or ``lines`` when none is chosen) a line
        not on the invoice, a quantity not above zero, with more than 3 decimals, or above what
        is left to credit on the line.
    """
    if not chosen:
        raise ValidationFailed("Enter the quantity to credit on at least one line.", "lines")
    by_id = {line.id: line for line in invoice.lines}
    for line_id in chosen:
        if line_id not in by_id:
            raise ValidationFailed(
                f"Line #{line_id} is not on invoice {invoice.number}.", qty_field(line_id)
            )
    credited = _credited(invoice)
    made = []
    for position, line in enumerate(invoice.lines, start=1):
        if line.id not in chosen:
            continue
        quantity, field = chosen[line.id], qty_field(line.id)
        if not isinstance(quantity, Decimal) or not quantity.is_finite() or quantity <= 0:
            raise ValidationFailed("Enter a quantity above zero, or leave the line out.", field)
        if decimals(quantity) > QUANTITY_PLACES:
            raise ValidationFailed(f"Enter a quantity with at most {QUANTITY_PLACES} decimals.",
                                   field)  # fmt: skip
        was_quantity, was_amount = credited.get(line.id, (Decimal(0), 0))
        remaining = line.quantity - was_quantity
        if quantity > remaining:
            left = number_text(remaining) if remaining > 0 else "nothing"
            said = number_text(quantity) if quantity < MAX_QUANTITY else "That"
            raise ValidationFailed(
                f"{said} is more than is left to credit on this line ({left}).", field
            )
        amount = _part_amount(line, quantity, remaining, line.amount_minor - was_amount)
        made.append(_copy(line, position, quantity.normalize(), max(amount, 0)))
    return made


def amount_line(
    invoice: Invoice, amount_minor: int | None, tax_rate_id: int | None, description: str
) -> CreditNoteLine:
    """One credit line of ``amount_minor`` (net) at ``tax_rate_id``, a rate the invoice's lines
    use (its snapshot there: name and percent), or untaxed (None) when some lines are.

    :raise ValidationFailed: (beside ``amount`` or ``tax_rate``) no amount above zero, a rate
        not on the invoice, untaxed when every line is taxed.
    """
    if amount_minor is None or amount_minor <= 0:
        raise ValidationFailed("Enter an amount above zero.", "amount")
    if tax_rate_id is None:
        if all(_taxed(line) for line in invoice.lines):
            raise ValidationFailed(
                f"Every line of invoice {invoice.number} is taxed: choose one of its rates.",
                "tax_rate",
            )
        source = None
    else:
        source = next((line for line in invoice.lines if line.tax_rate_id == tax_rate_id), None)
        if source is None:
            raise ValidationFailed(
                f"Choose a tax rate used on invoice {invoice.number}'s lines.", "tax_rate"
            )
    return CreditNoteLine(
        position=1,
        description=description,
        quantity=Decimal(1),
        unit_price_minor=amount_minor,
        amount_minor=amount_minor,
        tax_rate_id=tax_rate_id,
        tax_name=source.tax_name if source else "",
        tax_percent=source.tax_percent if source else Decimal(0),
    )


def money(minor: int, currency: str) -> str:
    """``minor`` in ``currency`` as the company writes it."""
    return format_money(minor, currency, company_locale(get_settings()))
