"""A :class:`~billing.einvoice.document.Document` as a UBL 2.1 Invoice or CreditNote, for Peppol
BIS Billing 3.0 or XRechnung 3.0 (issue #17).

The writer only serialises: every amount is the document's, written with 2 decimals, never
recomputed. The UBL schema is a sequence, so each element is appended in the order the XSD
declares it. A value the document leaves blank is left out, and so is a group left with nothing
in it: PEPPOL-EN16931-R008 forbids empty elements.
"""

from datetime import date
from decimal import Decimal

from lxml import etree

from billing.einvoice.document import (
    PEPPOL_CUSTOMIZATION,
    PEPPOL_PROFILE,
    XRECHNUNG_CUSTOMIZATION,
    Document,
    Line,
    Party,
    PaymentInstructions,
    VatCategory,
    xml_text,
)

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

# BT-24 of each flavour; both use Peppol's BT-23 (XRechnung 3.0 requires one, PEPPOL-EN16931-R001).
CUSTOMIZATIONS = {"peppol": PEPPOL_CUSTOMIZATION, "xrechnung": XRECHNUNG_CUSTOMIZATION}
VAT = "VAT"
# BT-32's tax scheme: any ID but VAT marks the seller's tax registration (UBL-SR-13); "FC" is
# the code CII uses for the same term.
TAX_REGISTRATION_SCHEME = "FC"
CENT = Decimal("0.01")


def ubl_xml(doc: Document, flavour: str) -> bytes:
    """``doc`` as UTF-8 UBL XML with its declaration: an ``Invoice``, or a ``CreditNote`` when
    ``doc.type_code`` is 381. ``flavour`` is ``"peppol"`` or ``"xrechnung"``.

    :raise ValueError: an unknown flavour, or an amount with more than 2 decimals.
    """
    if flavour not in CUSTOMIZATIONS:
        raise ValueError(f"unknown UBL flavour {flavour!r}")
    namespace = NS_CREDIT_NOTE if doc.is_credit_note else NS_INVOICE
    root_tag = "CreditNote" if doc.is_credit_note else "Invoice"
    nsmap = {None: namespace, "cac": NS_CAC, "cbc": NS_CBC}
    root = etree.Element(f"{{{namespace}}}{root_tag}", nsmap=nsmap)
    _header(root, doc, CUSTOMIZATIONS[flavour])
    _party(_cac(root, "AccountingSupplierParty"), doc.seller, seller=True)
    _party(_cac(root, "AccountingCustomerParty"), doc.buyer, seller=False)
    if doc.payment:
        _payment_means(root, doc.payment, doc.due_date if doc.is_credit_note else None)
    _cbc(_cac(root, "PaymentTerms"), "Note", doc.payment_terms)
    _tax_total(root, doc)
    _totals(root, doc)
    for line in doc.lines:
        _line(root, line, doc)
    _drop_empty(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _header(root: etree._Element, doc: Document, customization: str) -> None:
    """BT-24, BT-23, BT-1, BT-2, BT-9, BT-3, BT-22, BT-5, BT-10, BG-14, BT-13 and BG-3."""
    _cbc(root, "CustomizationID", customization)
    _cbc(root, "ProfileID", PEPPOL_PROFILE)
    _cbc(root, "ID", doc.number)
    _cbc(root, "IssueDate", doc.issue_date)
    if doc.is_credit_note:
        # A UBL credit note has no DueDate: BT-9 goes into its PaymentMeans.
        _cbc(root, "CreditNoteTypeCode", doc.type_code)
    else:
        _cbc(root, "DueDate", doc.due_date)
        _cbc(root, "InvoiceTypeCode", doc.type_code)
    _cbc(root, "Note", doc.note)
    _cbc(root, "DocumentCurrencyCode", doc.currency)
    _cbc(root, "BuyerReference", doc.buyer_reference)
    period = _cac(root, "InvoicePeriod")
    _cbc(period, "StartDate", doc.period_start)
    _cbc(period, "EndDate", doc.period_end)
    _cbc(_cac(root, "OrderReference"), "ID", doc.order_reference)
    for number, issued in doc.preceding:
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", number)
        _cbc(reference, "IssueDate", issued)


def _party(parent: etree._Element, party: Party, *, seller: bool) -> None:
    """BG-4 or BG-7 as ``cac:Party``, with its address, tax schemes, legal entity and contact."""
    element = _cac(parent, "Party")
    _cbc(element, "EndpointID", party.endpoint_id, schemeID=party.endpoint_scheme)
    _cbc(_cac(element, "PartyName"), "Name", party.trading_name)
    address = _cac(element, "PostalAddress")
    _cbc(address, "StreetName", party.address.street)
    _cbc(address, "AdditionalStreetName", party.address.additional)
    _cbc(address, "CityName", party.address.city)
    _cbc(address, "PostalZone", party.address.postcode)
    _cbc(_cac(address, "Country"), "IdentificationCode", party.address.country)
    _tax_scheme(element, party.vat_id, VAT)
    if seller:  # BT-32 exists for the seller only
        _tax_scheme(element, party.tax_registration, TAX_REGISTRATION_SCHEME)
    legal = _cac(element, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", party.name)
    _cbc(legal, "CompanyID", party.legal_id)
    contact = _cac(element, "Contact")
    _cbc(contact, "Name", party.contact_name)
    _cbc(contact, "Telephone", party.contact_phone)
    _cbc(contact, "ElectronicMail", party.contact_email)


def _tax_scheme(party: etree._Element, company_id: str, scheme: str) -> None:
    """A ``cac:PartyTaxScheme`` for ``company_id``, none when it is blank."""
    if _blank(company_id):
        return
    element = _cac(party, "PartyTaxScheme")
    _cbc(element, "CompanyID", company_id)
    _cbc(_cac(element, "TaxScheme"), "ID", scheme)


def _payment_means(root: etree._Element, payment: PaymentInstructions, due: date | None) -> None:
    """BG-16 and BG-17; ``due`` is a credit note's BT-9."""
    means = _cac(root, "PaymentMeans")
    _cbc(means, "PaymentMeansCode", payment.means_code)
    _cbc(means, "PaymentDueDate", due)
    _cbc(means, "PaymentID", payment.remittance)
    account = _cac(means, "PayeeFinancialAccount")
    _cbc(account, "ID", payment.iban)
    _cbc(account, "Name", payment.account_name)
    _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", payment.bic)


def _tax_total(root: etree._Element, doc: Document) -> None:
    """BT-110 and one ``cac:TaxSubtotal`` per VAT breakdown (BG-23)."""
    total = _cac(root, "TaxTotal")
    _cbc(total, "TaxAmount", _amount(doc.tax_total), currencyID=doc.currency)
    for group in doc.groups:
        subtotal = _cac(total, "TaxSubtotal")
        _cbc(subtotal, "TaxableAmount", _amount(group.taxable), currencyID=doc.currency)
        _cbc(subtotal, "TaxAmount", _amount(group.tax), currencyID=doc.currency)
        _category(subtotal, "TaxCategory", group.vat, exemption=True)


def _totals(root: etree._Element, doc: Document) -> None:
    """BG-22: BT-106, BT-109, BT-112, BT-113 when anything was paid, BT-115."""
    totals = _cac(root, "LegalMonetaryTotal")
    amounts = (
        ("LineExtensionAmount", doc.line_total),
        ("TaxExclusiveAmount", doc.tax_exclusive),
        ("TaxInclusiveAmount", doc.tax_inclusive),
        ("PrepaidAmount", doc.prepaid or None),
        ("PayableAmount", doc.payable),
    )
    for tag, value in amounts:
        if value is not None:
            _cbc(totals, tag, _amount(value), currencyID=doc.currency)


def _line(root: etree._Element, line: Line, doc: Document) -> None:
    """BG-25 as ``cac:InvoiceLine`` or ``cac:CreditNoteLine``, with its discount (BG-27)."""
    credit = doc.is_credit_note
    element = _cac(root, "CreditNoteLine" if credit else "InvoiceLine")
    _cbc(element, "ID", line.id)
    quantity_tag = "CreditedQuantity" if credit else "InvoicedQuantity"
    _cbc(element, quantity_tag, _decimal(line.quantity), unitCode=line.unit_code)
    _cbc(element, "LineExtensionAmount", _amount(line.net), currencyID=doc.currency)
    if line.allowance:
        allowance = _cac(element, "AllowanceCharge")
        _cbc(allowance, "ChargeIndicator", "false")
        _cbc(allowance, "AllowanceChargeReason", line.allowance_reason)
        _cbc(allowance, "Amount", _amount(line.allowance), currencyID=doc.currency)
    item = _cac(element, "Item")
    _cbc(item, "Description", line.description)
    _cbc(item, "Name", line.name)
    _category(item, "ClassifiedTaxCategory", line.vat, exemption=False)
    price = _cac(element, "Price")
    _cbc(price, "PriceAmount", _decimal(line.price), currencyID=doc.currency)


def _category(parent: etree._Element, tag: str, vat: VatCategory, *, exemption: bool) -> None:
    """A VAT category: BT-118..121 in the breakdown (``exemption``), BT-151/152 on a line.

    A line of category O has no rate (BR-O-05), but its breakdown keeps one, 0: XRechnung
    requires BT-119 in every breakdown (BR-DE-14) and CEN and Peppol accept it there."""
    element = _cac(parent, tag)
    _cbc(element, "ID", vat.code)
    if exemption or vat.code != "O":
        _cbc(element, "Percent", _decimal(vat.percent))
    if exemption:
        _cbc(element, "TaxExemptionReasonCode", vat.reason_code)
        _cbc(element, "TaxExemptionReason", vat.reason)
    _cbc(_cac(element, "TaxScheme"), "ID", VAT)


def _cac(parent: etree._Element, tag: str) -> etree._Element:
    """A new aggregate child; :func:`_drop_empty` removes it if nothing is put in it."""
    return etree.SubElement(parent, f"{{{NS_CAC}}}{tag}")


def _cbc(parent: etree._Element, tag: str, value: str | date | None, **attributes: str) -> None:
    """A basic child holding ``value`` (a date as YYYY-MM-DD), none when ``value`` is blank.
    Blank attributes are left out too."""
    if value is None or (isinstance(value, str) and _blank(value)):
        return
    element = etree.SubElement(parent, f"{{{NS_CBC}}}{tag}")
    element.text = value.isoformat() if isinstance(value, date) else xml_text(value)
    for name, text in attributes.items():
        if not _blank(text):
            element.set(name, text)


def _blank(text: str) -> bool:
    return not text or text.isspace()


def _amount(value: Decimal) -> str:
    """An amount with exactly 2 decimals (BR-DEC-*, UBL-DT-01); the document rounded it."""
    cents = value.quantize(CENT)
    if cents != value:
        raise ValueError(f"amount {value} has more than 2 decimals")
    return f"{cents:f}"


def _decimal(value: Decimal) -> str:
    """A quantity, price or rate as plain digits: ``Decimal("1E+1")`` is ``10``."""
    return f"{value:f}"


def _drop_empty(root: etree._Element) -> None:
    """Remove every aggregate left without children, innermost first."""
    for element in reversed(list(root.iter(f"{{{NS_CAC}}}*"))):
        if len(element) == 0:
            element.getparent().remove(element)
