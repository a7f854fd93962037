"""Issue #17's acceptance: every invoice of the European demo (each contract type) and its
credit note, in each format, pass the XSD and the Schematron layers that apply, offline.

Peppol: UBL XSD + CEN EN 16931 + Peppol BIS 3.0.21; XRechnung: UBL XSD + CEN + XRechnung 2.5.0;
CII: CII D16B XSD + CEN; Factur-X: the XML extracted from the PDF, against the Factur-X 1.09
XSD, CEN and the Factur-X EN 16931 Schematron. Errors fail the test; warnings are listed in
pytest's summary (``EInvoiceWarning``).
"""

import warnings
from datetime import date, timedelta
from io import BytesIO

import facturx
from lxml import etree
from pypdf import PdfReader

from billing.batches.preview import BatchRequest
from billing.batches.store import save_batch
from billing.einvoice.outputs import FORMATS, credit_note_file, invoice_file
from demo.eu import seed_demo_eu
from demo.receivables import seed_receivables
from models import ContractType, CreditNote, Invoice, db
from tests.einvoice.validation import EInvoiceWarning, validate

DAY = date(2026, 12, 3)
LAST_MONTH = (date(2026, 11, 1), date(2026, 11, 30))
CHECKS = {"peppol": "peppol", "xrechnung": "xrechnung-ubl", "cii": "cii", "facturx": "facturx"}
UBL_REFERENCE = (
    "//cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID",
    {
        "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
        "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    },
)
CII_REFERENCE = (
    "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
    {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"},
)


def _demo(app) -> list[Invoice]:
    """The European demo with its two older months billed, and last month billed too."""
    app.config["BILLING_TODAY"] = DAY.isoformat()
    seed_demo_eu(DAY)
    seed_receivables(DAY)
    save_batch(BatchRequest(*LAST_MONTH), None, LAST_MONTH[1] + timedelta(days=1))
    db.session.commit()
    return list(db.session.scalars(db.select(Invoice).order_by(Invoice.number)))


def _xml(made, fmt: str) -> bytes:
    if fmt != "facturx":
        return made.content
    name, xml = facturx.get_xml_from_pdf(made.content, check_xsd=True)
    assert name == "factur-x.xml"
    return xml


def _check(number: str, fmt: str, xml: bytes, failures: list[str]) -> None:
    report = validate(xml, CHECKS[fmt])
    failures += [f"{number} {fmt}: {error}" for error in report.errors]
    for warning in report.warnings:
        warnings.warn(EInvoiceWarning(f"{number} {fmt}: {warning}"), stacklevel=2)


def test_every_demo_invoice_passes_every_format_with_no_errors(app):
    invoices = _demo(app)
    types = {invoice.contract.type for invoice in invoices if invoice.contract is not None}
    assert types == set(ContractType)  # every contract type is among them
    failures: list[str] = []
    for invoice in invoices:
        for fmt in FORMATS:
            made = invoice_file(invoice, fmt)
            _check(invoice.number, fmt, _xml(made, fmt), failures)
    assert not failures, "\n".join(failures)
    assert len(invoices) >= 20


def test_a_credit_note_passes_every_format_and_refers_to_its_invoice(app):
    _demo(app)
    credit_note = db.session.scalar(db.select(CreditNote))
    failures: list[str] = []
    for fmt in FORMATS:
        xml = _xml(credit_note_file(credit_note, fmt), fmt)
        _check(credit_note.number, fmt, xml, failures)
        path, namespaces = CII_REFERENCE if fmt in ("cii", "facturx") else UBL_REFERENCE
        referred = etree.fromstring(xml).xpath(path, namespaces=namespaces)
        assert [node.text for node in referred] == [credit_note.invoice.number], fmt  # BG-3
    assert not failures, "\n".join(failures)


def test_the_factur_x_pdf_opens_as_the_invoice_with_its_xml_inside(app):
    invoices = _demo(app)
    invoice = next(i for i in invoices if i.customer.einvoice_format == "facturx")
    made = invoice_file(invoice, "facturx")
    reader = PdfReader(BytesIO(made.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert invoice.number in text and invoice.bill_to_name in text
    name, xml = facturx.get_xml_from_pdf(made.content, check_xsd=True)
    root = etree.fromstring(xml)
    ram = CII_REFERENCE[1]
    assert root.findtext(".//ram:IssuerAssignedID", namespaces=ram) is None  # an invoice
    number = root.xpath("//*[local-name()='ExchangedDocument']/*[local-name()='ID']/text()")
    assert number == [invoice.number]
    assert facturx.get_level(root) == "en16931"
    assert not validate(xml, "facturx").errors
