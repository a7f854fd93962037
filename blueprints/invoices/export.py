"""Exporting invoices to the connected ledger: one invoice, or the ones ticked on the list."""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from billing.errors import BillingError
from billing.ledgers.connections import connected_providers
from billing.ledgers.export import (
    export_invoices,
    forget_ledger_copy,
    invoices_for_export,
    outcome_messages,
)
from billing.ledgers.withdraw import delete_draft_everywhere
from blueprints.auth.access import admin_required
from blueprints.invoices import bp
from blueprints.invoices.bulk_jobs import chunk_size, start
from blueprints.params import posted_ids
from blueprints.safe_url import local_path
from integrations.ledger_errors import LedgerError
from models import Invoice, InvoiceExport, Provider, db


@bp.app_context_processor
def ledger_context() -> dict:
    """``connected_ledgers()`` for the export buttons of the invoice page."""
    return {"connected_ledgers": connected_providers}


def _provider() -> Provider:
    try:
        return Provider(request.values.get("to", ""))
    except ValueError:
        abort(400, "Choose quickbooks or xero.")


def _run(invoices: list[Invoice], provider: Provider) -> None:
    try:
        outcomes = export_invoices(invoices, provider, current_user)
    except BillingError as error:
        db.session.rollback()
        flash(str(error), "error")
        return
    db.session.commit()
    for message, category in outcome_messages(outcomes, provider, limit=len(outcomes)):
        flash(message, category)


@bp.route("/<int:invoice_id>/export", methods=["POST"])
@admin_required
def export(invoice_id: int):
    """Export one invoice (again: the ledger copy is updated, never duplicated)."""
    invoice = db.get_or_404(Invoice, invoice_id)
    _run([invoice], _provider())
    return redirect(url_for("invoices.detail", invoice_id=invoice.id))


@bp.route("/<int:invoice_id>/export/forget", methods=["POST"])
@admin_required
def forget_export(invoice_id: int):
    """Forget the ledger's copy (voided or deleted there by hand), with a reason."""
    invoice = db.get_or_404(Invoice, invoice_id)
    try:
        forget_ledger_copy(invoice, _provider(), current_user, request.form.get("reason", ""))
    except BillingError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("The ledger copy is forgotten: exporting again creates a new one.", "success")
    return redirect(url_for("invoices.detail", invoice_id=invoice.id))


@bp.route("/<int:invoice_id>/delete", methods=["POST"])
@admin_required
def delete_draft(invoice_id: int):
    """Delete a Draft made by hand, voiding or deleting its ledger copies first (409 for an
    invoice past Draft or in a batch)."""
    invoice = db.get_or_404(Invoice, invoice_id)
    number = invoice.number
    try:
        withdrawn = delete_draft_everywhere(invoice, current_user)
    except LedgerError as error:
        db.session.rollback()
        flash(error.text, "error")
        return redirect(url_for("invoices.detail", invoice_id=invoice_id))
    db.session.commit()
    ledger = " Its ledger copy was voided or deleted." if withdrawn else ""
    flash(f"Draft {number} deleted; the number is not reused.{ledger}", "success")
    return redirect(url_for("main.billing"))


@bp.route("/bulk/export", methods=["POST"])
@admin_required
def bulk_export():
    """Export the ticked invoices with the ledger's batch form. More than one chunk: a job,
    exported a chunk per request from its page (each invoice once)."""
    provider = _provider()
    ids = posted_ids(request.form, "ids", "invoice")
    invoices = invoices_for_export(ids)
    back = local_path(request.form.get("next"))
    if not invoices:
        flash("Tick the invoices to export first.", "error")
    elif len(invoices) > chunk_size("export"):
        chosen = [invoice.id for invoice in invoices]
        return start("export", chosen, provider=provider.value, next=back)
    else:
        _run(invoices, provider)
    return redirect(back)


def last_exports(invoice: Invoice) -> list[InvoiceExport]:
    """The invoice's copy in each ledger (or the error of its last try)."""
    return sorted(invoice.exports, key=lambda e: e.provider.value)
