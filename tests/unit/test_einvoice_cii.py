"""The CII writer: valid under the CII D16B XSD, the CEN EN 16931 rules, the Factur-X EN 16931
rules and XRechnung's, and writing what the document says, never what it recomputes."""

import warnings
from dataclasses import replace
from decimal import Decimal

import pytest
from lxml import etree

from billing.einvoice.cii import cii_xml
from billing.einvoice.document import (
    EN16931,
    PEPPOL_PROFILE,
    XRECHNUNG_CUSTOMIZATION,
    Address,
    Party,
)
from tests.einvoice.validation import assert_valid
from tests.unit.einvoice_samples import (
    BUYER,
    SELLER,
    sample_credit_note,
    sample_invoice,
    sample_not_subject,
    sample_reverse_charge,
)

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
SAMPLES = {
    "invoice": sample_invoice,
    "credit note": sample_credit_note,
    "reverse charge": sample_reverse_charge,
    "not subject to VAT": sample_not_subject,
}
# The writer's one empty element: the XSD requires it and the document has no BT-72 for it.
EMPTY_DELIVERY = "ApplicableHeaderTradeDelivery"
SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"


def valid(xml: bytes, flavour: str) -> None:
    """``assert_valid``, failing on any warning but the Factur-X rules' note of the empty
    delivery (PEPPOL-EN16931-R008, a warning there)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = assert_valid(xml, flavour)
    assert len(caught) == len(report.warnings)
    for finding in report.warnings:
        assert finding.rule_id == "PEPPOL-EN16931-R008", finding
        assert f"*:{EMPTY_DELIVERY}[" in finding.location, finding


def tree(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def texts(xml: bytes, path: str) -> list[str]:
    """The text of each element (or the value of each attribute) ``path`` finds."""
    found = tree(xml).xpath(path, namespaces=NS)
    return [str(node) if isinstance(node, str) else node.text for node in found]


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_the_factur_x_flavour_is_valid_cii_and_factur_x(sample):
    xml = cii_xml(sample(), "en16931")
    valid(xml, "cii")
    valid(xml, "facturx")


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_the_xrechnung_flavour_is_valid_xrechnung_cii(sample):
    valid(cii_xml(sample(), "xrechnung"), "xrechnung-cii")


@pytest.mark.parametrize(
    ("flavour", "guideline"), [("en16931", EN16931), ("xrechnung", XRECHNUNG_CUSTOMIZATION)]
)
def test_each_flavour_names_its_specification_and_the_peppol_process(flavour, guideline):
    xml = cii_xml(sample_invoice(), flavour)
    context = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext"
    assert texts(xml, f"{context}/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == [
        guideline
    ]
    assert texts(xml, f"{context}/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == [
        PEPPOL_PROFILE
    ]


def test_an_unknown_flavour_is_refused():
    with pytest.raises(ValueError, match="peppol"):
        cii_xml(sample_invoice(), "peppol")


def test_the_header_is_number_type_issue_date_and_note():
    xml = cii_xml(sample_invoice())
    header = "//rsm:ExchangedDocument"
    assert texts(xml, f"{header}/ram:ID") == ["RE-2026-0042"]
    assert texts(xml, f"{header}/ram:TypeCode") == ["380"]
    assert texts(xml, f"{header}/ram:IssueDateTime/udt:DateTimeString") == ["20260202"]
    assert texts(xml, f"{header}/ram:IncludedNote/ram:Content") == ["Thank you for your business."]


def test_a_credit_note_is_381_and_refers_to_its_invoice():
    xml = cii_xml(sample_credit_note())
    assert texts(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    reference = f"{SETTLEMENT}/ram:InvoiceReferencedDocument"
    assert texts(xml, f"{reference}/ram:IssuerAssignedID") == ["RE-2026-0042"]
    issued = tree(xml).xpath(
        f"{reference}/ram:FormattedIssueDateTime/qdt:DateTimeString", namespaces=NS
    )
    assert [(d.text, d.get("format")) for d in issued] == [("20260202", "102")]
    # Amounts stay positive: the type code says it is a credit.
    assert texts(xml, f"{SETTLEMENT}//ram:DuePayableAmount") == ["95.20"]


def test_an_invoice_has_no_preceding_invoice_reference():
    assert texts(cii_xml(sample_invoice()), "//ram:InvoiceReferencedDocument") == []


def test_every_date_is_format_102():
    xml = cii_xml(sample_credit_note())
    dates = tree(xml).xpath("//udt:DateTimeString | //qdt:DateTimeString", namespaces=NS)
    assert len(dates) == 5  # issue, period start and end, due, the invoice's issue date
    assert all(d.get("format") == "102" and len(d.text) == 8 and d.text.isdigit() for d in dates)


def test_a_line_discount_is_an_allowance_on_that_line():
    xml = cii_xml(sample_invoice())
    lines = tree(xml).xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)
    allowances = [
        line.xpath(
            "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeAllowanceCharge", namespaces=NS
        )
        for line in lines
    ]
    assert [len(found) for found in allowances] == [0, 1]
    (allowance,) = allowances[1]
    assert allowance.xpath("string(ram:ChargeIndicator/udt:Indicator)", namespaces=NS) == "false"
    assert allowance.xpath("string(ram:ActualAmount)", namespaces=NS) == "20.00"
    assert allowance.xpath("string(ram:Reason)", namespaces=NS) == "Loyalty discount"
    assert lines[1].xpath("string(.//ram:LineTotalAmount)", namespaces=NS) == "180.00"
    assert lines[1].xpath("string(.//ram:BilledQuantity/@unitCode)", namespaces=NS) == "HUR"


def test_the_vat_breakdown_follows_the_xsd_order():
    xml = cii_xml(sample_reverse_charge())
    (tax,) = tree(xml).xpath(f"{SETTLEMENT}/ram:ApplicableTradeTax", namespaces=NS)
    assert [(etree.QName(child).localname, child.text) for child in tax] == [
        ("CalculatedAmount", "0.00"),
        ("TypeCode", "VAT"),
        ("ExemptionReason", "Reverse charge"),
        ("BasisAmount", "630.00"),
        ("CategoryCode", "AE"),
        ("ExemptionReasonCode", "VATEX-EU-AE"),
        ("RateApplicablePercent", "0"),
    ]


@pytest.mark.parametrize(("flavour", "header_rates"), [("en16931", []), ("xrechnung", ["0"])])
def test_not_subject_to_vat_has_no_rate_but_xrechnung_s_breakdown_rate(flavour, header_rates):
    xml = cii_xml(sample_not_subject(), flavour)
    assert texts(xml, "//ram:SpecifiedLineTradeSettlement//ram:RateApplicablePercent") == []
    assert texts(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:RateApplicablePercent") == (
        header_rates
    )


def test_totals_are_written_as_given_never_recomputed():
    # Deliberately inconsistent figures: a writer that sums or multiplies would not write these.
    doc = sample_invoice(
        line_total=Decimal("1.00"),
        tax_exclusive=Decimal("2.00"),
        tax_total=Decimal("3.00"),
        tax_inclusive=Decimal("4.00"),
        payable=Decimal("5"),
        prepaid=Decimal("6.50"),
    )
    totals = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    xml = cii_xml(doc)
    written = [
        (etree.QName(n).localname, n.text) for n in tree(xml).xpath(f"{totals}/*", namespaces=NS)
    ]
    assert written == [
        ("LineTotalAmount", "1.00"),
        ("TaxBasisTotalAmount", "2.00"),
        ("TaxTotalAmount", "3.00"),
        ("GrandTotalAmount", "4.00"),
        ("TotalPrepaidAmount", "6.50"),
        ("DuePayableAmount", "5.00"),
    ]
    assert texts(xml, f"{totals}/ram:TaxTotalAmount/@currencyID") == ["EUR"]


def test_an_amount_with_more_than_two_decimals_is_refused_not_rounded():
    with pytest.raises(ValueError, match="630.004"):
        cii_xml(sample_invoice(line_total=Decimal("630.004")))


def test_quantities_and_prices_are_written_as_they_are():
    line = replace(sample_invoice().lines[0], quantity=Decimal("1E+1"), price=Decimal("45.1250"))
    xml = cii_xml(sample_invoice(lines=(line,)))
    assert texts(xml, "//ram:BilledQuantity") == ["10"]
    assert texts(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["45.1250"]


def test_the_seller_s_identifiers_contact_and_payment_account():
    xml = cii_xml(sample_invoice())
    seller = "//ram:SellerTradeParty"
    registrations = tree(xml).xpath(f"{seller}/ram:SpecifiedTaxRegistration/ram:ID", namespaces=NS)
    assert [(r.get("schemeID"), r.text) for r in registrations] == [
        ("VA", "DE136695976"),
        ("FC", "12/345/67890"),
    ]
    assert texts(xml, f"{seller}/ram:URIUniversalCommunication/ram:URIID/@schemeID") == ["9930"]
    assert texts(xml, f"{seller}/ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/*") == [
        "buchhaltung@beispiel-it.de"
    ]
    means = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
    assert texts(xml, f"{means}/ram:TypeCode") == ["58"]
    assert texts(xml, f"{means}//ram:IBANID") == ["DE02120300000000202051"]
    assert texts(xml, f"{means}//ram:BICID") == ["BYLADEM1001"]
    assert texts(xml, f"{SETTLEMENT}/ram:PaymentReference") == ["RE-2026-0042"]
    assert texts(xml, "//ram:BuyerReference") == ["CLIENT-0815"]
    assert texts(xml, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == ["PO-7781"]


def test_a_bare_document_writes_no_empty_element_and_stays_valid():
    seller = Party(
        name=SELLER.name, address=Address(city="Berlin", country="DE"), vat_id=SELLER.vat_id
    )
    buyer = Party(name=BUYER.name, address=Address(country="BE"))
    doc = sample_invoice(
        seller=seller,
        buyer=buyer,
        note="",
        buyer_reference="",
        order_reference="",
        payment_terms="",
        due_date=None,
        period_start=None,
        period_end=None,
        payment=None,
    )
    xml = cii_xml(doc)
    empty = [
        etree.QName(node).localname
        for node in tree(xml).iter()
        if len(node) == 0 and not (node.text or "").strip()
    ]
    assert empty == [EMPTY_DELIVERY]
    for absent in ("ram:IncludedNote", "ram:DefinedTradeContact", "ram:BillingSpecifiedPeriod"):
        assert texts(xml, f"//{absent}") == []
    valid(xml, "cii")
    valid(xml, "facturx")
