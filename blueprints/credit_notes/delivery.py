"""A credit note's PDF, and sending it by email.

Anyone who may see billing downloads the PDF; only admins send (403 otherwise). Sending
answers 422 beside the field for bad input and 502 with the mail server's error above the
form, nothing changed; success flashes the outcome and redirects to the credit note.
"""

from flask import current_app, make_response, render_template, request, url_for
from flask_login import current_user

from billing.credit_notes.mailer import default_subject_body, send_credit_note
from billing.credit_notes.page import load_credit_note
from billing.credit_notes.pdf import credit_note_filename, render_credit_note_pdf
from billing.einvoice.outputs import check_format, credit_note_file
from billing.mail import MAX_RECIPIENTS
from billing.users import split_addresses
from blueprints.auth.access import admin_required
from blueprints.credit_notes import bp
from blueprints.send_forms import SendForm, send_view
from models import CreditNote


@bp.route("/credit-notes/<int:credit_note_id>/pdf")
def pdf(credit_note_id: int):
    """The credit note as ``<number>.pdf``: a download, or shown in the browser with
    ``?inline=1``. :raise 404: no such credit note."""
    credit_note = load_credit_note(credit_note_id)
    disposition = "inline" if request.args.get("inline") == "1" else "attachment"
    response = make_response(render_credit_note_pdf(credit_note))
    response.mimetype = "application/pdf"
    filename = credit_note_filename(credit_note)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response


@bp.route("/credit-notes/<int:credit_note_id>/einvoice/<fmt>")
def einvoice(credit_note_id: int, fmt: str):
    """The credit note as an e-invoice file in ``fmt``, referring to its invoice (BG-3).

    :raise 404: no such credit note or format. :raise 409: the e-invoice lacks a detail.
    """
    credit_note = load_credit_note(credit_note_id)
    made = credit_note_file(credit_note, check_format(fmt))
    response = make_response(made.content)
    response.mimetype = made.mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{made.filename}"'
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response


@bp.route("/credit-notes/<int:credit_note_id>/send", methods=["GET", "POST"])
@admin_required
def send(credit_note_id: int):
    """The send dialog (GET: the customer's billing emails, a subject and message filled in)
    and sending (POST): 422 on bad input, 502 when the server refuses.

    :raise 404: no such credit note.
    """
    credit_note = load_credit_note(credit_note_id)
    return send_view(
        lambda: (split_addresses(credit_note.bill_to_emails), *default_subject_body(credit_note)),
        lambda to, subject, body: send_credit_note(credit_note, to, subject, body, current_user),
        lambda form, status: _send_page(credit_note, form, status),
        url_for("credit_notes.detail", credit_note_id=credit_note.id),
    )


def _send_page(credit_note: CreditNote, form: SendForm, status: int = 200):
    page = render_template(
        "credit_notes/send.html",
        credit_note=credit_note,
        form=form,
        max_recipients=MAX_RECIPIENTS,
        mail_server=current_app.config.get("MAIL_SERVER"),
    )
    return page, status
