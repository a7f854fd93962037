"""The Factur-X PDF: our invoice PDF, unchanged to the eye, with its CII XML embedded and read
back by the ``factur-x`` library, and what PDF/A-3b asks of the file (output intent, embedded
fonts, XMP and Info in agreement) that can be checked without veraPDF."""

import re
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

import facturx
import jinja2
import pytest
from lxml import etree
from pypdf import PdfReader
from pypdf.generic import ContentStream

from billing.einvoice.cii import cii_xml
from billing.einvoice.facturx import FacturXFailed, facturx_pdf
from billing.invoices.pdf import document_basics, render_document
from tests.unit.einvoice_samples import sample_credit_note, sample_invoice

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parents[2] / "templates"),
    autoescape=True,
)
PAGE = """<html><head><meta charset="utf-8"><style>{% include "invoices/_pdf_style.html" %}</style>
</head><body><h1>{{ title }}</h1>
<table class="lines"><tr><th>Description</th><th class="right">Amount</th></tr>
{% for i in range(rows) %}<tr><td>Managed services, seat {{ i }}</td>
<td class="right">45,00 €</td></tr>{% endfor %}</table>
<p class="block muted">Zahlbar innerhalb 30 Tagen ohne Abzug · Ürün Bilişim</p></body></html>"""
XMP = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
}
TEXT_SHOWING = {b"Tj", b"TJ", b"'", b'"'}


def our_pdf(title: str, rows: int = 3) -> bytes:
    """A PDF the way the app makes its invoices: the PDF stylesheet, DejaVu Sans, the footer."""
    basics = document_basics(SimpleNamespace(logo=None, logo_mimetype=None, country="DE"), {})
    assert basics["font"], "fonts-dejavu-core is not installed"
    html = TEMPLATES.from_string(PAGE).render(title=title, rows=rows, **basics)
    return render_document(html, f"Beispiel IT GmbH · {title}", basics["font"], title)


@pytest.fixture(scope="module")
def invoice_xml() -> bytes:
    return cii_xml(sample_invoice())


@pytest.fixture(scope="module")
def base_pdf() -> bytes:
    return our_pdf("Invoice RE-2026-0042", rows=70)  # two pages


@pytest.fixture(scope="module")
def fx_pdf(base_pdf, invoice_xml) -> bytes:
    return facturx_pdf(base_pdf, invoice_xml, lang="de-DE")


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(BytesIO(pdf))


def xmp(pdf: bytes) -> etree._Element:
    stream = reader(pdf).trailer["/Root"]["/Metadata"].get_object()
    assert "/Filter" not in stream  # left uncompressed, as PDF/A readers expect
    return etree.fromstring(stream.get_data())


def fonts_showing_text(pdf: bytes) -> dict[str, bool]:
    """Each font that draws glyphs (set by Tf, then a text-showing operator with text), by base
    name: whether its font program is embedded (a FontFile entry in its descriptor)."""
    found = {}
    doc = reader(pdf)
    for page in doc.pages:
        fonts = page["/Resources"]["/Font"]
        current = None
        for operands, operator in ContentStream(page.get_contents(), doc).operations:
            if operator == b"Tf":
                current = fonts[operands[0]].get_object()
            elif operator in TEXT_SHOWING and current is not None and _has_text(operands):
                descriptor = current.get("/FontDescriptor")
                embedded = descriptor is not None and any(
                    key in descriptor.get_object()
                    for key in ("/FontFile", "/FontFile2", "/FontFile3")
                )
                found[str(current["/BaseFont"])] = embedded
    return found


def _has_text(operands) -> bool:
    parts = operands[-1] if isinstance(operands[-1], list) else [operands[-1]]
    return any(isinstance(part, (str, bytes)) and len(part) > 0 for part in parts)


def test_the_embedded_xml_extracts_and_is_what_was_embedded(fx_pdf, invoice_xml):
    assert facturx.get_xml_from_pdf(fx_pdf, check_xsd=True) == ("factur-x.xml", invoice_xml)


def test_the_pdf_reads_as_the_same_invoice(fx_pdf, base_pdf):
    before, after = reader(base_pdf).pages, reader(fx_pdf).pages
    assert len(after) == len(before) == 2
    assert [p.extract_text() for p in after] == [p.extract_text() for p in before]
    assert "Invoice RE-2026-0042" in after[0].extract_text()


def test_the_xmp_declares_pdf_a_3b_and_factur_x_en_16931(fx_pdf):
    meta = xmp(fx_pdf)
    assert meta.findtext(".//pdfaid:part", namespaces=XMP) == "3"
    assert meta.findtext(".//pdfaid:conformance", namespaces=XMP) == "B"
    assert meta.findtext(".//fx:ConformanceLevel", namespaces=XMP) == "EN 16931"
    assert meta.findtext(".//fx:DocumentType", namespaces=XMP) == "INVOICE"
    assert meta.findtext(".//fx:DocumentFileName", namespaces=XMP) == "factur-x.xml"


def test_the_attachment_is_declared_as_the_invoice_s_data(fx_pdf):
    root = reader(fx_pdf).trailer["/Root"]
    (spec,) = [ref.get_object() for ref in root["/AF"]]
    assert (spec["/F"], spec["/UF"], spec["/AFRelationship"]) == (
        "factur-x.xml",
        "factur-x.xml",
        "/Data",
    )
    stream = spec["/EF"]["/F"].get_object()
    assert stream["/Subtype"] == "/text/xml" and "/ModDate" in stream["/Params"]
    assert root["/Lang"] == "de-DE"


def test_it_has_an_srgb_output_intent(fx_pdf):
    (intent,) = [ref.get_object() for ref in reader(fx_pdf).trailer["/Root"]["/OutputIntents"]]
    assert intent["/S"] == "/GTS_PDFA1"
    assert intent["/OutputConditionIdentifier"] == "sRGB IEC61966-2.1"
    profile = intent["/DestOutputProfile"].get_object()
    icc = profile.get_data()
    assert profile["/N"] == 3
    assert icc[36:40] == b"acsp" and icc[16:20] == b"RGB "  # an ICC profile, of an RGB space


def test_header_id_and_info_agree_with_pdf_a(fx_pdf):
    assert fx_pdf.startswith(b"%PDF-1.7\n%") and all(byte > 127 for byte in fx_pdf[10:14])
    doc = reader(fx_pdf)
    first, second = doc.trailer["/ID"]
    assert len(first) == len(second) == 16
    meta, info = xmp(fx_pdf), doc.metadata
    assert info["/Title"] == meta.findtext(".//dc:title/rdf:Alt/rdf:li", namespaces=XMP)
    assert info["/Title"] == "Invoice RE-2026-0042"
    assert info["/Author"] == meta.findtext(".//dc:creator/rdf:Seq/rdf:li", namespaces=XMP)
    assert info["/Author"] == "Beispiel IT GmbH"
    assert info["/Subject"] == meta.findtext(".//dc:description/rdf:Alt/rdf:li", namespaces=XMP)
    assert info["/Producer"] == meta.findtext(".//pdf:Producer", namespaces=XMP)
    assert info["/Creator"] == meta.findtext(".//xmp:CreatorTool", namespaces=XMP)
    created = meta.findtext(".//xmp:CreateDate", namespaces=XMP)  # 2026-12-03T21:30:00+00:00
    digits = re.sub(r"\D", "", created[:19])
    assert info["/CreationDate"] == f"D:{digits}+00'00'"
    assert "/Keywords" not in info and "/Trapped" not in info  # no twin in this XMP


def test_every_font_that_draws_text_is_embedded(fx_pdf):
    fonts = fonts_showing_text(fx_pdf)
    assert any("DejaVuSans" in name for name in fonts), fonts
    assert all(fonts.values()), fonts


def test_a_credit_note_is_titled_as_one():
    xml = cii_xml(sample_credit_note())
    pdf = facturx_pdf(our_pdf("Credit note GS-2026-0007"), xml)
    assert reader(pdf).metadata["/Title"] == "Credit note GS-2026-0007"
    assert reader(pdf).trailer["/Root"]["/Lang"] == "en"
    assert facturx.get_xml_from_pdf(pdf) == ("factur-x.xml", xml)


def test_xml_the_factur_x_schema_refuses_gives_no_pdf(base_pdf, invoice_xml):
    broken = invoice_xml.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"")
    with pytest.raises(FacturXFailed, match="not valid"):
        facturx_pdf(base_pdf, broken)


def test_an_xrechnung_xml_is_not_passed_off_as_factur_x_en_16931(base_pdf):
    with pytest.raises(FacturXFailed, match="xrechnung"):
        facturx_pdf(base_pdf, cii_xml(sample_invoice(), "xrechnung"))
