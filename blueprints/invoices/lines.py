"""Adding, editing and removing the lines of a Draft invoice (htmx fragments).

Every action is a plain form POST too: without JavaScript it redirects back to the invoice
page, or shows that page again with the errors beside their fields (422). With htmx, adding
re-renders the lines section (with a blank add form), editing swaps a row for its form and
back, deleting removes the row, and invalid input returns the form fragment (422); each success
also swaps the totals and the audit trail out of band. Admins only (403); Drafts only (409).
"""

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from billing.invoices.edit import add_line, delete_line, update_line
from billing.invoices.page import line_sections, load_invoice
from billing.invoices.status import ensure_editable, is_editable
from blueprints.auth.access import admin_required
from blueprints.invoices import bp
from blueprints.invoices.forms import line_form, line_options, line_values, product_values
from blueprints.invoices.routes import edited_response, invoice_page
from blueprints.saving import saving
from extensions import htmx
from models import Invoice, InvoiceLine, Product, db


def _line_or_404(invoice: Invoice, line_id: int) -> InvoiceLine:
    line = next((li for li in invoice.lines if li.id == line_id), None)
    if line is None:
        abort(404, f"Invoice {invoice.number} has no such line.")
    return line


def _back(invoice_id: int, message: str, line_id: int | None = None):
    flash(message, "success")
    anchor = f"line-{line_id}" if line_id else "invoice-lines"
    return redirect(url_for("invoices.detail", invoice_id=invoice_id, _anchor=anchor))


def _lines_fragment(invoice: Invoice, add_form) -> str:
    return render_template(
        "invoices/_lines.html",
        invoice=invoice,
        sections=line_sections(invoice),
        editable=True,
        line_form=add_form,
        editing=None,
    )


@bp.route("/<int:invoice_id>/lines", methods=["POST"])
@admin_required
def line_add(invoice_id: int):
    """Add a catalog product or a free line. :raise 409: past Draft. :raise 422: invalid."""
    invoice = load_invoice(invoice_id, for_update=True)
    ensure_editable(invoice)
    options = line_options()
    form = line_form(invoice, options)
    if form.validate_on_submit():
        with saving(form) as outcome:
            saved = add_line(invoice, form.line_input(), current_user)
        if outcome.ok:
            if not htmx:
                if saved.notice:
                    flash(saved.notice, "warning")
                return _back(invoice_id, "Line added.", saved.line.id)
            invoice = load_invoice(invoice_id)
            body = _lines_fragment(invoice, line_form(invoice, options, blank=True))
            return edited_response(
                body, invoice, saved.notice, retarget="#invoice-lines", reswap="outerHTML"
            )
    invoice = load_invoice(invoice_id)
    if htmx:
        body = render_template("invoices/_line_form.html", invoice=invoice, form=form, line=None)
        return make_response(body, 422)
    return invoice_page(invoice, status=422, line_form=form)


@bp.route("/<int:invoice_id>/lines/prefill", methods=["POST"])
@admin_required
def line_prefill(invoice_id: int):
    """The add form filled in from the chosen catalog product (name, price, tax rate), keeping
    what else was typed; nothing is saved. With htmx the form fragment, else the whole page.

    :raise 409: past Draft.
    """
    invoice = load_invoice(invoice_id)
    ensure_editable(invoice)
    options = line_options()
    form = line_form(invoice, options)
    product = db.session.get(Product, form.product_id.data or 0)
    if product is not None:
        for name, value in product_values(
            product, invoice.currency, invoice.customer.tax_exempt
        ).items():
            form[name].data = value
    if htmx:
        return render_template("invoices/_line_form.html", invoice=invoice, form=form, line=None)
    return invoice_page(invoice, line_form=form)


@bp.route("/<int:invoice_id>/lines/<int:line_id>")
@admin_required
def line_row(invoice_id: int, line_id: int):
    """A line's row (htmx, to cancel an edit); without htmx, the invoice page."""
    invoice = load_invoice(invoice_id)
    line = _line_or_404(invoice, line_id)
    if not htmx:
        page = url_for("invoices.detail", invoice_id=invoice_id, _anchor=f"line-{line_id}")
        return redirect(page)
    body = render_template(
        "invoices/_line_row.html", invoice=invoice, line=line, editable=is_editable(invoice)
    )
    response = make_response(body)
    response.vary.add("HX-Request")
    return response


@bp.route("/<int:invoice_id>/lines/<int:line_id>/edit", methods=["GET", "POST"])
@admin_required
def line_edit(invoice_id: int, line_id: int):
    """Edit a line in place of its row (htmx) or on the invoice page.

    :raise 404: no such line on this invoice. :raise 409: past Draft. :raise 422: invalid.
    """
    invoice = load_invoice(invoice_id, for_update=request.method == "POST")
    line = _line_or_404(invoice, line_id)
    ensure_editable(invoice)
    options = line_options()
    if request.method == "GET":
        values = line_values(line, invoice.currency)
        form, status = line_form(invoice, options, line, formdata=None, data=values), 200
    else:
        form, status = line_form(invoice, options, line), 422
        if form.validate_on_submit():
            with saving(form) as outcome:
                saved = update_line(line, form.line_input(), current_user)
            if outcome.ok:
                if not htmx:
                    if saved.notice:
                        flash(saved.notice, "warning")
                    return _back(invoice_id, "Line saved.", line_id)
                invoice = load_invoice(invoice_id)
                line = _line_or_404(invoice, line_id)
                body = render_template(
                    "invoices/_line_row.html", invoice=invoice, line=line, editable=True
                )
                return edited_response(body, invoice, saved.notice)
        invoice = load_invoice(invoice_id)
        line = _line_or_404(invoice, line_id)
    if htmx:
        body = render_template("invoices/_line_form.html", invoice=invoice, form=form, line=line)
        response = make_response(body, status)
    else:
        response = invoice_page(invoice, status=status, editing=(line.id, form))
    response.vary.add("HX-Request")
    return response


@bp.route("/<int:invoice_id>/lines/<int:line_id>/delete", methods=["POST"])
@admin_required
def line_delete(invoice_id: int, line_id: int):
    """Remove a line. :raise 404: no such line. :raise 409: past Draft."""
    invoice = load_invoice(invoice_id, for_update=True)
    delete_line(_line_or_404(invoice, line_id), current_user)
    db.session.commit()
    if not htmx:
        return _back(invoice_id, "Line removed.")
    return edited_response("", load_invoice(invoice_id))  # the row's outerHTML becomes nothing
