"""Sending an invoice by email: the default subject and body, the message, and its outcome.

Delivery (SMTP, or the outbox without ``MAIL_SERVER``) is :mod:`billing.mail`'s. Either way
the outcome is recorded on
the invoice and committed here, because the email has left (or failed to) whatever the caller
does next: success makes a Draft or Exported invoice Sent; a failure changes nothing but adds
a ``send_failed`` event with the server's own words.
"""

import logging
from collections.abc import Iterable
from email.message import EmailMessage

from babel.dates import format_date

from billing.audit import record_event
from billing.einvoice.outputs import invoice_attachments
from billing.errors import ValidationFailed
from billing.invoices.pdf import pdf_filename
from billing.invoices.status import change_status
from billing.ledgers.export import approve_ledger_drafts
from billing.mail import (  # noqa: F401 (re-exported: callers name them here)
    MAX_RECIPIENTS,
    SendFailed,
    SendResult,
    check_recipients,
    compose,
    deliver,
)
from billing.money import format_money
from billing.settings import (
    DEFAULT_EMAIL_BODY,
    DEFAULT_EMAIL_BODY_PAID,
    DEFAULT_EMAIL_SUBJECT,
    check_template,
    company_locale,
    get_settings,
)
from clock import utcnow
from models import SETTLED_STATUSES, Invoice, InvoiceStatus, Settings, User, db

log = logging.getLogger(__name__)

# Sending makes these Sent; a Sent, Paid or Refunded invoice is re-sent as it is.
BECOMES_SENT = (InvoiceStatus.DRAFT, InvoiceStatus.EXPORTED)


def default_subject_body(invoice: Invoice) -> tuple[str, str]:
    """The settings' email subject and body with the invoice's placeholders filled in."""
    settings = get_settings()
    values = placeholder_values(invoice, settings)
    subject = fill_template(settings.email_subject, DEFAULT_EMAIL_SUBJECT, values, "email_subject")
    body_template, default_body = settings.email_body, DEFAULT_EMAIL_BODY
    if invoice.paid_minor > 0 and (body_template or "").strip() in ("", DEFAULT_EMAIL_BODY):
        # The body left as shipped says what is still due once something was paid.
        body_template = default_body = DEFAULT_EMAIL_BODY_PAID
    body = fill_template(body_template, default_body, values, "email_body")
    return subject, body


def placeholder_values(invoice: Invoice, settings: Settings) -> dict[str, str]:
    """What each of :data:`billing.settings.PLACEHOLDERS` stands for, for ``invoice``."""
    locale = company_locale(settings)
    paid = invoice.paid_minor or 0  # an invoice not saved yet has no sums
    # What is still due: nothing once it is Paid or Refunded (even marked Paid by hand).
    settled = invoice.status in SETTLED_STATUSES
    balance = 0 if settled else invoice.total_minor - paid - (invoice.credited_minor or 0)
    return {
        "number": invoice.number,
        "customer": invoice.bill_to_name,
        "total": format_money(invoice.total_minor, invoice.currency, locale),
        "due_date": format_date(invoice.due_date, format="medium", locale=locale),
        "company": (invoice.issuer or {}).get("company_name") or settings.company_name,
        "paid": format_money(paid, invoice.currency, locale),
        "balance": format_money(balance, invoice.currency, locale),
    }


def fill_template(template: str, default: str, values: dict[str, str], field: str) -> str:
    """``template`` (or ``default`` when empty or invalid) with its placeholders filled."""
    text = template or default
    try:
        check_template(text, field=field)
    except ValidationFailed as error:
        # Checked when saved; a row edited behind the form's back still must not break sending.
        log.warning("Settings %s is not a valid template (%s); using the default.", field, error)
        text = default
    return text.format_map(values)


def build_message(
    invoice: Invoice, recipients: Iterable[str], subject: str, body: str
) -> EmailMessage:
    """The email: from ``MAIL_DEFAULT_SENDER`` to ``recipients``, carrying the PDF as
    ``<number>.pdf`` and the e-invoice in its customer's format (the XML beside the PDF, or
    the Factur-X PDF instead).

    :raise Conflict: the customer's e-invoice cannot be made (what to fill in, and where).
    """
    files = invoice_attachments(invoice)
    return compose(recipients, subject, body, [(f.content, f.filename) for f in files])


def send_invoice(
    invoice: Invoice, recipients: Iterable[str], subject: str, body: str, user: User | None
) -> SendResult:
    """Email ``invoice`` with its PDF, and record the outcome (committed, see the module).

    :raise ValidationFailed: bad recipients, or an empty subject or body (nothing recorded).
    :raise SendFailed: the server or the outbox refused it; the invoice is unchanged and a
        ``send_failed`` event holds the server's error.
    """
    addresses = check_recipients(recipients)
    if not subject.strip():
        raise ValidationFailed("Enter a subject.", "subject")
    if not body.strip():
        raise ValidationFailed("Enter a message.", "body")
    message = build_message(invoice, addresses, subject, body)
    try:
        result = deliver(message, addresses, pdf_filename(invoice).removesuffix(".pdf"))
    except SendFailed as error:
        to = ", ".join(addresses)
        record_event(invoice, user, "send_failed", f"Sending to {to} failed: {error}")
        db.session.commit()
        raise
    invoice.sent_at = invoice.sent_at or utcnow()
    if invoice.status in BECOMES_SENT:
        change_status(invoice, InvoiceStatus.SENT, user, result.message)
    else:
        record_event(invoice, user, "sent", result.message)
    db.session.commit()
    approve_ledger_drafts(invoice, user)
    return result
