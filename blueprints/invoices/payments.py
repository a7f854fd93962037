"""Payments from the invoice page: record a payment of the invoice's customer, split over its
open invoices (oldest first by default, editable), and delete one, with a reason.

Admins only (403 otherwise). Both are plain POSTs that redirect back to the invoice, so they
work without JavaScript; a refused input is 422 beside its field (``apply_<invoice id>`` for an
invoice's share), a state that forbids it is 409, and nothing is saved either way.
"""

from flask import flash, redirect, request, url_for
from flask_login import current_user

from billing.errors import Conflict, NotFound, ValidationFailed
from billing.invoices.page import load_invoice
from billing.payments.allocation import payment_order, plan_allocation
from billing.payments.store import AUTO_PAID_FROM, delete_payment, open_invoices
from billing.settings import company_locale
from blueprints.auth.access import admin_required
from blueprints.invoices import bp
from blueprints.invoices.routes import invoice_page
from blueprints.payment_forms import (
    PaymentForm,
    new_payment_form,
    post_payment,
    render_payment_page,
)
from blueprints.templating import current_settings, money
from models import Invoice, Payment, db


def _ensure_payable(invoice: Invoice) -> None:
    if invoice.status not in AUTO_PAID_FROM or invoice.balance_minor <= 0:
        raise Conflict(
            f"Invoice {invoice.number} is {invoice.status.value.capitalize()} with "
            f"{money(invoice.balance_minor, invoice.currency)} due: only a sent or exported "
            "invoice with a balance due takes a payment."
        )


def _form_page(invoice: Invoice, form: PaymentForm, status: int = 200):
    action = url_for("invoices.new_payment", invoice_id=invoice.id)
    back = (url_for("invoices.detail", invoice_id=invoice.id), invoice.number)
    page = render_payment_page(form, invoice.customer, invoice.currency, action, back, invoice)
    return page, status


@bp.route("/<int:invoice_id>/payments/new", methods=["GET", "POST"])
@admin_required
def new_payment(invoice_id: int):
    """Record a payment of the invoice's customer in its currency: date, amount (the balance
    by default), method, reference, note, and the share of each open invoice (planned oldest
    first for the amount; "Spread" plans again for the amount typed).

    :raise 404: no such invoice. :raise 409: the invoice owes nothing or is not sent or
        exported; the open invoices changed meanwhile. :raise 422: invalid (nothing saved).
    """
    invoice = load_invoice(invoice_id)
    _ensure_payable(invoice)
    currency = invoice.currency
    locale = company_locale(current_settings())
    invoices = payment_order(open_invoices(invoice.customer_id, currency))
    if request.method == "GET":
        balance = invoice.balance_minor
        plan = plan_allocation(invoices, balance, first_id=invoice.id)  # this invoice first
        return _form_page(
            invoice, new_payment_form(invoices, currency, locale, balance, plan.applied)
        )
    posted = post_payment(invoice.customer, currency, invoices, locale, source=invoice)
    if not posted.recorded:
        return _form_page(invoice, posted.form, posted.status)
    flash(posted.message, "success")
    return redirect(url_for("invoices.detail", invoice_id=invoice_id))


@bp.route("/<int:invoice_id>/payments/<int:payment_id>/delete", methods=["POST"])
@admin_required
def delete_payment_view(invoice_id: int, payment_id: int):
    """Delete a payment of the invoice's customer (``reason`` required, recorded): its
    applications are reversed on every invoice it paid.

    :raise 404: no such invoice or payment. :raise 409: already deleted.
    :raise 422: no reason (beside the reason field, nothing saved).
    """
    invoice = load_invoice(invoice_id)
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.customer_id != invoice.customer_id:
        raise NotFound(f"Invoice {invoice.number}'s customer has no payment #{payment_id}.")
    try:
        delete_payment(payment, request.form.get("reason", ""), current_user)
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        return invoice_page(load_invoice(invoice_id), status=422, delete_error=(payment_id, error))
    invoice = load_invoice(invoice_id)
    balance = money(invoice.balance_minor, invoice.currency)
    flash(f"Payment #{payment_id} deleted: balance due {balance}.", "success")
    return redirect(url_for("invoices.detail", invoice_id=invoice_id))
