"""The "Send reminder now" button on the invoice page: the reminder step its days overdue call for
(see :func:`billing.reminders.send.step_for_now`), emailed with the PDF and recorded.

Admins only, like every billing view that changes something (403 otherwise; a technician
allowed to see billing reads the card). A plain POST that
redirects back with a flash, so it works without JavaScript; htmx follows the redirect. A state
that forbids it is 409 in words; a mail server's refusal is 502, recorded on the invoice.
"""

from flask import flash, redirect, url_for
from flask_login import current_user

from billing.invoices.page import load_invoice
from billing.reminders.send import send_now, step_label
from blueprints.auth.access import admin_required
from blueprints.invoices import bp
from clock import today


@bp.route("/<int:invoice_id>/reminders", methods=["POST"])
@admin_required
def send_reminder_now(invoice_id: int):
    """Send the invoice's next reminder now.

    :raise 404: no such invoice. :raise 409: no schedule, customer opted out, not overdue or
        nothing owed, no email address, every step sent. :raise 422: a malformed address.
    :raise 502: the mail server refused it (recorded as ``reminder_failed``).
    """
    invoice = load_invoice(invoice_id)
    step, result = send_now(invoice, current_user, today())
    said = f"Reminder ({step_label(step)}) sent to {', '.join(result.recipients)}."
    if result.outbox_file is not None:
        said = f"Reminder ({step_label(step)}): {result.message}"
    flash(said, "success")
    return redirect(url_for("invoices.detail", invoice_id=invoice_id))
