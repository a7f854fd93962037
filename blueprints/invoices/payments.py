"""Payments from the invoice page: record a payment of the invoice's customer, split over its
open invoices (oldest first by default, editable), and delete one, with a reason.

Admins only (403 otherwise). Both are plain POSTs that redirect back to the invoice, so they
work without JavaScript; a refused input is 422 beside its field (``apply_<invoice id>`` for an
invoice's share), a state that forbids it is 409, and nothing is saved either way.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from billing.errors import Conflict, NotFound, ValidationFailed
from billing.invoices.page import load_invoice
from billing.money import amount_text
from billing.payments.allocation import payment_order, plan_allocation
from billing.payments.store import (
    AUTO_PAID_FROM,
    allocation_field,
    delete_payment,
    open_invoices,
    record_payment,
)
from billing.settings import company_locale
from blueprints.auth.access import admin_required
from blueprints.forms import show_error
from blueprints.invoices import bp
from blueprints.invoices.payment_forms import PaymentForm, payment_form, posted_allocation_names
from blueprints.invoices.routes import invoice_page
from blueprints.saving import saving
from blueprints.templating import current_settings, money
from clock import today
from models import Invoice, Payment, PaymentMethod, db

CHANGED_MEANWHILE = (
    "The customer's open invoices changed since this form was drawn: check the amounts "
    "below and save again."
)


def _ensure_payable(invoice: Invoice) -> None:
    if invoice.status not in AUTO_PAID_FROM or invoice.balance_minor <= 0:
        raise Conflict(
            f"Invoice {invoice.number} is {invoice.status.value.capitalize()} with "
            f"{money(invoice.balance_minor, invoice.currency)} due: only a sent or exported "
            "invoice with a balance due takes a payment."
        )


def _form_page(invoice: Invoice, form: PaymentForm, status: int = 200):
    page = render_template("invoices/payment_new.html", invoice=invoice, form=form)
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
        data = {
            "payment_date": today(),
            "amount": amount_text(balance, currency, locale),
            "method": PaymentMethod.BANK.value,
        }
        form = payment_form(invoices, formdata=None, data=data)
        plan = plan_allocation(invoices, balance, first_id=invoice.id)  # this invoice first
        form.fill_allocations(plan.applied, currency, locale)
        return _form_page(invoice, form)
    form = payment_form(invoices)
    expected = {allocation_field(i.id) for i in invoices}
    if posted_allocation_names(request.form) != expected:
        show_error(form, Conflict(CHANGED_MEANWHILE))
        return _form_page(invoice, form, 409)
    if "spread" in request.form:
        try:
            amount = form.amount_minor(currency, locale)
        except ValidationFailed as error:
            show_error(form, error)
            return _form_page(invoice, form, 422)
        form.fill_allocations(plan_allocation(invoices, amount).applied, currency, locale)
        return _form_page(invoice, form)
    if not form.validate_on_submit():
        return _form_page(invoice, form, 422)
    with saving(form, refused=(ValidationFailed, Conflict)) as outcome:
        amount = form.amount_minor(currency, locale)
        applied = form.allocations(currency, locale)
        record_payment(
            invoice.customer, form.payment_date.data, amount, currency, form.method.data,
            form.reference.data or "", form.note.data or "", applied, current_user,
        )  # fmt: skip
    if not outcome.ok:
        return _form_page(invoice, form, outcome.status)
    numbers = {i.id: i.number for i in invoices}
    flash(_recorded(invoice, amount, applied, numbers), "success")
    return redirect(url_for("invoices.detail", invoice_id=invoice_id))


def _recorded(invoice: Invoice, amount: int, applied: dict[int, int], numbers) -> str:
    """What a recorded payment did, in words, for the flash."""
    currency = invoice.currency
    shares = [f"{numbers[i]} ({money(minor, currency)})" for i, minor in applied.items()]
    if len(shares) > 1:
        shares = [", ".join(shares[:-1]) + " and " + shares[-1]]
    where = shares[0] if shares else "no invoice"
    said = f"Payment of {money(amount, currency)} recorded: applied to {where}; "
    said += f"balance due {money(invoice.balance_minor, currency)}."
    credit = amount - sum(applied.values())
    if credit:
        said += f" {money(credit, currency)} is kept as the customer's credit."
    return said


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
