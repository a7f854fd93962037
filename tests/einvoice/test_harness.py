"""The offline e-invoice validation harness: valid documents pass every layer, and broken ones
are refused by the layer and rule that owns the problem (so a harness that finds nothing fails)."""

import warnings

import pytest

from tests.einvoice.samples import (
    CII_NS,
    MINIMAL_CII,
    PEPPOL_EXAMPLES,
    UBL_NS,
    edit,
    peppol_examples,
)
from tests.einvoice.validation import (
    FLAVOURS,
    EInvoiceWarning,
    Finding,
    assert_valid,
    validate,
)

BASE_EXAMPLE = (PEPPOL_EXAMPLES / "base-example.xml").read_bytes()
CREDIT_NOTE_EXAMPLE = (PEPPOL_EXAMPLES / "base-creditnote-correction.xml").read_bytes()
TOTALS = "/inv:Invoice/cac:LegalMonetaryTotal"


def found(findings: tuple[Finding, ...]) -> set[tuple[str, str]]:
    return {(f.layer, f.rule_id) for f in findings}


def set_text(expr: str, value: str):
    def change(_root, xpath):
        xpath(expr).text = value

    return change


def test_every_official_peppol_example_is_checked():
    # Guards the parametrisation below against an empty or shrunken folder.
    names = {p.name for p in peppol_examples()}
    assert len(names) == 10
    assert {"base-example.xml", "base-creditnote-correction.xml"} <= names


@pytest.mark.parametrize("path", peppol_examples(), ids=lambda p: p.name)
def test_official_peppol_example_is_valid(path):
    report = assert_valid(path.read_bytes(), "peppol")

    assert report.errors == ()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            set_text(f"{TOTALS}/cbc:TaxInclusiveAmount", "1656.26"),
            {("en16931", "BR-CO-15"), ("en16931", "BR-CO-16")},
        ),
        (set_text(f"{TOTALS}/cbc:PayableAmount", "1656.24"), {("en16931", "BR-CO-16")}),
        (
            set_text("/inv:Invoice/cac:InvoiceLine[1]/cbc:LineExtensionAmount", "2801"),
            {("en16931", "BR-CO-10"), ("peppol", "PEPPOL-EN16931-R120")},
        ),
    ],
    ids=["tax-inclusive-total", "payable-amount", "line-net-amount"],
)
def test_wrong_amounts_are_errors_of_the_owning_rule_set(change, expected):
    report = validate(edit(BASE_EXAMPLE, UBL_NS, change), "peppol")

    assert expected <= found(report.errors)
    assert all(f.text and f.location for f in report.errors)


def test_element_order_breaking_the_xsd_is_an_xsd_error():
    def issue_date_first(_root, xpath):
        xpath("/inv:Invoice/cbc:ID").addprevious(xpath("/inv:Invoice/cbc:IssueDate"))

    report = validate(edit(BASE_EXAMPLE, UBL_NS, issue_date_first), "peppol")

    xsd = [f for f in report.errors if f.layer == "xsd"]
    assert len(xsd) == 1
    assert "IssueDate" in xsd[0].text
    assert xsd[0].location.startswith("line 5:")


def test_credit_note_is_checked_against_the_credit_note_xsd():
    def invoiced_quantity(_root, xpath):
        qty = xpath("/cn:CreditNote/cac:CreditNoteLine[1]/cbc:CreditedQuantity")
        qty.tag = f"{{{UBL_NS['cbc']}}}InvoicedQuantity"

    report = validate(edit(CREDIT_NOTE_EXAMPLE, UBL_NS, invoiced_quantity), "peppol")

    assert any(f.layer == "xsd" and "InvoicedQuantity" in f.text for f in report.errors)


def test_a_document_that_is_not_ubl_is_refused():
    report = validate(MINIMAL_CII, "peppol")

    assert ("xsd", "UBL-ROOT") in found(report.errors)


def test_malformed_xml_is_one_error():
    report = validate(BASE_EXAMPLE[:400], "peppol")

    assert [f.layer for f in report.errors] == ["xml"]


def test_xrechnung_requires_the_buyer_reference():
    def drop_buyer_reference(_root, xpath):
        ref = xpath("/inv:Invoice/cbc:BuyerReference")
        ref.getparent().remove(ref)

    with_ref = validate(BASE_EXAMPLE, "xrechnung-ubl")
    without_ref = validate(edit(BASE_EXAMPLE, UBL_NS, drop_buyer_reference), "xrechnung-ubl")

    assert ("xrechnung", "BR-DE-15") not in found(with_ref.errors)
    assert ("xrechnung", "BR-DE-15") in found(without_ref.errors)
    # The Peppol example has no seller contact, which XRechnung also requires.
    assert ("xrechnung", "BR-DE-2") in found(with_ref.errors)


@pytest.mark.parametrize("flavour", ["cii", "facturx"])
def test_minimal_cii_is_valid(flavour):
    report = validate(MINIMAL_CII, flavour)

    assert report.errors == ()
    assert report.warnings == ()


def test_minimal_cii_lacks_what_xrechnung_adds():
    report = validate(MINIMAL_CII, "xrechnung-cii")

    assert {
        ("xrechnung", "BR-DE-1"),  # payment instructions
        ("xrechnung", "BR-DE-2"),  # seller contact
        ("xrechnung", "BR-DE-15"),  # buyer reference
    } <= found(report.errors)
    assert ("xrechnung", "BR-DE-21") in found(report.warnings)  # not the XRechnung guideline id
    assert not any(f.layer in ("xsd", "en16931") for f in report.errors)


@pytest.mark.parametrize("flavour", ["cii", "facturx"])
def test_cii_line_total_mismatch(flavour):
    change = set_text(
        "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:LineTotalAmount", "1141.00"
    )
    report = validate(edit(MINIMAL_CII, CII_NS, change), flavour)

    assert {("en16931", "BR-CO-10"), ("en16931", "BR-CO-13")} <= found(report.errors)
    if flavour == "facturx":
        assert ("facturx", "BR-CO-10") in found(report.errors)


def test_facturx_rules_read_their_code_lists():
    def hour_as_unit(_root, xpath):
        xpath("//ram:BilledQuantity").set("unitCode", "HOUR")

    report = validate(edit(MINIMAL_CII, CII_NS, hour_as_unit), "facturx")

    assert ("en16931", "BR-CL-23") in found(report.errors)
    facturx = [f for f in report.errors if f.layer == "facturx"]
    assert [("@unitCode" in f.text, "BilledQuantity" in f.location) for f in facturx] == [
        (True, True)
    ]


@pytest.mark.parametrize("flavour", ["cii", "facturx"])
def test_cii_element_order_is_an_xsd_error(flavour):
    def type_code_first(_root, xpath):
        doc = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument"
        xpath(f"{doc}/ram:ID").addprevious(xpath(f"{doc}/ram:TypeCode"))

    report = validate(edit(MINIMAL_CII, CII_NS, type_code_first), flavour)

    assert [(f.layer, "TypeCode" in f.text) for f in report.errors] == [("xsd", True)]


def test_assert_valid_lists_every_error():
    broken = edit(BASE_EXAMPLE, UBL_NS, set_text(f"{TOTALS}/cbc:TaxInclusiveAmount", "1656.26"))

    with pytest.raises(AssertionError) as raised:
        assert_valid(broken, "peppol")

    message = str(raised.value)
    assert "2 error(s)" in message
    for rule in ("BR-CO-15", "BR-CO-16"):
        assert rule in message
    assert "LegalMonetaryTotal" in message  # the location


def test_assert_valid_emits_warnings_and_passes():
    def drop_delivery_date(_root, xpath):
        event = xpath("//ram:ActualDeliverySupplyChainEvent")
        event.getparent().remove(event)

    with pytest.warns(EInvoiceWarning, match="PEPPOL-EN16931-R008") as emitted:
        report = assert_valid(edit(MINIMAL_CII, CII_NS, drop_delivery_date), "facturx")

    assert report.errors == ()
    assert len(emitted) == len(report.warnings) == 1


def test_assert_valid_is_silent_on_a_clean_document():
    with warnings.catch_warnings():
        warnings.simplefilter("error", EInvoiceWarning)
        assert_valid(MINIMAL_CII, "cii")


def test_unknown_flavour_is_refused():
    with pytest.raises(ValueError, match="zugferd"):
        validate(MINIMAL_CII, "zugferd")
    assert set(FLAVOURS) == {"peppol", "xrechnung-ubl", "cii", "xrechnung-cii", "facturx"}
