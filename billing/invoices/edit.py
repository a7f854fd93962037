"""Flexible invoices and the editing of any Draft: header, lines, totals, and status by hand.

Every change calls :func:`billing.invoices.status.ensure_editable` first (only a Draft
changes), checks all of its input before it touches the session, then recomputes the totals
and records an ``edited`` event. Nothing is committed here: on any error the caller rolls back.

A line's amount is :func:`billing.money.line_amount_minor` (quantity x unit price, rounded
half-up, at most :data:`billing.money.MAX_LINE_MINOR`) less its discount; an invoice's total
stays at most :data:`MAX_TOTAL_MINOR`.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from billing.audit import record_event
from billing.errors import ValidationFailed
from billing.invoices.numbering import take_numbers
from billing.invoices.snapshot import invoice_header, recompute_totals
from billing.invoices.status import allowed, change_status, ensure_editable
from billing.money import MAX_LINE_MINOR, line_amount_minor, parse_amount
from billing.numbers import parse_quantity
from billing.settings import get_settings
from models import (
    Contract,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Product,
    TaxRate,
    User,
    db,
)

MAX_DESCRIPTION = 500
MAX_REFERENCE = 100
MAX_NOTES = 5000
MAX_REASON = 500
# As much as one line may come to, so a one-line invoice always fits.
MAX_TOTAL_MINOR = MAX_LINE_MINOR
EDITED = ("description", "quantity", "unit price", "discount", "tax")


@dataclass(frozen=True)
class LineInput:
    """A line as typed: text fields unparsed; a product fills an empty description or price."""

    description: str
    quantity: str
    unit_price: str
    discount: str = ""
    tax_rate_id: int | None = None
    product_id: int | None = None


@dataclass(frozen=True)
class SavedLine:
    """The saved line, and a notice for the user ("" if none), e.g. tax dropped as exempt."""

    line: InvoiceLine
    notice: str = ""


def create_invoice(
    customer: Customer | None,
    contract: Contract | None,
    issue_date: date | None,
    due_date: date | None,
    user: User | None,
) -> Invoice:
    """A blank Draft for ``customer`` (optionally under one of its active contracts), numbered
    from the sequence, with the issuer and bill-to snapshot and a ``created`` event.

    The due date defaults to the issue date plus the settings' payment terms.

    :raise ValidationFailed: no active customer, a contract of another customer or inactive,
        no issue date, or a due date before it.
    """
    if customer is None or not customer.active:
        raise ValidationFailed("Choose an active customer.", "customer_id")
    if contract is not None and (contract.customer_id != customer.id or not contract.active):
        raise ValidationFailed(
            f"Choose one of the active contracts of {customer.name}, or none.", "contract_id"
        )
    if issue_date is None:
        raise ValidationFailed("Enter the issue date.", "issue_date")
    if due_date is None:
        due_date = issue_date + timedelta(days=get_settings().payment_terms_days)
    if due_date < issue_date:
        raise ValidationFailed("The due date cannot be before the issue date.", "due_date")
    header = invoice_header(customer, issue_date)
    header.update(due_date=due_date, number=take_numbers(1)[0])
    invoice = Invoice(
        **header,
        contract_id=contract.id if contract else None,
        status=InvoiceStatus.DRAFT,
        created_by_id=user.id if user else None,
    )
    db.session.add(invoice)
    db.session.flush()
    record_event(invoice, user, "created", "Created by hand.", to_status=InvoiceStatus.DRAFT)
    return invoice


@dataclass(frozen=True)
class _Clean:
    description: str
    quantity: Decimal
    unit_price_minor: int
    discount_minor: int
    amount_minor: int
    tax: TaxRate | None
    product: Product | None
    notice: str


def _product(product_id: int | None) -> Product | None:
    if product_id is None:
        return None
    product = db.session.get(Product, product_id)
    if product is None or not product.active:
        raise ValidationFailed("Choose an active product from the list.", "product_id")
    return product


def _unit_price(text: str, product: Product | None, currency: str) -> int:
    if not (text or "").strip() and product is not None:
        if product.currency != currency:
            raise ValidationFailed(
                f"{product.name} is priced in {product.currency}; enter its price in {currency}.",
                "unit_price",
            )
        return product.unit_price_minor
    if not (text or "").strip():
        raise ValidationFailed("Enter the unit price.", "unit_price")
    return parse_amount(text, currency, field="unit_price")


def _tax(invoice: Invoice, tax_rate_id: int | None, line: InvoiceLine | None):
    """The rate to apply and a notice: none for a tax-exempt customer, said if one was chosen."""
    if tax_rate_id is None:
        return None, ""
    tax = db.session.get(TaxRate, tax_rate_id)
    kept = line is not None and line.tax_rate_id == tax_rate_id
    if tax is None or not (tax.active or kept):
        raise ValidationFailed("Choose an active tax rate, or no tax.", "tax_rate_id")
    if invoice.customer.tax_exempt:
        return None, f"{invoice.customer.name} is tax exempt: the line was saved without tax."
    return tax, ""


def _clean(invoice: Invoice, data: LineInput, line: InvoiceLine | None) -> _Clean:
    product = _product(data.product_id) if line is None else None
    description = (data.description or "").strip() or (product.name if product else "")
    if not description:
        raise ValidationFailed("Enter a description.", "description")
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(f"Use at most {MAX_DESCRIPTION} characters.", "description")
    quantity = parse_quantity(data.quantity)
    price = _unit_price(data.unit_price, product, invoice.currency)
    discount = 0
    if (data.discount or "").strip():
        discount = parse_amount(data.discount, invoice.currency, field="discount")
    gross = line_amount_minor(quantity, price)
    if discount > gross:
        raise ValidationFailed("The discount cannot exceed quantity x unit price.", "discount")
    tax, notice = _tax(invoice, data.tax_rate_id, line)
    return _Clean(description, quantity, price, discount, gross - discount, tax, product, notice)


def _apply_tax(line: InvoiceLine, tax: TaxRate | None) -> None:
    if tax is None:
        line.tax_rate_id, line.tax_name, line.tax_percent = None, "", Decimal(0)
    elif tax.id != line.tax_rate_id:
        # A snapshot: later edits of the rate do not reach this line; an unchanged rate keeps it.
        line.tax_rate_id, line.tax_name, line.tax_percent = tax.id, tax.name, tax.percent


def _recompute(invoice: Invoice) -> None:
    recompute_totals(invoice)
    if invoice.total_minor > MAX_TOTAL_MINOR:
        raise ValidationFailed("The invoice total would be too large.", "quantity")


def add_line(invoice: Invoice, data: LineInput, user: User | None = None) -> SavedLine:
    """Add a catalog product or a free line at the end of a Draft.

    :raise Conflict: the invoice is past Draft.
    :raise ValidationFailed: beside ``product_id``, ``description``, ``quantity``,
        ``unit_price``, ``discount`` or ``tax_rate_id``.
    """
    ensure_editable(invoice)
    clean = _clean(invoice, data, None)
    position = db.session.scalar(
        select(func.coalesce(func.max(InvoiceLine.position), -1)).where(
            InvoiceLine.invoice_id == invoice.id
        )
    )
    line = InvoiceLine(
        kind=LineKind.PRODUCT if clean.product else LineKind.CUSTOM,
        position=position + 1,
        product_id=clean.product.id if clean.product else None,
        description=clean.description,
        quantity=clean.quantity,
        unit_price_minor=clean.unit_price_minor,
        discount_minor=clean.discount_minor,
        amount_minor=clean.amount_minor,
    )
    _apply_tax(line, clean.tax)
    invoice.lines.append(line)
    _recompute(invoice)
    db.session.flush()
    record_event(invoice, user, "edited", f'Added line "{line.description}".', data=_facts(line))
    return SavedLine(line, clean.notice)


def update_line(line: InvoiceLine, data: LineInput, user: User | None = None) -> SavedLine:
    """Change a line's description, quantity, price, discount or tax rate.

    The amount is recomputed only when quantity, price or discount change, so that editing the
    text of a batch line (prorated, or time billed by the minute) keeps what it bills.

    :raise Conflict: the invoice is past Draft.
    :raise ValidationFailed: as :func:`add_line` (the product cannot be changed).
    """
    invoice = line.invoice
    ensure_editable(invoice)
    clean = _clean(invoice, data, line)
    before = _facts(line)
    priced = (clean.quantity, clean.unit_price_minor, clean.discount_minor)
    if priced != (line.quantity, line.unit_price_minor, line.discount_minor):
        line.amount_minor = clean.amount_minor
    line.description, line.quantity = clean.description, clean.quantity
    line.unit_price_minor, line.discount_minor = clean.unit_price_minor, clean.discount_minor
    _apply_tax(line, clean.tax)
    after = _facts(line)
    changed = [name for name in EDITED if before[name] != after[name]]
    _recompute(invoice)
    if changed:
        message = f'Changed line "{line.description}": {", ".join(changed)}.'
        record_event(invoice, user, "edited", message, data=after)
    return SavedLine(line, clean.notice)


def delete_line(line: InvoiceLine, user: User | None = None) -> None:
    """Remove a line from a Draft.

    :raise Conflict: the invoice is past Draft.
    """
    invoice = line.invoice
    ensure_editable(invoice)
    facts = _facts(line)
    invoice.lines.remove(line)
    _recompute(invoice)
    record_event(invoice, user, "edited", f'Removed line "{line.description}".', data=facts)


def update_header(
    invoice: Invoice, notes: str, reference: str, due_date: date | None, user: User | None = None
) -> list[str]:
    """Change a Draft's notes, reference and due date; returns what changed (recorded).

    :raise Conflict: the invoice is past Draft.
    :raise ValidationFailed: beside ``due_date``, ``reference`` or ``notes``.
    """
    ensure_editable(invoice)
    notes, reference = (notes or "").strip(), (reference or "").strip()
    if due_date is None:
        raise ValidationFailed("Enter the due date.", "due_date")
    if due_date < invoice.issue_date:
        raise ValidationFailed("The due date cannot be before the issue date.", "due_date")
    if len(reference) > MAX_REFERENCE:
        raise ValidationFailed(f"Use at most {MAX_REFERENCE} characters.", "reference")
    if len(notes) > MAX_NOTES:
        raise ValidationFailed(f"Use at most {MAX_NOTES} characters.", "notes")
    changed = []
    if due_date != invoice.due_date:
        changed.append(f"due date {invoice.due_date.isoformat()} -> {due_date.isoformat()}")
    if reference != invoice.reference:
        changed.append("reference")
    if notes != invoice.notes:
        changed.append("notes")
    invoice.notes, invoice.reference, invoice.due_date = notes, reference, due_date
    recompute_totals(invoice)
    if changed:
        record_event(invoice, user, "edited", f"Changed {', '.join(changed)}.")
    return changed


def set_status_by_hand(invoice: Invoice, target: str, reason: str, user: User | None) -> bool:
    """An admin moves ``invoice`` to ``target`` along the table; back to Draft needs a reason.

    Returns False if it already had that status (nothing recorded).

    :raise ValidationFailed: an unknown status, a too long reason, or none back to Draft.
    :raise Conflict: the transition is not in the table.
    """
    try:
        wanted = InvoiceStatus(target)
    except ValueError:
        raise ValidationFailed("Choose a status.", "status") from None
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"Use at most {MAX_REASON} characters.", "reason")
    if wanted == invoice.status:
        return False
    back_to_draft = wanted == InvoiceStatus.DRAFT and wanted in allowed(invoice.status)
    if back_to_draft and not reason:
        raise ValidationFailed("Say why the invoice goes back to Draft.", "reason")
    change_status(invoice, wanted, user, reason)  # refuses what the table does not allow
    return True


def _facts(line: InvoiceLine) -> dict[str, object]:
    """What an event records of a line (JSON); the :data:`EDITED` keys name what changed."""
    return {
        "line_id": line.id,
        "description": line.description,
        "quantity": f"{line.quantity.normalize():f}",
        "unit price": line.unit_price_minor,
        "discount": line.discount_minor,
        "tax": line.tax_name,
        "amount_minor": line.amount_minor,
    }
