"""Sending a credit note by email, its PDF attached: the default subject and body, and the
outcome, recorded on its invoice's trail (``credit_note_sent``) with the credit note's
``sent_at``. Delivery (SMTP, or the outbox without ``MAIL_SERVER``) is :mod:`billing.mail`'s.

A failure changes nothing: the error is the caller's to show, and sending can be tried again.
"""

from collections.abc import Iterable

from babel.dates import format_date

from billing.audit import record_event
from billing.credit_notes.pdf import credit_note_filename
from billing.einvoice.outputs import credit_note_attachments
from billing.errors import ValidationFailed
from billing.mail import SendResult, check_recipients, compose, deliver
from billing.money import format_money
from billing.settings import company_locale, get_settings
from clock import utcnow
from models import CreditNote, User, db

SUBJECT = "Credit note {number} for invoice {invoice} from {company}"
BODY = """Hello {customer},

Please find attached credit note {number} of {total}, dated {date}, for invoice {invoice}.

Reason: {reason}

Kind regards,
{company}
"""


def default_subject_body(credit_note: CreditNote) -> tuple[str, str]:
    """The send dialog's subject and message for ``credit_note``, filled in."""
    settings = get_settings()
    locale = company_locale(settings)
    values = {
        "number": credit_note.number,
        "invoice": credit_note.invoice.number,
        "customer": credit_note.bill_to_name,
        "total": format_money(credit_note.total_minor, credit_note.currency, locale),
        "date": format_date(credit_note.issue_date, format="medium", locale=locale),
        "reason": credit_note.reason,
        "company": (credit_note.issuer or {}).get("company_name") or settings.company_name,
    }
    return SUBJECT.format_map(values), BODY.format_map(values)


def send_credit_note(
    credit_note: CreditNote, recipients: Iterable[str], subject: str, body: str, user: User | None
) -> SendResult:
    """Email ``credit_note`` with its PDF (and its e-invoice, in its customer's format); on
    success set its ``sent_at`` (the first time) and record ``credit_note_sent`` on its
    invoice, committed (the email has left).

    :raise ValidationFailed: bad recipients, or an empty subject or body.
    :raise Conflict: the customer's e-invoice cannot be made (nothing is sent).
    :raise billing.mail.SendFailed: the server or the outbox refused it; nothing is changed.
    """
    addresses = check_recipients(recipients)
    if not subject.strip():
        raise ValidationFailed("Enter a subject.", "subject")
    if not body.strip():
        raise ValidationFailed("Enter a message.", "body")
    filename = credit_note_filename(credit_note)
    files = credit_note_attachments(credit_note)
    message = compose(addresses, subject, body, [(f.content, f.filename) for f in files])
    result = deliver(message, addresses, filename.removesuffix(".pdf"))
    credit_note.sent_at = credit_note.sent_at or utcnow()
    record_event(
        credit_note.invoice,
        user,
        "credit_note_sent",
        f"Credit note {credit_note.number}: {result.message}",
        data={"credit_note_id": credit_note.id, "recipients": list(result.recipients)},
    )
    db.session.commit()
    return result
