"""Batch views: the builder, its live summary, save, the batch list and page, delete."""

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from billing.batches.listing import batch_invoices, batch_list, builder_customers
from billing.batches.period_order import month_label
from billing.batches.preview import build_preview
from billing.batches.save import save_and_export
from billing.batches.store import deletion_refusal
from billing.errors import BillingError, ValidationFailed
from billing.ledgers.withdraw import delete_batch_everywhere, deletion_question
from billing.wording import counted
from blueprints.auth.access import admin_required
from blueprints.batches import bp
from blueprints.batches.request import parse_request, quick_periods
from blueprints.forms import ActionForm
from clock import today as billing_today
from extensions import htmx
from integrations.ledger_errors import LedgerError
from models import ContractType, DetailLevel, InvoiceBatch, db


def _builder_context(form, today: date) -> dict:
    """Everything the builder page and its fragments show, or the error to show instead."""
    context = {
        "quick": quick_periods(today),
        "customers": builder_customers(),
        "contract_types": list(ContractType),
        "detail_levels": list(DetailLevel),
        "args": form,
        "error": None,
        "preview": None,
        "month_label": month_label,
    }
    try:
        context["batch_request"] = batch_request = parse_request(form, today)
        context["preview"] = build_preview(batch_request, today)
    except ValidationFailed as error:
        context["error"] = error
    return context


@bp.route("/new")
@admin_required
def new():
    """The batch builder: a period, filters, and what it would bill, to include or exclude."""
    context = _builder_context(request.args, billing_today())
    status = 422 if context["error"] else 200
    return render_template("batches/new.html", **context), status


@bp.route("/summary")
@admin_required
def summary():
    """The builder's live summary for the ticked items (an htmx fragment); 422 with the reason
    for input it cannot read."""
    context = _builder_context(request.args, billing_today())
    status = 422 if context["error"] else 200
    return render_template("batches/_summary.html", oob=True, **context), status


@bp.route("", methods=["POST"])
@admin_required
def create():
    """Save the batch as previewed: Draft invoices, tickets billed, in one transaction."""
    today = billing_today()
    try:
        outcome = save_and_export(parse_request(request.form, today), current_user, today)
    except BillingError as error:
        db.session.rollback()
        context = _builder_context(request.form, today)
        context["error"] = error
        return render_template("batches/new.html", **context), error.status_code
    for message, category in outcome.messages():
        flash(message, category)
    return redirect(url_for("batches.detail", batch_id=outcome.batch.id))


@bp.route("")
def index():
    """All batches, newest first, with their period, invoice count and total."""
    return render_template("batches/index.html", rows=batch_list())


@bp.route("/<int:batch_id>")
def detail(batch_id: int):
    """A batch: its period and its invoices."""
    batch = db.get_or_404(InvoiceBatch, batch_id)
    invoices = batch_invoices(batch.id)
    return render_template(
        "batches/detail.html",
        batch=batch,
        invoices=invoices,
        form=ActionForm(),
        refusal=deletion_refusal(batch),
        confirmation=deletion_question(batch, invoices),
    )


@bp.route("/<int:batch_id>/delete", methods=["POST"])
@admin_required
def delete(batch_id: int):
    """Delete a batch and its invoices, releasing its tickets (refused once one is paid)."""
    batch = db.get_or_404(InvoiceBatch, batch_id)
    name = batch.name
    try:  # a Conflict (a paid invoice, a ledger not connected) becomes a 409 page/fragment
        numbers, withdrawn = delete_batch_everywhere(batch, current_user)
    except LedgerError as error:
        db.session.rollback()
        flash(error.text, "error")
        return redirect(url_for("batches.detail", batch_id=batch_id))
    db.session.commit()
    freed = f" Numbers {', '.join(numbers)} are retired." if numbers else ""
    ledger = (
        f" {counted(withdrawn, 'ledger copy', 'ledger copies')} voided or deleted."
        if (withdrawn)
        else ""
    )
    flash(f"Batch {name} deleted; its tickets can be billed again.{freed}{ledger}", "success")
    if htmx:
        return "", 204, {"HX-Redirect": url_for("batches.index")}
    return redirect(url_for("batches.index"))
