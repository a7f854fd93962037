"""Payments from the customer page: record a payment from the customer (not from one invoice),
split over its open invoices in a currency, and apply its unapplied credit to them.

Admins only (403 otherwise). Plain POSTs that redirect back to the customer, so they work
without JavaScript; the payment form is the invoice page's (``blueprints.payment_forms``):
a refused input is 422 beside its field, a state that forbids it 409, and nothing is saved.
"""

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_login import current_user

from billing.errors import Conflict, ValidationFailed
from billing.payments.allocation import payment_order, plan_allocation
from billing.payments.customer import customer_credits
from billing.payments.store import AUTO_PAID_FROM, apply_credit, open_invoices
from billing.settings import company_locale
from blueprints.auth.access import admin_required
from blueprints.payment_forms import (
    PaymentForm,
    new_payment_form,
    post_payment,
    render_payment_page,
)
from blueprints.templating import current_settings, money
from blueprints.work import bp
from blueprints.work.customers import customer_page
from models import Customer, Invoice, db


def payment_currencies(customer: Customer) -> list[str]:
    """The currencies a payment from ``customer`` can be in: its own, and those of its open
    invoices and of its credit."""
    open_ones = db.session.scalars(
        sa.select(Invoice.currency)
        .where(
            Invoice.customer_id == customer.id,
            Invoice.status.in_(AUTO_PAID_FROM),
            Invoice.balance_minor > 0,
        )
        .distinct()
    )
    return sorted({customer.currency, *open_ones, *customer_credits(customer.id)})


def _form_page(customer: Customer, currency: str, currencies, form: PaymentForm, status=200):
    others = [
        (code, url_for("work.customer_payment_new", customer_id=customer.id, currency=code))
        for code in currencies
        if code != currency
    ]
    action = url_for("work.customer_payment_new", customer_id=customer.id, currency=currency)
    back = (url_for("work.customer", customer_id=customer.id), customer.name)
    page = render_payment_page(form, customer, currency, action, back, other_currencies=others)
    return page, status


@bp.route("/customers/<int:customer_id>/payments/new", methods=["GET", "POST"])
@admin_required
def customer_payment_new(customer_id: int):
    """Record a payment from the customer in ``currency`` (a query argument; the customer's
    own by default): first drawn to pay every open invoice in full; "Spread" plans again for
    the amount typed, oldest first; what is not applied is kept as the customer's credit.

    :raise 404: no such customer. :raise 409: the open invoices changed meanwhile.
    :raise 422: invalid (nothing saved).
    """
    customer = db.get_or_404(Customer, customer_id)
    currencies = payment_currencies(customer)
    asked = request.args.get("currency", "")
    currency = asked if asked in currencies else customer.currency
    locale = company_locale(current_settings())
    invoices = payment_order(open_invoices(customer.id, currency))
    if request.method == "GET":
        owed = sum(invoice.balance_minor for invoice in invoices)
        plan = plan_allocation(invoices, owed)
        form = new_payment_form(invoices, currency, locale, owed or None, plan.applied)
        return _form_page(customer, currency, currencies, form)
    posted = post_payment(customer, currency, invoices, locale)
    if not posted.recorded:
        return _form_page(customer, currency, currencies, posted.form, posted.status)
    flash(posted.message, "success")
    return redirect(url_for("work.customer", customer_id=customer.id) + "#customer-payments")


@bp.route("/customers/<int:customer_id>/credit/apply", methods=["POST"])
@admin_required
def customer_apply_credit(customer_id: int):
    """Apply the customer's unapplied credit in ``currency`` to its open invoices in that
    currency, oldest first (``billing.payments.store.apply_credit``).

    :raise 404: no such customer. :raise 422: no credit or no open invoice in that currency
        (the customer page, with the reason beside the button). :raise 409: changed meanwhile.
    """
    customer = db.get_or_404(Customer, customer_id)
    currency = request.form.get("currency", "")
    try:
        if currency not in customer_credits(customer.id):
            raise ValidationFailed("The customer has no credit in that currency.", "amount")
        made = apply_credit(customer, currency, None, current_user)
        db.session.commit()
    except (ValidationFailed, Conflict) as error:
        db.session.rollback()
        return customer_page(customer, error.status_code, credit_error=(currency, error))
    applied = sum(application.amount_minor for application in made)
    numbers = sorted({application.invoice.number for application in made})
    flash(
        f"Credit of {money(applied, currency)} applied to {', '.join(numbers)}.",
        "success",
    )
    return redirect(url_for("work.customer", customer_id=customer.id) + "#customer-payments")
