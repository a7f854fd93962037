"""The credit note PDF: a pure function of the credit note (and the current logo), drawn as the
invoice PDF is (:mod:`billing.invoices.pdf`: its logo, fonts, page size, stylesheet, footer)
from ``templates/credit_notes/pdf.html``."""

from datetime import date
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import render_template

from billing.catalog import percent_text, tax_label
from billing.credit_notes.lines import credit_note_totals
from billing.invoices.pdf import UNSAFE_IN_NAME, PdfLine, document_basics, render_document
from billing.money import format_money
from billing.settings import company_locale, get_settings
from models import CreditNote, Settings


def credit_note_filename(credit_note: CreditNote) -> str:
    """``CN-0001.pdf``: the number, with "-" for anything unsafe in a header or a file name."""
    return f"{UNSAFE_IN_NAME.sub('-', credit_note.number)}.pdf"


def render_credit_note_pdf(credit_note: CreditNote) -> bytes:
    """The credit note as a PDF document (needs an app context, not a request).

    :raise billing.invoices.pdf.PdfFailed: xhtml2pdf reported an error.
    """
    context = credit_note_pdf_context(credit_note, get_settings())
    html = render_template("credit_notes/pdf.html", **context)
    company = context["issuer"].get("company_name") or ""
    footer = f"{company} · Credit note {credit_note.number}"
    return render_document(html, footer, context["font"], f"credit note {credit_note.number}")


def credit_note_pdf_context(credit_note: CreditNote, settings: Settings) -> dict[str, Any]:
    """What ``credit_notes/pdf.html`` shows: the credit note, its issuer snapshot, its invoice's
    number, its lines and totals with tax per rate, the logo and fonts."""
    issuer = credit_note.issuer or credit_note.invoice.issuer or {}
    locale = company_locale(settings)

    def money(minor: int) -> str:
        return format_money(minor, credit_note.currency, locale)

    def day(value: date | None) -> str:
        return format_date(value, format="medium", locale=locale) if value else ""

    lines = [
        PdfLine(
            line.description,
            format_decimal(line.quantity, format="#,##0.###", locale=locale),
            money(line.unit_price_minor),
            "",
            f"{percent_text(line.tax_percent)}%" if line.tax_percent else "",
            money(line.amount_minor),
        )
        for line in credit_note.lines
    ]
    return {
        **document_basics(settings, issuer),
        "credit_note": credit_note,
        "invoice": credit_note.invoice,
        "issuer": issuer,
        "lines": lines,
        "totals": credit_note_totals(credit_note),
        "money": money,
        "day": day,
        "tax_label": tax_label,
    }
