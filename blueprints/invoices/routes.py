"""The invoice page, new flexible invoices, header edits and status changes.

Anyone logged in reads an invoice; only admins create, edit or change its status (403
otherwise). Edits answer 409 once the invoice is past Draft (``billing.errors.Conflict``,
mapped by the errors blueprint) and 422 with the form again on bad input, nothing saved.
Every form is a plain POST that redirects back; with htmx the changed fragment comes back
with the totals and the audit trail swapped out of band (see :func:`edited_response`).
"""

from datetime import timedelta

from flask import flash, make_response, redirect, render_template, request, url_for
from flask import render_template_string as render_string
from flask_htmx import make_response as htmx_response
from flask_login import current_user

from billing.credit_notes.issue import creditable_minor
from billing.credit_notes.page import invoice_credit_notes
from billing.errors import ValidationFailed
from billing.invoices.edit import create_invoice, set_status_by_hand, update_header
from billing.invoices.page import (
    invoice_block_balances,
    line_sections,
    load_events,
    load_invoice,
    load_payment_applications,
    new_invoice_choices,
)
from billing.invoices.snapshot import tax_summary
from billing.invoices.status import allowed, ensure_editable, is_editable
from billing.ledgers.records import ledger_states
from billing.payments.store import AUTO_PAID_FROM
from billing.reminders.card import reminder_card
from blueprints.auth.access import admin_required
from blueprints.forms import ActionForm
from blueprints.invoices import bp
from blueprints.invoices.forms import HeaderForm, NewInvoiceForm, line_form, line_options
from blueprints.logo import logo_response
from blueprints.params import query_id
from blueprints.saving import saving
from blueprints.templating import current_settings
from clock import today as billing_today
from extensions import htmx
from models import (
    Contract,
    Customer,
    Invoice,
    InvoiceStatus,
    db,
)

CHANGED = "invoice-totals-changed"
CREDITABLE = (InvoiceStatus.SENT, InvoiceStatus.EXPORTED, InvoiceStatus.PAID)
STATUS_ACTIONS = {
    InvoiceStatus.SENT: "Mark sent",
    InvoiceStatus.EXPORTED: "Mark exported",
    InvoiceStatus.PAID: "Mark paid",
    InvoiceStatus.REFUNDED: "Mark refunded",
    InvoiceStatus.DRAFT: "Back to Draft",
}
FLASH_OOB = '<div id="flash" hx-swap-oob="innerHTML">{% include "_flash.html" %}</div>'


def status_targets(invoice: Invoice) -> list[tuple[InvoiceStatus, str]]:
    """The statuses an admin may move the invoice to, as (status, button label)."""
    targets = allowed(invoice.status)
    return [(status, label) for status, label in STATUS_ACTIONS.items() if status in targets]


def invoice_page(invoice: Invoice, *, status: int = 200, **forms):
    """The invoice page. ``forms`` replaces a blank form (``line_form``, ``header_form``,
    ``status_error``, ``delete_error``: (application id, error)) or shows a line as its form
    (``editing``: (line id, form)), so that errors show without JavaScript too."""
    admin = current_user.is_admin
    editable = admin and is_editable(invoice)
    draft = invoice.status == InvoiceStatus.DRAFT
    context = {
        "invoice": invoice,
        "sections": line_sections(invoice),
        "totals": tax_summary(invoice),
        "events": load_events(invoice),
        "blocks": invoice_block_balances(invoice),
        "overdue": invoice.days_overdue(billing_today()),
        "editable": editable,
        "targets": status_targets(invoice) if admin else [],
        "reopenable": InvoiceStatus.DRAFT in allowed(invoice.status),
        "action_form": ActionForm(),
        "has_logo": current_settings().logo_mimetype is not None,
        "editing": None,
        "status_error": None,
        # The Payments card (not on a Draft, which cannot be paid).
        "payments_card": not draft,
        "applications": [] if draft else load_payment_applications(invoice),
        "can_record": admin and invoice.status in AUTO_PAID_FROM and invoice.balance_minor > 0,
        "delete_error": None,
        # The Credit notes card (with the Payments card: not on a Draft).
        "credit_notes": [] if draft else invoice_credit_notes(invoice),
        "can_credit": admin and invoice.status in CREDITABLE and creditable_minor(invoice) > 0,
        # The Reminders card (an overdue invoice owing something, or one reminded already).
        "reminders": None if draft else reminder_card(invoice, billing_today()),
    }
    context["ledger_states"] = ledger_states(
        {a.payment_id: a.payment for a in context["applications"]}.values(),
        context["credit_notes"],
    )
    if editable:
        context["line_form"] = line_form(invoice, line_options(), blank=True)
        context["header_form"] = HeaderForm(formdata=None, obj=invoice)
    context.update(forms)
    return make_response(render_template("invoices/detail.html", **context), status)


def edited_response(body: str, invoice: Invoice, notice: str = "", **headers):
    """An htmx answer to an edit: ``body``, plus the totals and the audit trail swapped out of
    band, and ``notice`` (if any) in the flash area."""
    extra = render_template(
        "invoices/_totals.html", invoice=invoice, totals=tax_summary(invoice), oob=True
    )
    extra += render_template("invoices/_events.html", events=load_events(invoice), oob=True)
    if notice:
        flash(notice, "warning")
        extra += render_string(FLASH_OOB)
    # In a <template>, so that they parse whole even after a table row (htmx unwraps it).
    return htmx_response(f"{body}<template>{extra}</template>", trigger=CHANGED, **headers)


@bp.route("/<int:invoice_id>")
def detail(invoice_id: int):
    """The invoice page: issuer (as snapshot), bill-to, lines, totals, trail. :raise 404:"""
    return invoice_page(load_invoice(invoice_id))


@bp.route("/logo")
def logo():
    """The company logo for invoice pages, to anyone logged in; 404 when there is none."""
    return logo_response()


def _new_form_choices(form: NewInvoiceForm, customer_id: int | None) -> None:
    form.prepare(*new_invoice_choices(customer_id))


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new():
    """A new flexible invoice (a Draft): customer, optional contract, issue and due dates.

    ``?customer_id=`` preselects a customer and offers only its contracts.
    :raise 422: invalid (the form again, nothing saved).
    """
    if request.method == "GET":
        today = billing_today()
        terms = current_settings().payment_terms_days
        chosen = query_id(request.args, "customer_id")
        data = {"customer_id": chosen, "issue_date": today, "due_date": today + timedelta(terms)}
        form = NewInvoiceForm(formdata=None, data=data)
        _new_form_choices(form, chosen)
        return render_template("invoices/new.html", form=form)
    form = NewInvoiceForm()
    if form.validate_on_submit():
        customer = db.session.get(Customer, form.customer_id.data or 0)
        contract = db.session.get(Contract, form.contract_id.data or 0)
        with saving(form) as outcome:
            invoice = create_invoice(
                customer, contract, form.issue_date.data, form.due_date.data, current_user
            )
        if outcome.ok:
            flash(f"Invoice {invoice.number} created as a Draft: add its lines.", "success")
            return redirect(url_for("invoices.detail", invoice_id=invoice.id))
    _new_form_choices(form, form.customer_id.data if not form.customer_id.errors else None)
    return render_template("invoices/new.html", form=form), 422


@bp.route("/<int:invoice_id>/header", methods=["POST"])
@admin_required
def header(invoice_id: int):
    """Save a Draft's due date, reference and notes.

    :raise 404: no such invoice. :raise 409: past Draft. :raise 422: invalid.
    """
    invoice = load_invoice(invoice_id, for_update=True)
    ensure_editable(invoice)
    form = HeaderForm()
    if form.validate_on_submit():
        with saving(form) as outcome:
            update_header(
                invoice, form.notes.data, form.reference.data, form.due_date.data, current_user
            )
        if outcome.ok:
            if not htmx:
                flash("Invoice details saved.", "success")
                return redirect(url_for("invoices.detail", invoice_id=invoice_id))
            invoice = load_invoice(invoice_id)
            body = _header_fragment(invoice, HeaderForm(formdata=None, obj=invoice))
            return edited_response(body, invoice)
    invoice = load_invoice(invoice_id)
    if htmx:
        return make_response(_header_fragment(invoice, form), 422)
    return invoice_page(invoice, status=422, header_form=form)


def _header_fragment(invoice: Invoice, form: HeaderForm) -> str:
    return render_template(
        "invoices/_header_form.html",
        invoice=invoice,
        header_form=form,
        editable=True,
        overdue=invoice.days_overdue(billing_today()),
    )


@bp.route("/<int:invoice_id>/status", methods=["POST"])
@admin_required
def status(invoice_id: int):
    """Move the invoice along the status table by hand (``status``, and ``reason``, required
    back to Draft). :raise 409: not an allowed transition. :raise 422: no reason for Draft."""
    invoice = load_invoice(invoice_id, for_update=True)
    try:
        changed = set_status_by_hand(
            invoice, request.form.get("status", ""), request.form.get("reason", ""), current_user
        )
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        invoice = load_invoice(invoice_id)
        if htmx:
            body = render_template(
                "invoices/_status_actions.html",
                invoice=invoice,
                targets=status_targets(invoice),
                action_form=ActionForm(),
                status_error=error,
            )
            return make_response(body, 422)
        return invoice_page(invoice, status=422, status_error=error)
    label = invoice.status.value.capitalize()
    if changed:
        flash(f"Invoice {invoice.number} is now {label}.", "success")
    else:
        flash(f"Invoice {invoice.number} was already {label}.", "info")
    target = url_for("invoices.detail", invoice_id=invoice_id)
    if htmx:
        return "", 204, {"HX-Redirect": target}
    return redirect(target)
