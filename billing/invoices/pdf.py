"""The invoice PDF: a pure function of the invoice (and the current logo) over a dedicated template.

xhtml2pdf renders ``templates/invoices/pdf.html`` in one layout pass; the footer with its "Page X
of Y" is stamped on afterwards (``pdf_footer``). Rendering is deterministic: the same
invoice gives the same bytes, so an email's attachment is the download, byte for byte.
"""

import base64
import logging
import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from flask import render_template
from PIL import Image
from reportlab import rl_config
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from billing.catalog import percent_text, tax_label
from billing.einvoice.girocode import epc_payload, formatted_iban, girocode_data_uri
from billing.errors import BillingError
from billing.invoices.parts import contract_parts
from billing.invoices.pdf_footer import font_name, stamp_footer
from billing.invoices.snapshot import tax_summary
from billing.money import format_money
from billing.settings import company_locale, get_settings
from billing.wording import counted
from models import SETTLED_STATUSES, Invoice, InvoiceStatus, Settings

log = logging.getLogger(__name__)

# The Debian package fonts-dejavu-core. Helvetica (WinAnsi) lacks some currency signs (₹, ₺)
# and the narrow no-break space Babel puts in French amounts; DejaVu Sans has them.
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
LOGO_BOX = (600, 200)  # pixels: sharp at the size shown, small in every attachment
UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")
LETTER_COUNTRIES = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "CR", "PA", "PR"})

# Without a fixed timestamp every PDF differs from the last in its dates and /ID. One setting
# for the process: nothing else here makes PDFs with ReportLab.
rl_config.invariant = 1


class PdfFailed(BillingError):
    """xhtml2pdf reported errors: the PDF would be incomplete, so none is given."""

    status_code = 500


class HowToPay(NamedTuple):
    """The invoice's bank transfer details, as printed: every figure already formatted."""

    holder: str
    iban: str  # in groups of four
    bic: str
    reference: str  # the invoice number
    amount_due: str  # empty when nothing is due
    qr: str | None  # the EPC QR code (a data: URI) when a banking app can pay it
    caption: str


class PdfLine(NamedTuple):
    """One invoice line as printed: every figure already formatted."""

    description: str
    quantity: str
    unit_price: str
    discount: str
    tax: str
    amount: str
    heading: str = ""  # a contract's title (its period) above its lines, figures empty


def pdf_filename(invoice: Invoice) -> str:
    """``INV-0007.pdf``: the number, with "-" for anything but letters, digits, ".", "_", "-"
    (a "/" is allowed in prefixes), so the name is safe in a header, a zip and a folder."""
    return f"{UNSAFE_IN_NAME.sub('-', invoice.number)}.pdf"


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as a PDF document (needs an app context, not a request).

    :raise PdfFailed: xhtml2pdf reported an error.
    """
    context = pdf_context(invoice, get_settings())
    html = render_template("invoices/pdf.html", **context)
    footer = f"{context['issuer'].get('company_name') or ''} · Invoice {invoice.number}"
    return render_document(html, footer, context["font"], f"invoice {invoice.number}")


def render_document(html: str, footer: str, font: dict[str, str] | None, what: str) -> bytes:
    """``html`` (a PDF template rendered with :func:`document_basics`) as a PDF, ``footer`` and
    "Page X of Y" stamped on each page; shared by invoices, credit notes and statements.

    :raise PdfFailed: xhtml2pdf reported an error (``what``: the document, in words).
    """
    out = BytesIO()
    # Every text block starts in the canvas's base font: ours, so that no font is left
    # unembedded (PDF/A, for the Factur-X PDF made from this one).
    rl_config.canvas_basefontname = font_name(font["regular"]) if font else "Helvetica"
    status = pisa.CreatePDF(html, dest=out, resource_policy=_policy(), encoding="utf-8")
    if status.err:
        raise PdfFailed(f"The PDF of {what} could not be made ({status.err}).")
    return stamp_footer(out.getvalue(), footer, font["regular"] if font else None)


def document_basics(settings: Settings, issuer: dict[str, Any]) -> dict[str, Any]:
    """What every PDF template uses around its content: the current ``logo`` (a data URI or
    None), the ``font`` (DejaVu Sans, or None for Helvetica) and the ``page_size`` (Letter in
    the Americas' Letter countries, else A4, by the issuer's country)."""
    country = (issuer.get("country") or settings.country or "").upper()
    return {
        "logo": _logo_uri(settings),
        "font": _font(),
        "page_size": "letter" if country in LETTER_COUNTRIES else "a4",
    }


def pdf_context(invoice: Invoice, settings: Settings) -> dict[str, Any]:
    """What ``invoices/pdf.html`` shows: the invoice, its issuer snapshot, lines, totals, logo."""
    issuer = invoice.issuer or {}
    locale = company_locale(settings)  # parsed once: per amount it would dominate the render

    def money(minor: int) -> str:
        return format_money(minor, invoice.currency, locale)

    def day(value: date | None) -> str:
        return format_date(value, format="medium", locale=locale) if value else ""

    return {
        **document_basics(settings, issuer),
        "invoice": invoice,
        "issuer": issuer,
        "lines": _pdf_lines(invoice, money, locale),
        "has_discount": any(line.discount_minor for line in invoice.lines),
        "totals": tax_summary(invoice),
        "money": money,
        "day": day,
        "tax_label": tax_label,
        "terms": payment_terms(invoice.issue_date, invoice.due_date, locale),
        "settlement": settlement_text(invoice, money),
        "how_to_pay": how_to_pay(invoice, money),
    }


def how_to_pay(invoice: Invoice, money: Callable[[int], str]) -> HowToPay | None:
    """Account holder, IBAN, BIC, reference and amount due, from the issuer snapshot; with the
    EPC QR code ("GiroCode") for a EUR invoice with something due. None when the snapshot has
    no IBAN (an invoice made before it was asked for, or a seller without one): the PDF then
    shows the free-text bank details alone."""
    issuer = invoice.issuer or {}
    if not issuer.get("iban"):
        return None
    holder = issuer.get("legal_name") or issuer.get("company_name") or ""
    # Marked Paid by hand (paid elsewhere) or refunded: nothing to ask for, whatever the balance.
    due = 0 if invoice.status in SETTLED_STATUSES else invoice.balance_minor
    payload = epc_payload(
        holder, issuer["iban"], due, invoice.currency, invoice.number, issuer.get("bic") or ""
    )
    return HowToPay(
        holder=holder,
        iban=formatted_iban(issuer["iban"]),
        bic=issuer.get("bic") or "",
        reference=invoice.number,
        amount_due=money(due) if due > 0 else "",
        qr=girocode_data_uri(payload) if payload else None,
        caption=f"Scan with your banking app to pay {money(due)}" if payload else "",
    )


def settlement_text(invoice: Invoice, money: Callable[[int], str]) -> str:
    """What was paid and what is due, under the total: ``Paid $60.50 · Balance due $190.00``
    (``Credited`` too when a credit note reduced it); ``Paid in full``, ``Paid`` (marked by
    hand), ``Refunded``; empty for a Draft, or when nothing was paid or credited yet."""
    paid, credited = invoice.paid_minor, invoice.credited_minor
    parts = [f"Paid {money(paid)}"] if paid > 0 else []
    if credited > 0:
        parts.append(f"Credited {money(credited)}")
    if invoice.status == InvoiceStatus.REFUNDED:
        return "Refunded"
    if invoice.status == InvoiceStatus.PAID:
        if invoice.balance_minor > 0 or not parts:
            return "Paid"  # marked Paid by hand: paid elsewhere
        return "Paid in full" if not credited else " · ".join([*parts, "Nothing due"])
    if invoice.status == InvoiceStatus.DRAFT or not parts:
        return ""
    return " · ".join([*parts, f"Balance due {money(invoice.balance_minor)}"])


def payment_terms(issue_date: date, due_date: date, locale: Locale | str = "en_US") -> str:
    """``Payment due within 30 days, by Nov 14, 2026.``, from the invoice's own dates.

    The days are counted between the dates rather than read from the settings, so that a due
    date edited on a Draft is stated truthfully.
    """
    days = (due_date - issue_date).days
    by = format_date(due_date, format="medium", locale=locale)
    if days <= 0:
        return f"Payment due on receipt, by {by}."
    return f"Payment due within {counted(days, 'day')}, by {by}."


def _pdf_lines(invoice: Invoice, money: Callable[[int], str], locale: Locale) -> list[PdfLine]:
    """The printed lines; an invoice for several contracts gets a heading before each one's."""
    parts = contract_parts(invoice)
    if not parts:
        return [_pdf_line(line, money, locale) for line in invoice.lines]
    rows = []
    for part in parts:
        rows.append(PdfLine("", "", "", "", "", "", heading=part.title))
        rows += [_pdf_line(line, money, locale) for line in part.lines]
    return rows


def _pdf_line(line: Any, money: Callable[[int], str], locale: Locale) -> PdfLine:
    return PdfLine(
        line.description,
        format_decimal(line.quantity, format="#,##0.###", locale=locale),
        money(line.unit_price_minor),
        money(line.discount_minor) if line.discount_minor else "",
        f"{percent_text(line.tax_percent)}%" if line.tax_percent else "",
        money(line.amount_minor),
    )


def _logo_uri(settings: Settings) -> str | None:
    # The current logo, not a snapshot: the invoice's snapshot holds text only.
    if not settings.logo or not settings.logo_mimetype:
        return None
    return _logo_data_uri(settings.logo, settings.logo_mimetype)


@lru_cache(maxsize=4)
def _logo_data_uri(data: bytes, mimetype: str) -> str | None:
    # Shrunk to what the PDF shows (48 pt high), so a 1 MB upload does not ride along in every
    # attachment; PNG and JPEG that fit already go in as uploaded.
    try:
        with Image.open(BytesIO(data)) as image:
            fits = image.width <= LOGO_BOX[0] and image.height <= LOGO_BOX[1]
            if fits and mimetype in ("image/png", "image/jpeg"):
                payload = data
            else:
                image.thumbnail(LOGO_BOX)
                if image.mode not in ("RGB", "RGBA", "L", "LA"):
                    image = image.convert("RGBA")
                out = BytesIO()
                image.save(out, "PNG")
                payload, mimetype = out.getvalue(), "image/png"
    except Exception:  # Pillow raises many kinds; an unreadable logo is left out, never fatal
        log.warning("The company logo cannot be read; the PDF is made without it.")
        return None
    return f"data:{mimetype};base64,{base64.b64encode(payload).decode('ascii')}"


def _font() -> dict[str, str] | None:
    regular, bold = DEJAVU_DIR / "DejaVuSans.ttf", DEJAVU_DIR / "DejaVuSans-Bold.ttf"
    if not (regular.is_file() and bold.is_file()):
        return None
    return {"family": "Invoice Sans", "regular": str(regular), "bold": str(bold)}


def _policy() -> ResourceAccessPolicy:
    # The document holds customer text: whatever it names, fetch nothing from the network
    # and read no file outside the font directory.
    return ResourceAccessPolicy.server(
        base_dir=None, extra_roots=(DEJAVU_DIR,), allow_remote=False, max_render_seconds=120
    )
