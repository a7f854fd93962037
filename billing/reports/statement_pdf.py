"""A statement as a PDF, and by email with that PDF attached.

The PDF is made as the invoice's is (``billing.invoices.pdf.render_document``): xhtml2pdf over
a dedicated template (``templates/reports/statement_pdf.html``) with the invoices' stylesheet,
fonts, logo, page size and stamped "Page X of Y" footer. Sending records nothing: a statement
is a reading of the account, not a change to it; a refusal by the server is told, nothing else
happens.
"""

from __future__ import annotations

from typing import Any

from babel.dates import format_date
from flask import render_template

from billing.invoices.pdf import UNSAFE_IN_NAME, document_basics, render_document
from billing.mail import SendResult, check_recipients, compose, deliver
from billing.money import format_money
from billing.reports.statement import Statement
from billing.settings import company_locale, get_settings


def statement_stem(statement: Statement) -> str:
    """``statement-Acme-Dental-USD-2026-11-01-2026-12-03``: the file names' common part."""
    name = UNSAFE_IN_NAME.sub("-", statement.customer.name)[:60]
    return (
        f"statement-{name}-{statement.currency}-"
        f"{statement.start.isoformat()}-{statement.end.isoformat()}"
    )


def render_statement_pdf(statement: Statement) -> bytes:
    """The statement as a PDF document (needs an app context, not a request).

    :raise PdfFailed: xhtml2pdf reported an error.
    """
    context = statement_pdf_context(statement)
    html = render_template("reports/statement_pdf.html", **context)
    footer = f"{context['settings'].company_name} · Statement of {statement.customer.name}"
    return render_document(html, footer, context["font"], "the statement")


def statement_pdf_context(statement: Statement) -> dict[str, Any]:
    """What ``reports/statement_pdf.html`` shows: the statement, the company, money and days
    in the company's locale, the logo and font."""
    settings = get_settings()
    locale = company_locale(settings)

    def money(minor: int) -> str:
        return format_money(minor, statement.currency, locale)

    def day(value) -> str:
        return format_date(value, format="medium", locale=locale) if value else ""

    return {
        **document_basics(settings, {}),
        "statement": statement,
        "settings": settings,
        "money": money,
        "day": day,
    }


def default_subject_body(statement: Statement) -> tuple[str, str]:
    """The email's subject and body, the period and closing balance filled in."""
    settings = get_settings()
    locale = company_locale(settings)
    company = settings.company_name or "us"
    start = format_date(statement.start, format="medium", locale=locale)
    end = format_date(statement.end, format="medium", locale=locale)
    closing = statement.closing_minor
    amount = format_money(abs(closing), statement.currency, locale)
    if closing > 0:
        owed = f"The balance due is {amount}."
    elif closing < 0:
        owed = f"You have a credit of {amount} with us."
    else:
        owed = "Nothing is due."
    subject = f"Statement of account {start} – {end} from {settings.company_name}".strip()
    body = (
        f"Dear {statement.customer.name},\n\n"
        f"Please find attached your statement of account for {start} to {end}. {owed}\n\n"
        f"Kind regards,\n{company}"
    )
    return subject, body


def send_statement(
    statement: Statement, recipients: list[str], subject: str, body: str
) -> SendResult:
    """Email the statement's PDF to ``recipients``.

    :raise ValidationFailed: a bad address (beside ``recipients``).
    :raise SendFailed: the mail server refused it. :raise PdfFailed: no PDF could be made.
    """
    addresses = check_recipients(recipients)
    stem = statement_stem(statement)
    message = compose(addresses, subject, body, [(render_statement_pdf(statement), f"{stem}.pdf")])
    return deliver(message, addresses, stem)
