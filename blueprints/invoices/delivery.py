"""PDF download, the send dialog, sending by email, and zips of several PDFs.

Anyone who may see billing downloads PDFs; only admins send (403 otherwise). More invoices
than one chunk make a bulk job (see ``bulk_jobs``). Sending answers 422 beside
the field for bad input and 502 with the mail server's error beside the form, the invoice
unchanged; success flashes the outcome and redirects to the invoice (``HX-Redirect`` for htmx).
"""

from flask import abort, current_app, make_response, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from billing.errors import ValidationFailed
from billing.invoices.bulk_jobs import outcome_row
from billing.invoices.delivery import pdf_zip, send_many
from billing.invoices.mailer import MAX_RECIPIENTS, default_subject_body, send_invoice
from billing.invoices.pdf import pdf_filename, render_invoice_pdf
from billing.users import split_addresses
from blueprints.auth.access import admin_required
from blueprints.invoices import bp
from blueprints.invoices.bulk_jobs import chunk_size, start
from blueprints.params import posted_ids
from blueprints.send_forms import SendForm, send_view
from extensions import htmx
from models import Invoice, InvoiceStatus, db

MAX_BULK = 500


@bp.route("/<int:invoice_id>/pdf")
def pdf(invoice_id: int):
    """The invoice as ``<number>.pdf``: a download, or shown in the browser with ``?inline=1``.

    :raise 404: no such invoice.
    """
    invoice = db.get_or_404(Invoice, invoice_id)
    disposition = "inline" if request.args.get("inline") == "1" else "attachment"
    return _file(render_invoice_pdf(invoice), "application/pdf", pdf_filename(invoice), disposition)


@bp.route("/<int:invoice_id>/send", methods=["GET", "POST"])
@admin_required
def send(invoice_id: int):
    """The send dialog (GET) and sending (POST): 422 on bad input, 502 when the server refuses.

    :raise 404: no such invoice.
    """
    invoice = db.get_or_404(Invoice, invoice_id)
    return send_view(
        lambda: (split_addresses(invoice.bill_to_emails), *default_subject_body(invoice)),
        lambda to, subject, body: send_invoice(invoice, to, subject, body, current_user),
        lambda form, status: _send_page(invoice, form, status),
        url_for("invoices.detail", invoice_id=invoice.id),
        hx_redirect=True,
    )


def _send_page(invoice: Invoice, form: SendForm, status: int = 200):
    """The dialog as a page, or as the form fragment for htmx."""
    fragment = bool(htmx) and not htmx.boosted
    template = "invoices/_send_form.html" if fragment else "invoices/send.html"
    response = make_response(
        render_template(
            template,
            invoice=invoice,
            form=form,
            max_recipients=MAX_RECIPIENTS,
            mail_server=current_app.config.get("MAIL_SERVER"),
            becomes_sent=invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.EXPORTED),
        ),
        status,
    )
    response.vary.add("HX-Request")
    return response


@bp.route("/bulk/send", methods=["POST"])
@admin_required
def bulk_send():
    """Send each selected invoice (``ids``) to its billing emails; list every outcome. More
    than one chunk: a job, done a chunk per request from its page."""
    invoices = _selected()
    if len(invoices) > chunk_size("send"):
        return start("send", [invoice.id for invoice in invoices])
    rows = [outcome_row(*outcome) for outcome in send_many(invoices, current_user)]
    fragment = bool(htmx) and not htmx.boosted
    response = make_response(
        render_template("invoices/bulk_results.html", rows=rows, fragment=fragment)
    )
    response.vary.add("HX-Request")
    return response


@bp.route("/bulk/pdf", methods=["POST"])
def bulk_pdf():
    """The selected invoices' (``ids``) PDFs in one ``invoices.zip``. More than one chunk: a
    job whose page makes them a chunk per request, then offers the zip."""
    invoices = _selected()
    if len(invoices) > chunk_size("pdf"):
        return start("pdf", [invoice.id for invoice in invoices])
    return _file(pdf_zip(invoices), "application/zip", "invoices.zip", "attachment")


def _selected() -> list[Invoice]:
    """The invoices named by the form's ``ids`` (repeated, or comma-separated), by number.

    :raise ValidationFailed: none, too many, or not numbers (422).
    :raise 404: one of them does not exist.
    """
    ids = set(posted_ids(request.form, "ids", "invoice"))
    if not ids:
        raise ValidationFailed("Select at least one invoice.", "ids")
    if len(ids) > MAX_BULK:
        raise ValidationFailed(f"Select at most {MAX_BULK} invoices at once.", "ids")
    invoices = list(
        db.session.scalars(select(Invoice).where(Invoice.id.in_(ids)).order_by(Invoice.number))
    )
    if len(invoices) != len(ids):
        missing = sorted(ids - {invoice.id for invoice in invoices})
        abort(404, f"There is no invoice #{', #'.join(map(str, missing))}.")
    return invoices


def _file(data: bytes, mimetype: str, filename: str, disposition: str):
    """``data`` as a file response; ``filename`` is already safe in a header."""
    response = make_response(data)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response
