"""Several invoices at once: each sent to its own billing emails, or all PDFs in one zip."""

import zipfile
from collections.abc import Iterable
from datetime import date
from io import BytesIO
from typing import NamedTuple

from billing.errors import BillingError
from billing.invoices.mailer import default_subject_body, send_invoice
from billing.invoices.pdf import pdf_filename, render_invoice_pdf
from billing.users import split_addresses
from models import Invoice, User


class Outcome(NamedTuple):
    """What happened to one invoice of a bulk send: ``(invoice, ok, message)``."""

    invoice: Invoice
    ok: bool
    message: str


def send_many(invoices: Iterable[Invoice], user: User | None) -> list[Outcome]:
    """Send each invoice to its bill-to emails with the default subject and body.

    One failure does not stop the others: each outcome is committed on its own (see
    :func:`billing.invoices.mailer.send_invoice`). An invoice without billing emails is reported as
    failed and left alone.
    """
    outcomes = []
    for invoice in invoices:
        subject, body = default_subject_body(invoice)
        try:
            result = send_invoice(
                invoice, split_addresses(invoice.bill_to_emails), subject, body, user
            )
        except BillingError as error:
            outcomes.append(Outcome(invoice, False, str(error)))
        else:
            outcomes.append(Outcome(invoice, True, result.message))
    return outcomes


def pdf_zip(invoices: Iterable[Invoice]) -> bytes:
    """A zip of the invoices' PDFs, one ``<number>.pdf`` each, dated by issue date."""
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for invoice in invoices:
            entry = zip_entry(pdf_filename(invoice), invoice.issue_date)
            archive.writestr(entry, render_invoice_pdf(invoice))
    return buffer.getvalue()


def zip_entry(filename: str, day: date) -> zipfile.ZipInfo:
    """A zip entry for an invoice's PDF, dated by its issue date."""
    # A fixed date per entry (not "now"): the same invoices give the same zip.
    entry = zipfile.ZipInfo(filename, (day.year, day.month, day.day, 0, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry
