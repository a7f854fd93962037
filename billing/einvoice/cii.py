"""The CII writer: a :class:`~billing.einvoice.document.Document` as a UN/CEFACT Cross Industry
Invoice (D16B), the XML inside a Factur-X / ZUGFeRD PDF (EN 16931 profile) and the CII syntax of
XRechnung.

It writes what the document holds and computes nothing: every total comes from the document.
Elements follow the D16B XSD sequences (the schema refuses any other order), and an element is
written only when it has a value, since both rule sets refuse empty elements
(PEPPOL-EN16931-R008). The one exception is ``ApplicableHeaderTradeDelivery``: the XSD requires
it and the document has no delivery date (BT-72) to put in it.
"""

from datetime import date
from decimal import Decimal

from lxml import etree

from billing.einvoice.document import (
    EN16931,
    PEPPOL_PROFILE,
    XRECHNUNG_CUSTOMIZATION,
    Address,
    Document,
    Line,
    Party,
    PaymentInstructions,
    xml_text,
)

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}

# flavour -> BT-24, the specification identifier. Both carry BT-23, the Peppol billing process:
# XRechnung requires it (PEPPOL-EN16931-R001 in its rules); Factur-X takes it without a finding.
FLAVOURS = {
    "en16931": EN16931,  # the Factur-X / ZUGFeRD EN 16931 profile ("COMFORT")
    "xrechnung": XRECHNUNG_CUSTOMIZATION,
}
# Not subject to VAT: no rate on a line (BR-O-05). Its breakdown has none either, except in
# XRechnung, which wants BT-119 in every breakdown (BR-DE-14) and accepts 0 here.
NOT_SUBJECT = "O"
CENT = Decimal("0.01")


def cii_xml(doc: Document, flavour: str = "en16931") -> bytes:
    """``doc`` as CII D16B XML (UTF-8, with its declaration): ``flavour`` ``"en16931"`` for
    Factur-X / ZUGFeRD (EN 16931 profile), ``"xrechnung"`` for XRechnung 3.0 CII.

    :raise ValueError: an unknown flavour, or an amount with more than 2 decimals (the document
        is wrong: its builder rounds every amount, BR-DEC-*).
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"Unknown CII flavour {flavour!r}; expected one of {sorted(FLAVOURS)}.")
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _sub(root, "rsm:ExchangedDocumentContext")
    process = _sub(context, "ram:BusinessProcessSpecifiedDocumentContextParameter")
    _sub(process, "ram:ID", PEPPOL_PROFILE)  # BT-23
    guideline = _sub(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    _sub(guideline, "ram:ID", FLAVOURS[flavour])  # BT-24
    _exchanged_document(root, doc)
    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    for line in doc.lines:
        _line(transaction, line)
    _agreement(transaction, doc)
    _sub(transaction, "ram:ApplicableHeaderTradeDelivery")  # required by the XSD; see above
    _settlement(transaction, doc, rate_always=flavour == "xrechnung")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _exchanged_document(root: etree._Element, doc: Document) -> None:
    header = _sub(root, "rsm:ExchangedDocument")
    _sub(header, "ram:ID", doc.number)  # BT-1
    _sub(header, "ram:TypeCode", doc.type_code)  # BT-3
    _date(header, "ram:IssueDateTime", doc.issue_date)  # BT-2
    if doc.note:
        _sub(_sub(header, "ram:IncludedNote"), "ram:Content", doc.note)  # BT-22


def _line(transaction: etree._Element, line: Line) -> None:
    item = _sub(transaction, "ram:IncludedSupplyChainTradeLineItem")  # BG-25
    _sub(_sub(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.id)  # BT-126
    product = _sub(item, "ram:SpecifiedTradeProduct")
    _sub(product, "ram:Name", line.name)  # BT-153
    _opt(product, "ram:Description", line.description)  # BT-154
    price = _sub(_sub(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
    _sub(price, "ram:ChargeAmount", _number(line.price))  # BT-146
    delivery = _sub(item, "ram:SpecifiedLineTradeDelivery")
    _sub(delivery, "ram:BilledQuantity", _number(line.quantity), unitCode=line.unit_code)
    settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
    tax = _sub(settlement, "ram:ApplicableTradeTax")
    _sub(tax, "ram:TypeCode", "VAT")
    _sub(tax, "ram:CategoryCode", line.vat.code)  # BT-151
    if line.vat.code != NOT_SUBJECT:
        _sub(tax, "ram:RateApplicablePercent", _number(line.vat.percent))  # BT-152
    if line.allowance:  # BG-27
        allowance = _sub(settlement, "ram:SpecifiedTradeAllowanceCharge")
        _sub(_sub(allowance, "ram:ChargeIndicator"), "udt:Indicator", "false")
        _sub(allowance, "ram:ActualAmount", _amount(line.allowance))  # BT-136
        _sub(allowance, "ram:Reason", line.allowance_reason)  # BT-139 (BR-42)
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", _amount(line.net))  # BT-131


def _agreement(transaction: etree._Element, doc: Document) -> None:
    agreement = _sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    _opt(agreement, "ram:BuyerReference", doc.buyer_reference)  # BT-10
    _party(agreement, "ram:SellerTradeParty", doc.seller, seller=True)  # BG-4
    _party(agreement, "ram:BuyerTradeParty", doc.buyer, seller=False)  # BG-7
    if doc.order_reference:
        order = _sub(agreement, "ram:BuyerOrderReferencedDocument")
        _sub(order, "ram:IssuerAssignedID", doc.order_reference)  # BT-13


def _party(parent: etree._Element, tag: str, party: Party, *, seller: bool) -> None:
    node = _sub(parent, tag)
    _sub(node, "ram:Name", party.name)  # BT-27 / BT-44
    if party.legal_id or party.trading_name:
        legal = _sub(node, "ram:SpecifiedLegalOrganization")
        _opt(legal, "ram:ID", party.legal_id)  # BT-30 / BT-47
        _opt(legal, "ram:TradingBusinessName", party.trading_name)  # BT-28 / BT-45
    if party.contact_name or party.contact_phone or party.contact_email:  # BG-6 / BG-9
        contact = _sub(node, "ram:DefinedTradeContact")
        _opt(contact, "ram:PersonName", party.contact_name)
        if party.contact_phone:
            phone = _sub(contact, "ram:TelephoneUniversalCommunication")
            _sub(phone, "ram:CompleteNumber", party.contact_phone)
        if party.contact_email:
            _sub(
                _sub(contact, "ram:EmailURIUniversalCommunication"),
                "ram:URIID",
                party.contact_email,
            )
    _address(node, party.address)
    if party.endpoint_id:  # BT-34 / BT-49, its scheme required (BR-62, BR-63)
        uri = _sub(node, "ram:URIUniversalCommunication")
        _sub(uri, "ram:URIID", party.endpoint_id, schemeID=party.endpoint_scheme)
    if party.vat_id:  # BT-31 / BT-48
        _sub(_sub(node, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")
    if seller and party.tax_registration:  # BT-32
        registration = _sub(node, "ram:SpecifiedTaxRegistration")
        _sub(registration, "ram:ID", party.tax_registration, schemeID="FC")


def _address(party: etree._Element, address: Address) -> None:
    node = _sub(party, "ram:PostalTradeAddress")  # BG-5 / BG-8
    _opt(node, "ram:PostcodeCode", address.postcode)  # BT-38 / BT-53
    _opt(node, "ram:LineOne", address.street)  # BT-35 / BT-50
    _opt(node, "ram:LineTwo", address.additional)  # BT-36 / BT-51
    _opt(node, "ram:CityName", address.city)  # BT-37 / BT-52
    _sub(node, "ram:CountryID", address.country)  # BT-40 / BT-55


def _settlement(transaction: etree._Element, doc: Document, *, rate_always: bool) -> None:
    settlement = _sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    if doc.payment:
        _opt(settlement, "ram:PaymentReference", doc.payment.remittance)  # BT-83
    _sub(settlement, "ram:InvoiceCurrencyCode", doc.currency)  # BT-5
    if doc.payment:
        _payment_means(settlement, doc.payment)
    for group in doc.groups:  # BG-23
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:CalculatedAmount", _amount(group.tax))  # BT-117
        _sub(tax, "ram:TypeCode", "VAT")
        _opt(tax, "ram:ExemptionReason", group.vat.reason)  # BT-120
        _sub(tax, "ram:BasisAmount", _amount(group.taxable))  # BT-116
        _sub(tax, "ram:CategoryCode", group.vat.code)  # BT-118
        _opt(tax, "ram:ExemptionReasonCode", group.vat.reason_code)  # BT-121
        if rate_always or group.vat.code != NOT_SUBJECT:
            _sub(tax, "ram:RateApplicablePercent", _number(group.vat.percent))  # BT-119
    if doc.period_start or doc.period_end:  # BG-14
        period = _sub(settlement, "ram:BillingSpecifiedPeriod")
        if doc.period_start:
            _date(period, "ram:StartDateTime", doc.period_start)  # BT-73
        if doc.period_end:
            _date(period, "ram:EndDateTime", doc.period_end)  # BT-74
    if doc.payment_terms or doc.due_date:
        terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
        _opt(terms, "ram:Description", doc.payment_terms)  # BT-20
        if doc.due_date:
            _date(terms, "ram:DueDateDateTime", doc.due_date)  # BT-9
    _totals(settlement, doc)
    for number, issued in doc.preceding:  # BG-3
        reference = _sub(settlement, "ram:InvoiceReferencedDocument")
        _sub(reference, "ram:IssuerAssignedID", number)  # BT-25
        _date(reference, "ram:FormattedIssueDateTime", issued, "qdt")  # BT-26


def _payment_means(settlement: etree._Element, payment: PaymentInstructions) -> None:
    means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")  # BG-16
    _sub(means, "ram:TypeCode", payment.means_code)  # BT-81
    if payment.iban:  # BG-17
        account = _sub(means, "ram:PayeePartyCreditorFinancialAccount")
        _sub(account, "ram:IBANID", payment.iban)  # BT-84
        _opt(account, "ram:AccountName", payment.account_name)  # BT-85
    if payment.bic:
        institution = _sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
        _sub(institution, "ram:BICID", payment.bic)  # BT-86


def _totals(settlement: etree._Element, doc: Document) -> None:
    totals = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")  # BG-22
    _sub(totals, "ram:LineTotalAmount", _amount(doc.line_total))  # BT-106
    _sub(totals, "ram:TaxBasisTotalAmount", _amount(doc.tax_exclusive))  # BT-109
    tax_total = _amount(doc.tax_total)  # BT-110, the one amount that names its currency
    _sub(totals, "ram:TaxTotalAmount", tax_total, currencyID=doc.currency)
    _sub(totals, "ram:GrandTotalAmount", _amount(doc.tax_inclusive))  # BT-112
    if doc.prepaid:
        _sub(totals, "ram:TotalPrepaidAmount", _amount(doc.prepaid))  # BT-113
    _sub(totals, "ram:DuePayableAmount", _amount(doc.payable))  # BT-115


def _date(parent: etree._Element, tag: str, value: date, prefix: str = "udt") -> None:
    node = _sub(parent, tag)
    _sub(node, f"{prefix}:DateTimeString", value.strftime("%Y%m%d"), format="102")


def _amount(value: Decimal) -> str:
    """An amount with exactly 2 decimals; one with more is the document's error, not rounded."""
    cents = value.quantize(CENT)
    if cents != value:
        raise ValueError(f"The amount {value} has more than 2 decimals (BR-DEC).")
    return f"{cents + 0:f}"  # + 0 turns -0.00 into 0.00


def _number(value: Decimal) -> str:
    # A quantity, price or rate as written, never in exponent form ("1E+1").
    return f"{value:f}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    prefix, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attrs)
    if text is not None:
        node.text = xml_text(text)
    return node


def _opt(parent: etree._Element, tag: str, text: str) -> None:
    if text:
        _sub(parent, tag, text)
