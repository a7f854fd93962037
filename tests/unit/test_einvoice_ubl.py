"""The UBL 2.1 writer: Peppol BIS Billing 3.0 and XRechnung 3.0 invoices and credit notes."""

from dataclasses import replace
from decimal import Decimal

import pytest
from lxml import etree

from billing.einvoice.document import (
    PEPPOL_CUSTOMIZATION,
    PEPPOL_PROFILE,
    XRECHNUNG_CUSTOMIZATION,
    Address,
    Party,
)
from billing.einvoice.ubl import ubl_xml
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
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
# Our flavour -> the validation harness's.
HARNESS = {"peppol": "peppol", "xrechnung": "xrechnung-ubl"}
SAMPLES = {
    "invoice": sample_invoice,
    "credit note": sample_credit_note,
    "reverse charge": sample_reverse_charge,
    "not subject to VAT": sample_not_subject,
}


def parse(doc, flavour="peppol"):
    return etree.fromstring(ubl_xml(doc, flavour))


def text(root, path):
    return root.xpath(f"string({path})", namespaces=NS)


@pytest.mark.parametrize("flavour", sorted(HARNESS))
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_samples_pass_xsd_cen_and_flavour_rules_without_a_finding(sample, flavour):
    report = assert_valid(ubl_xml(SAMPLES[sample](), flavour), HARNESS[flavour])
    assert report.warnings == ()


@pytest.mark.parametrize(
    ("flavour", "customization"),
    [("peppol", PEPPOL_CUSTOMIZATION), ("xrechnung", XRECHNUNG_CUSTOMIZATION)],
)
def test_invoice_header(flavour, customization):
    xml = ubl_xml(sample_invoice(), flavour)
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(xml)
    assert root.tag == f"{{{NS['inv']}}}Invoice"
    assert text(root, "cbc:CustomizationID") == customization
    assert text(root, "cbc:ProfileID") == PEPPOL_PROFILE
    assert text(root, "cbc:InvoiceTypeCode") == "380"
    assert text(root, "cbc:DueDate") == "2026-03-04"
    assert text(root, "cac:InvoicePeriod/cbc:StartDate") == "2026-01-01"
    assert text(root, "cac:InvoicePeriod/cbc:EndDate") == "2026-01-31"
    assert text(root, "cbc:BuyerReference") == "CLIENT-0815"
    assert text(root, "cac:OrderReference/cbc:ID") == "PO-7781"
    assert text(root, "cac:PaymentTerms/cbc:Note") == "Payable within 30 days"
    assert root.xpath("cac:BillingReference", namespaces=NS) == []


def test_unknown_flavour_is_refused():
    with pytest.raises(ValueError, match="flavour"):
        ubl_xml(sample_invoice(), "zugferd")


def test_credit_note_refers_to_its_invoice_and_moves_the_due_date():
    root = parse(sample_credit_note())
    assert root.tag == f"{{{NS['cn']}}}CreditNote"
    assert text(root, "cbc:CreditNoteTypeCode") == "381"
    reference = "cac:BillingReference/cac:InvoiceDocumentReference"
    assert text(root, f"{reference}/cbc:ID") == "RE-2026-0042"
    assert text(root, f"{reference}/cbc:IssueDate") == "2026-02-02"
    assert root.xpath("cbc:DueDate", namespaces=NS) == []
    assert text(root, "cac:PaymentMeans/cbc:PaymentDueDate") == "2026-02-24"
    assert root.xpath("cac:InvoiceLine", namespaces=NS) == []
    quantity = root.xpath("cac:CreditNoteLine/cbc:CreditedQuantity", namespaces=NS)
    assert [(q.text, q.get("unitCode")) for q in quantity] == [("1", "HUR")]


def test_invoice_has_no_payment_due_date_in_its_payment_means():
    root = parse(sample_invoice())
    assert root.xpath("cac:PaymentMeans/cbc:PaymentDueDate", namespaces=NS) == []


def test_line_discount_is_an_allowance_on_the_line():
    root = parse(sample_invoice())
    line = root.xpath("cac:InvoiceLine[cbc:ID='2']", namespaces=NS)[0]
    assert text(line, "cbc:LineExtensionAmount") == "180.00"
    allowance = line.xpath("cac:AllowanceCharge", namespaces=NS)
    assert len(allowance) == 1
    assert text(allowance[0], "cbc:ChargeIndicator") == "false"
    assert text(allowance[0], "cbc:AllowanceChargeReason") == "Loyalty discount"
    amount = allowance[0].xpath("cbc:Amount", namespaces=NS)[0]
    assert (amount.text, amount.get("currencyID")) == ("20.00", "EUR")
    assert root.xpath("cac:InvoiceLine[cbc:ID='1']/cac:AllowanceCharge", namespaces=NS) == []
    # No document-level allowance: the discount belongs to its line only.
    assert root.xpath("cac:AllowanceCharge", namespaces=NS) == []


def test_lines_carry_quantity_unit_price_and_category():
    line = parse(sample_invoice()).xpath("cac:InvoiceLine[cbc:ID='2']", namespaces=NS)[0]
    quantity = line.xpath("cbc:InvoicedQuantity", namespaces=NS)[0]
    assert (quantity.text, quantity.get("unitCode")) == ("2.5", "HUR")
    assert text(line, "cac:Price/cbc:PriceAmount") == "80.00"
    assert text(line, "cac:Item/cbc:Name") == "Remote support"
    assert text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID") == "S"
    assert text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent") == "19"


def test_reverse_charge_breakdown_states_the_exemption():
    root = parse(sample_reverse_charge())
    category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"
    assert text(root, f"{category}/cbc:ID") == "AE"
    assert text(root, f"{category}/cbc:TaxExemptionReasonCode") == "VATEX-EU-AE"
    assert text(root, f"{category}/cbc:TaxExemptionReason") == "Reverse charge"
    # Exemptions belong to the breakdown, not the lines.
    assert root.xpath("//cac:ClassifiedTaxCategory/cbc:TaxExemptionReason", namespaces=NS) == []


def test_category_o_lines_have_no_rate_but_the_breakdown_keeps_zero():
    root = parse(sample_not_subject())
    assert root.xpath("//cac:ClassifiedTaxCategory/cbc:Percent", namespaces=NS) == []
    # XRechnung's BR-DE-14 wants BT-119 in every breakdown, O included.
    assert text(root, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent") == "0"
    assert root.xpath("//cac:PartyTaxScheme", namespaces=NS) == []


def test_vat_id_and_tax_registration_have_their_own_tax_schemes():
    root = parse(sample_invoice())
    seller = "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme"
    schemes = [
        (text(s, "cbc:CompanyID"), text(s, "cac:TaxScheme/cbc:ID"))
        for s in root.xpath(seller, namespaces=NS)
    ]
    assert schemes == [("DE136695976", "VAT"), ("12/345/67890", "FC")]
    endpoint = root.xpath("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", namespaces=NS)
    assert (endpoint[0].text, endpoint[0].get("schemeID")) == ("0987654394", "0208")


def test_totals_are_written_as_the_document_holds_them():
    # Deliberately inconsistent: the writer must not recompute anything.
    doc = sample_invoice(tax_total=Decimal("1"), payable=Decimal("7.5"), prepaid=Decimal("3"))
    root = parse(doc)
    assert text(root, "cac:TaxTotal/cbc:TaxAmount") == "1.00"
    totals = root.xpath("cac:LegalMonetaryTotal/*", namespaces=NS)
    assert [(etree.QName(t).localname, t.text, t.get("currencyID")) for t in totals] == [
        ("LineExtensionAmount", "630.00", "EUR"),
        ("TaxExclusiveAmount", "630.00", "EUR"),
        ("TaxInclusiveAmount", "749.70", "EUR"),
        ("PrepaidAmount", "3.00", "EUR"),
        ("PayableAmount", "7.50", "EUR"),
    ]


def test_no_prepaid_amount_when_nothing_was_paid():
    root = parse(sample_invoice())
    assert root.xpath("cac:LegalMonetaryTotal/cbc:PrepaidAmount", namespaces=NS) == []


def test_every_currency_id_is_the_documents():
    root = parse(sample_invoice(currency="CHF"))
    currencies = {el.get("currencyID") for el in root.iter() if el.get("currencyID")}
    assert currencies == {"CHF"}
    assert text(root, "cbc:DocumentCurrencyCode") == "CHF"


def test_quantities_and_prices_never_use_an_exponent():
    line = replace(sample_invoice().lines[0], quantity=Decimal("1E+1"), price=Decimal("4.5E+1"))
    root = parse(sample_invoice(lines=(line,)))
    assert text(root, "cac:InvoiceLine/cbc:InvoicedQuantity") == "10"
    assert text(root, "cac:InvoiceLine/cac:Price/cbc:PriceAmount") == "45"


def test_an_amount_with_more_than_two_decimals_is_refused():
    with pytest.raises(ValueError, match="2 decimals"):
        ubl_xml(sample_invoice(payable=Decimal("749.705")), "peppol")


def test_a_sparse_document_has_no_empty_element():
    bare = Party(name="Kunde AG", address=Address(country="DE", city=" "))
    doc = sample_invoice(
        buyer=bare,
        seller=replace(SELLER, contact_name="", contact_phone="", contact_email=""),
        due_date=None,
        payment_terms="",
        order_reference="",
        note="",
        period_start=None,
        period_end=None,
        payment=None,
    )
    root = parse(doc)
    for element in root.iter():
        assert len(element) or (element.text or "").strip(), element.tag
        assert all(value.strip() for value in element.attrib.values()), element.tag
    for absent in ("cac:PaymentMeans", "cac:PaymentTerms", "cac:InvoicePeriod", "cbc:Note"):
        assert root.xpath(absent, namespaces=NS) == [], absent
    buyer = root.xpath("cac:AccountingCustomerParty/cac:Party", namespaces=NS)[0]
    assert [etree.QName(child).localname for child in buyer] == [
        "PostalAddress",
        "PartyLegalEntity",
    ]


@pytest.mark.parametrize("flavour", sorted(HARNESS))
def test_special_characters_survive(flavour):
    name = 'Müller & Söhne <IT> "Ü"'
    line = replace(sample_invoice().lines[0], name="Backup & restore < 4 h, Prüfung")
    lines = (line, *sample_invoice().lines[1:])
    doc = sample_invoice(buyer=replace(BUYER, name=name), lines=lines, note="Grüße & Dank")
    xml = ubl_xml(doc, flavour)
    assert b"M\xc3\xbcller &amp; S\xc3\xb6hne &lt;IT&gt;" in xml
    root = etree.fromstring(xml)
    party = "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName"
    assert text(root, party) == name
    assert text(root, "cac:InvoiceLine[1]/cac:Item/cbc:Name") == "Backup & restore < 4 h, Prüfung"
    assert text(root, "cbc:Note") == "Grüße & Dank"
    assert_valid(xml, HARNESS[flavour])
