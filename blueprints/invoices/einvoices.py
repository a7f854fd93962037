"""E-invoices of an invoice (Peppol, XRechnung, CII, Factur-X) and of many at once, zipped.

Anyone who may see billing downloads them, as PDFs. What an e-invoice cannot do without is
refused with a 409 page saying what to fill in and where; nothing is changed either way.
"""

from flask import request

from billing.einvoice.outputs import FORMATS, check_format, invoice_file
from billing.errors import ValidationFailed
from blueprints.invoices import bp
from blueprints.invoices.bulk_jobs import start
from blueprints.invoices.delivery import _file, _selected
from models import Invoice, db

BULK_FORMATS = ("customer", *FORMATS)


@bp.route("/<int:invoice_id>/einvoice/<fmt>")
def einvoice(invoice_id: int, fmt: str):
    """The invoice as an e-invoice file in ``fmt`` (a download).

    :raise 404: no such invoice or format. :raise 409: the e-invoice lacks a detail.
    """
    invoice = db.get_or_404(Invoice, invoice_id)
    made = invoice_file(invoice, check_format(fmt))
    return _file(made.content, made.mimetype, made.filename, "attachment")


@bp.route("/bulk/einvoices", methods=["POST"])
def bulk_einvoices():
    """The selected invoices' (``ids``) e-invoices, each in ``einvoice_format`` (by default
    its customer's), made a chunk per request on a job page that offers the zip and lists
    the invoices that could not be made, with why."""
    fmt = request.form.get("einvoice_format") or "customer"
    if fmt not in BULK_FORMATS:
        raise ValidationFailed("Choose an e-invoice format.", "einvoice_format")
    invoices = _selected()
    return start("einvoice", [invoice.id for invoice in invoices], format=fmt)
