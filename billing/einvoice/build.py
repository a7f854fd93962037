"""Invoices and credit notes as EN 16931 documents (:class:`~billing.einvoice.document.Document`).

The seller is the invoice's issuer snapshot (the settings for what an older snapshot lacks);
the buyer its bill-to snapshot with the customer's e-invoicing details. What the document
cannot do without is refused with :class:`~billing.errors.Conflict`, in words that say what to
fill in and where; the forms refuse the same for a customer whose emails carry e-invoices.
"""

from datetime import date
from typing import Any

import sqlalchemy as sa
from schwifty import IBAN

from billing.einvoice import lines as en
from billing.einvoice.address import split_address
from billing.einvoice.buyer import country_names
from billing.einvoice.document import (
    CREDIT_NOTE,
    INVOICE,
    Document,
    Party,
    PaymentInstructions,
)
from billing.errors import Conflict
from billing.invoices.snapshot import EINVOICE_ISSUER_FIELDS
from billing.money import from_minor
from billing.settings import get_settings
from models import CreditNote, Customer, Invoice, InvoiceLine, TaxRate, db

MAX_BUYER_REFERENCE = 100


def invoice_document(invoice: Invoice) -> Document:
    """``invoice`` as an EN 16931 invoice (BT-3 380).

    :raise Conflict: the seller has no VAT number or tax registration, or a line that costs
        something has no tax rate.
    """
    sources = [_invoice_line(line) for line in invoice.lines]
    return _document(
        INVOICE,
        invoice,
        invoice,
        sources,
        due_date=invoice.due_date,
        period=(invoice.period_start, invoice.period_end),
    )


def credit_note_document(credit_note: CreditNote) -> Document:
    """``credit_note`` as an EN 16931 credit note (381) referring to its invoice (BG-3)."""
    invoice = credit_note.invoice
    originals = {line.id: line for line in invoice.lines}
    sources = []
    for line in credit_note.lines:
        original = originals.get(line.invoice_line_id) if line.invoice_line_id else None
        sources.append(
            en.SourceLine(
                position=len(sources) + 1,
                description=line.description,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                amount_minor=line.amount_minor,
                discount_minor=original.discount_minor if original is not None else 0,
                hourly=original is not None and original.kind in en.HOURLY_KINDS,
                tax_rate_id=line.tax_rate_id,
                taxed=bool(line.tax_name or line.tax_rate_id),
                tax_percent=line.tax_percent,
            )
        )
    return _document(
        CREDIT_NOTE,
        credit_note,
        invoice,
        sources,
        period=(invoice.period_start, invoice.period_end),
        preceding=((invoice.number, invoice.issue_date),),
        note=credit_note.reason,
    )


def _invoice_line(line: InvoiceLine) -> en.SourceLine:
    return en.SourceLine(
        position=line.position + 1,
        description=line.description,
        quantity=line.quantity,
        unit_price_minor=line.unit_price_minor,
        amount_minor=line.amount_minor,
        discount_minor=line.discount_minor,
        hourly=line.kind in en.HOURLY_KINDS,
        tax_rate_id=line.tax_rate_id,
        taxed=bool(line.tax_name or line.tax_rate_id),
        tax_percent=line.tax_percent,
    )


def _document(
    type_code: str,
    record: Invoice | CreditNote,
    invoice: Invoice,
    sources: list[en.SourceLine],
    *,
    due_date: date | None = None,
    period: tuple[date | None, date | None] = (None, None),
    preceding: tuple[tuple[str, date], ...] = (),
    note: str = "",
) -> Document:
    currency = record.currency
    issuer = _issuer(record.issuer or invoice.issuer or {})
    seller = seller_party(issuer)
    buyer = buyer_party(record.bill_to_name, record.bill_to_address, invoice.customer, seller)
    vats = en.categories(sources, _rates(sources))
    lines = tuple(en.en_line(s, vat, currency) for s, vat in zip(sources, vats, strict=True))
    groups, net, tax = en.breakdown(sources, vats, currency)
    total = from_minor(net + tax, currency)
    start, end = period
    return Document(
        type_code=type_code,
        number=record.number,
        issue_date=record.issue_date,
        currency=currency,
        seller=seller,
        buyer=buyer,
        lines=lines,
        groups=groups,
        line_total=from_minor(net, currency),
        tax_exclusive=from_minor(net, currency),
        tax_total=from_minor(tax, currency),
        tax_inclusive=total,
        payable=total,
        due_date=due_date,
        payment_terms=_terms(issuer, due_date) if type_code == INVOICE else "",
        buyer_reference=_buyer_reference(invoice),
        note=note or invoice.notes.strip(),
        period_start=start if start and end else None,
        period_end=end if start and end else None,
        payment=_payment(issuer, seller, record.number, currency),
        preceding=preceding,
    )


def _issuer(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The issuer snapshot; what an invoice made before e-invoicing lacks, from the settings."""
    settings = get_settings()
    issuer = dict(snapshot)
    for name in (*EINVOICE_ISSUER_FIELDS, "company_name", "address", "country"):
        if name not in issuer:
            issuer[name] = getattr(settings, name)
    return issuer


def seller_party(issuer: dict[str, Any]) -> Party:
    """The seller (BG-4) from an issuer snapshot.

    :raise Conflict: no VAT number (BT-31) and no tax registration (BT-32): BR-CO-26 and the
        VAT rules need one.
    """
    if not (issuer["vat_id"] or issuer["tax_registration"]):
        raise Conflict(
            "Seller VAT identifier (BT-31): an e-invoice needs your VAT number or tax "
            "registration. Fill it in under Admin > Settings > E-invoicing; nothing was made."
        )
    legal = issuer["legal_name"] or issuer["company_name"]
    country = issuer["country"]
    return Party(
        name=legal,
        trading_name=issuer["company_name"] if issuer["company_name"] != legal else "",
        address=split_address(issuer["address"], country, country_names()),
        vat_id=issuer["vat_id"],
        tax_registration=issuer["tax_registration"],
        legal_id=issuer["registration_number"],
        endpoint_id=issuer["endpoint_id"],
        endpoint_scheme=issuer["endpoint_scheme"],
        contact_name=issuer["contact_name"],
        contact_phone=issuer["contact_phone"],
        contact_email=issuer["contact_email"],
    )


def buyer_party(name: str, address: str, customer: Customer, seller: Party) -> Party:
    """The buyer (BG-7): the bill-to snapshot, with the customer's e-invoicing details (its
    country, else the seller's)."""
    country = customer.country or seller.address.country
    return Party(
        name=name,
        address=split_address(address, country, country_names()),
        vat_id=customer.vat_id,
        endpoint_id=customer.endpoint_id,
        endpoint_scheme=customer.endpoint_scheme,
    )


def _buyer_reference(invoice: Invoice) -> str:
    # Peppol wants BT-10 or an order reference (R003); without either, the buyer's own name
    # is the reference it can route the invoice by.
    reference = invoice.customer.buyer_reference or invoice.reference or invoice.bill_to_name
    return reference.strip()[:MAX_BUYER_REFERENCE]


def _terms(issuer: dict[str, Any], due_date: date | None) -> str:
    text = (issuer.get("payment_terms_text") or "").strip()
    if text or due_date is None:
        return text
    return f"Payment due by {due_date.isoformat()}."


def _payment(
    issuer: dict[str, Any], seller: Party, number: str, currency: str
) -> PaymentInstructions | None:
    """Credit transfer to the seller's IBAN (SEPA for euros inside the SEPA area)."""
    if not issuer["iban"]:
        return None
    sepa = currency == "EUR" and IBAN(issuer["iban"], allow_invalid=True).in_sepa_zone
    return PaymentInstructions(
        means_code="58" if sepa else "30",
        iban=issuer["iban"],
        bic=issuer["bic"],
        account_name=seller.name,
        remittance=number,
    )


def _rates(sources: list[en.SourceLine]) -> dict[int, TaxRate]:
    ids = {s.tax_rate_id for s in sources if s.tax_rate_id is not None}
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(TaxRate).where(TaxRate.id.in_(ids)))
    return {rate.id: rate for rate in rows}
