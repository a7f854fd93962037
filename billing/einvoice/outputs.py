"""Every e-invoice file of an invoice or credit note, by format, and what a customer's emails
carry.

Formats: ``peppol`` (UBL, Peppol BIS Billing 3.0), ``xrechnung`` (UBL, XRechnung 3.0), ``cii``
(UN/CEFACT CII, EN 16931) and ``facturx`` (the PDF with the CII inside). Each is made from the
one :class:`~billing.einvoice.document.Document`, so every rendering agrees.
"""

from dataclasses import dataclass

from billing.credit_notes.pdf import credit_note_filename, render_credit_note_pdf
from billing.einvoice.build import credit_note_document, invoice_document
from billing.einvoice.buyer import xml_format
from billing.einvoice.cii import cii_xml
from billing.einvoice.document import Document
from billing.einvoice.facturx import facturx_pdf
from billing.einvoice.ubl import ubl_xml
from billing.errors import Conflict, NotFound
from billing.invoices.pdf import pdf_filename, render_invoice_pdf
from billing.money import precision
from models import CreditNote, Customer, Invoice

# Format -> (label, what the file is); in the order pages offer them.
FORMATS = {
    "facturx": ("Factur-X / ZUGFeRD PDF", "PDF with the EN 16931 CII XML inside"),
    "peppol": ("Peppol BIS 3.0 XML", "UBL 2.1"),
    "xrechnung": ("XRechnung 3.0 XML", "UBL 2.1"),
    "cii": ("EN 16931 CII XML", "UN/CEFACT CII D16B"),
}
XML = "application/xml"
PDF = "application/pdf"


def einvoice_choices() -> list[tuple[str, str]]:
    """(value, label) of the bulk zip's format choice: each customer's own, or one for all."""
    return [("customer", "E-invoices in each customer's format")] + [
        (fmt, f"E-invoices as {label}") for fmt, (label, _) in FORMATS.items()
    ]


@dataclass(frozen=True)
class EFile:
    """One file to download, zip or attach."""

    filename: str
    mimetype: str
    content: bytes


def check_format(fmt: str) -> str:
    """:raise NotFound: ``fmt`` is not one of :data:`FORMATS` (a 404 for a made-up URL)."""
    if fmt not in FORMATS:
        raise NotFound(f"There is no e-invoice format {fmt[:40]!r}.")
    return fmt


def invoice_file(invoice: Invoice, fmt: str) -> EFile:
    """``invoice`` in ``fmt``.

    :raise Conflict: what the e-invoice needs is missing (the message says what to fill in).
    """
    check_format(fmt)
    stem = pdf_filename(invoice).removesuffix(".pdf")
    return _file(invoice_document(invoice), fmt, stem, lambda: render_invoice_pdf(invoice))


def credit_note_file(credit_note: CreditNote, fmt: str) -> EFile:
    """``credit_note`` in ``fmt``, referring to its invoice (BG-3).

    :raise Conflict: as :func:`invoice_file`.
    """
    stem = credit_note_filename(credit_note).removesuffix(".pdf")
    document = credit_note_document(credit_note)
    return _file(document, check_format(fmt), stem, lambda: render_credit_note_pdf(credit_note))


def _file(document: Document, fmt: str, stem: str, pdf) -> EFile:
    lacking = format_lacks(document, fmt)
    if lacking:
        raise Conflict(f"{' '.join(lacking)} Nothing was made.")
    if fmt == "facturx":
        content = facturx_pdf(pdf(), cii_xml(document, "en16931"))
        return EFile(f"{stem}.pdf", PDF, content)
    if fmt == "cii":
        return EFile(f"{stem}-cii.xml", XML, cii_xml(document, "en16931"))
    return EFile(f"{stem}-{fmt}.xml", XML, ubl_xml(document, fmt))


def format_lacks(document: Document, fmt: str) -> list[str]:
    """What ``fmt`` needs that ``document`` lacks, each naming the business term and where to
    fill it in ([] when nothing): amounts of at most 2 decimals (BR-DEC), Peppol's and
    XRechnung's electronic addresses (R010, R020), XRechnung's seller contact, payment account
    and post codes (BR-DE-1 to 9)."""
    seller, buyer = document.seller, document.buyer
    found = []
    if precision(document.currency) > 2:
        found.append(
            f"Invoice currency (BT-5): e-invoice amounts have at most 2 decimals (BR-DEC), "
            f"and {document.currency} has {precision(document.currency)}."
        )
    if fmt in ("peppol", "xrechnung"):
        if not buyer.endpoint_id:
            found.append(
                f"Buyer electronic address (BT-49): {FORMATS[fmt][0]} needs the customer's "
                "electronic address and its scheme; enter them on the customer's page."
            )
        if not seller.endpoint_id:
            found.append(
                f"Seller electronic address (BT-34): {FORMATS[fmt][0]} needs yours; enter it "
                "in Admin > Settings > E-invoicing."
            )
    if fmt == "xrechnung":
        if not (seller.contact_name and seller.contact_phone and seller.contact_email):
            found.append(
                "Seller contact (BG-6): XRechnung needs your contact's name, phone and email; "
                "enter them in Admin > Settings."
            )
        if document.payment is None:
            found.append("Payment account (BT-84): XRechnung needs your IBAN in Admin > Settings.")
        if not seller.address.postcode:
            found.append(
                "Seller post code (BT-38): put your post code and city on the last line of "
                "your address in Admin > Settings."
            )
        if not buyer.address.postcode:
            found.append(
                "Buyer post code (BT-53): put the post code and city on the last line of the "
                "customer's address."
            )
    return found


def emailed_formats(customer: Customer) -> tuple[str, ...]:
    """The e-invoice formats ``customer``'s emails carry (its PDF aside): none for PDF only;
    its XML (Peppol or XRechnung) beside the PDF; Factur-X instead of the PDF, with the
    XRechnung XML beside it for a public body (a Leitweg-ID), which must receive XRechnung."""
    target = xml_format(customer)
    if target is None:
        return ()
    if customer.einvoice_format == "facturx":
        return ("facturx", "xrechnung") if target == "xrechnung" else ("facturx",)
    return (target,)


def emailed_files(customer: Customer, stem: str) -> list[tuple[str, str]]:
    """(format or "pdf", file name) of what ``customer``'s emails carry, for the send dialog's
    "Attached:" line; ``stem`` is the document's file name without its extension."""
    formats = emailed_formats(customer)
    pdf = ("facturx", f"{stem}.pdf (Factur-X)") if "facturx" in formats else ("pdf", f"{stem}.pdf")
    return [pdf] + [(fmt, f"{stem}-{fmt}.xml") for fmt in formats if fmt != "facturx"]


def invoice_attachments(invoice: Invoice) -> list[EFile]:
    """What an invoice's email to its customer carries, in its customer's format.

    :raise Conflict: the customer's e-invoice cannot be made (nothing is sent then).
    """
    formats = emailed_formats(invoice.customer)
    files = [invoice_file(invoice, fmt) for fmt in formats]
    if "facturx" not in formats:
        files.insert(0, EFile(pdf_filename(invoice), PDF, render_invoice_pdf(invoice)))
    return files


def credit_note_attachments(credit_note: CreditNote) -> list[EFile]:
    """What a credit note's email carries, in its customer's format (as invoices)."""
    formats = emailed_formats(credit_note.customer)
    files = [credit_note_file(credit_note, fmt) for fmt in formats]
    if "facturx" not in formats:
        pdf = render_credit_note_pdf(credit_note)
        files.insert(0, EFile(credit_note_filename(credit_note), PDF, pdf))
    return files


def zipped_einvoice(invoice: Invoice, fmt: str) -> EFile:
    """The one file a bulk zip holds for ``invoice``: in ``fmt``, or with ``fmt`` "customer"
    in its customer's e-invoice format (Factur-X when it gets one).

    :raise Conflict: its customer is emailed PDFs only, or the e-invoice cannot be made.
    """
    if fmt == "customer":
        formats = emailed_formats(invoice.customer)
        if not formats:
            raise Conflict(
                f"{invoice.customer.name} is emailed PDFs only: choose its e-invoice format on "
                "its customer page, or choose a format for all of them here."
            )
        # A public body must receive XRechnung, whatever else it gets by email.
        fmt = "xrechnung" if "xrechnung" in formats else formats[0]
    return invoice_file(invoice, fmt)
