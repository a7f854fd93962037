"""The Factur-X / ZUGFeRD PDF: the invoice PDF a person reads, with its CII XML embedded as
``factur-x.xml`` (EN 16931 profile), made as close to PDF/A-3b as our stack allows.

The ``factur-x`` library checks the XML against the Factur-X EN 16931 XSD, embeds it (``/AF``,
``/EmbeddedFiles``) and writes the XMP (``pdfaid:part 3``, ``fx:ConformanceLevel EN 16931``).
It does not make the PDF itself PDF/A, so this module then adds what PDF/A-3 asks of the file
and ``factur-x`` leaves out: an sRGB output intent (our pages paint in DeviceRGB), a PDF 1.7
header, a document ID, and an Info dictionary that says what the XMP says (PDF/A refuses the
two disagreeing). What it cannot add is checked nowhere here (no veraPDF): see the README.
"""

import hashlib
import logging
from datetime import UTC, datetime
from functools import lru_cache
from io import BytesIO

import facturx
from lxml import etree
from PIL import ImageCms
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from billing.einvoice.cii import NSMAP
from billing.einvoice.document import CREDIT_NOTE, EN16931
from billing.errors import BillingError

log = logging.getLogger(__name__)

LEVEL = "en16931"
GUIDELINE_ID = "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"  # BT-24
PDF_HEADER = "%PDF-1.7"  # PDF/A-3 is built on ISO 32000-1, i.e. PDF 1.7
SRGB = "sRGB IEC61966-2.1"  # the output condition's registry name
XMP_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}
# Info entries without an XMP twin in factur-x's XMP: PDF/A wants each Info entry in the XMP too.
DROPPED_INFO = ("/Keywords", "/Trapped")


class FacturXFailed(BillingError):
    """The XML is not a Factur-X EN 16931 invoice, or fails that profile's schema: no PDF is
    given rather than one whose embedded invoice a buyer's software would refuse."""

    status_code = 500


def facturx_pdf(pdf: bytes, xml: bytes, *, lang: str = "en") -> bytes:
    """``pdf`` (the invoice or credit note as rendered) with ``xml`` (its CII, see
    :func:`billing.einvoice.cii.cii_xml`) embedded as a Factur-X EN 16931 invoice.

    The pages are untouched; the file gains the attachment, the Factur-X XMP, an sRGB output
    intent, a document ID, a 1.7 header and title metadata. ``lang`` is the document's language
    (``/Lang``), e.g. ``en`` or ``de-DE``.

    :raise FacturXFailed: ``xml`` is not an EN 16931 profile invoice (an XRechnung CII, say) or
        fails the Factur-X EN 16931 XSD.
    """
    guideline = etree.fromstring(xml).findtext(f".//{GUIDELINE_ID}", "", NSMAP)
    if guideline != EN16931:
        # The XMP would call it EN 16931 while the XML names another specification.
        raise FacturXFailed(f"The XML is not a Factur-X EN 16931 invoice ({guideline!r}).")
    try:
        embedded = facturx.generate_from_binary(
            pdf,
            xml,
            flavor="factur-x",
            level=LEVEL,
            check_xsd=True,
            # True would POST the XML to a Saxon server, or skip silently without one; the
            # schematron runs in the tests instead (tests/einvoice/validation.py).
            check_schematron=False,
            pdf_metadata=_metadata(xml),
            lang=lang,
            # PDF/A readers and validators read the XMP as plain text.
            xmp_compression=False,
        )
    except Exception as exc:  # factur-x raises a bare Exception for an XSD failure
        log.warning("Factur-X refused the CII XML: %s", exc)
        raise FacturXFailed(f"The Factur-X XML is not valid: {exc}") from exc
    return _pdfa(embedded, _issued(xml), hashlib.md5(pdf + xml).digest())


def _metadata(xml: bytes) -> dict[str, str]:
    # Title, author and subject of the Info dictionary and the XMP (dc:title, dc:creator,
    # dc:description), from the XML so they can never disagree with the invoice.
    root = etree.fromstring(xml)
    number = root.findtext("rsm:ExchangedDocument/ram:ID", "", NSMAP)
    kind = (
        "Credit note" if root.findtext(".//ram:TypeCode", "", NSMAP) == CREDIT_NOTE else "Invoice"
    )
    seller = root.findtext(".//ram:SellerTradeParty/ram:Name", "", NSMAP)
    return {
        "title": f"{kind} {number}",
        "author": seller,
        "subject": f"{kind} {number} from {seller}, with its Factur-X EN 16931 XML",
        "keywords": "",
    }


def _issued(xml: bytes) -> datetime:
    """The document's issue date (BT-2), at midnight UTC: the file's one timestamp, so that the
    same invoice always gives the same bytes (as its plain PDF does)."""
    text = etree.fromstring(xml).findtext(
        "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", "", NSMAP
    )
    return datetime.strptime(text, "%Y%m%d").replace(tzinfo=UTC)


def _pdfa(pdf: bytes, moment: datetime, fingerprint: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(BytesIO(pdf)))
    writer.pdf_header = PDF_HEADER
    root = writer.root_object
    intent = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject(SRGB),
            NameObject("/Info"): TextStringObject(SRGB),
            # A stream must be an indirect object; pypdf has no public call to add one.
            NameObject("/DestOutputProfile"): writer._add_object(_icc_stream()),
        }
    )
    root[NameObject("/OutputIntents")] = ArrayObject([intent])
    _set_times(writer, moment)
    _match_info_to_xmp(writer)
    # The same input, the same ID (pypdf's generate_file_identifiers() draws a random one).
    writer._ID = ArrayObject([ByteStringObject(fingerprint), ByteStringObject(fingerprint)])
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _icc_stream() -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(_srgb_profile())
    stream[NameObject("/N")] = NumberObject(3)
    return stream.flate_encode()


@lru_cache(maxsize=1)
def _srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _set_times(writer: PdfWriter, moment: datetime) -> None:
    """Every timestamp factur-x wrote ("now": the XMP's dates, the attachment's) as ``moment``."""
    stream = writer.root_object["/Metadata"].get_object()
    xmp = etree.fromstring(stream.get_data())
    for name in ("CreateDate", "ModifyDate", "MetadataDate"):
        for node in xmp.iter(f"{{{XMP_NS['xmp']}}}{name}"):
            node.text = moment.isoformat()
    stream.set_data(etree.tostring(xmp, encoding="utf-8"))
    names = writer.root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    for spec in names[1::2]:
        params = spec.get_object()["/EF"]["/F"].get_object().get("/Params")
        if params is not None:
            params[NameObject("/ModDate")] = TextStringObject(_pdf_date(moment.isoformat()))


def _match_info_to_xmp(writer: PdfWriter) -> None:
    """The Info dictionary's producer, creator tool and dates as the XMP states them (factur-x
    writes the XMP's and the Info's timestamps separately, and keeps the renderer's producer)."""
    xmp = etree.fromstring(writer.root_object["/Metadata"].get_object().get_data())
    created = xmp.findtext(".//xmp:CreateDate", "", XMP_NS)
    modified = xmp.findtext(".//xmp:ModifyDate", "", XMP_NS)
    info = {
        key: value
        for key, value in (writer.metadata or {}).items()
        if key not in DROPPED_INFO and value != ""
    }
    info.update(
        {
            "/Producer": xmp.findtext(".//pdf:Producer", "", XMP_NS),
            "/Creator": xmp.findtext(".//xmp:CreatorTool", "", XMP_NS),
            "/CreationDate": _pdf_date(created),
            "/ModDate": _pdf_date(modified),
        }
    )
    writer.metadata = info


def _pdf_date(xmp_date: str) -> str:
    # 2026-12-03T21:30:00+00:00 -> D:20261203213000+00'00'
    moment = datetime.fromisoformat(xmp_date)
    offset = moment.strftime("%z") or "+0000"
    return f"D:{moment:%Y%m%d%H%M%S}{offset[:3]}'{offset[3:]}'"
