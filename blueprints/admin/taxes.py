"""Admin > Taxes: named tax rates, one of them the default."""

from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from billing.catalog import delete_tax_rate, save_tax_rate, tax_rate_uses
from billing.einvoice.categories import category_label
from billing.errors import Conflict
from billing.numbers import number_text
from blueprints.admin import bp
from blueprints.admin.tax_forms import TaxRateForm
from blueprints.forms import ActionForm
from blueprints.saving import saving
from models import TaxRate, db


@bp.route("/taxes")
def taxes():
    """All tax rates: the default first, then active ones, by name."""
    query = select(TaxRate).order_by(TaxRate.is_default.desc(), TaxRate.active.desc(), TaxRate.name)
    taxes = db.session.scalars(query).all()
    return render_template("admin/taxes.html", taxes=taxes, category_label=category_label)


@bp.route("/taxes/new", methods=["GET", "POST"])
def tax_new():
    """Create a tax rate."""
    return _edit(None, TaxRateForm())


@bp.route("/taxes/<int:tax_id>", methods=["GET", "POST"])
def tax_edit(tax_id: int):
    """Change a tax rate (name, percentage, VAT category and exemption, default, active).

    :raise 404: no such tax rate.
    """
    tax = db.get_or_404(TaxRate, tax_id)
    return _edit(tax, _filled(tax) if request.method == "GET" else TaxRateForm())


def _filled(tax: TaxRate) -> TaxRateForm:
    """The form showing ``tax`` as stored (ignoring any posted data)."""
    data = {"name": tax.name, "percent": number_text(tax.percent)}
    data |= {"is_default": tax.is_default, "active": tax.active}
    data |= {
        "vat_category": tax.vat_category,
        "exemption_reason": tax.exemption_reason,
        "exemption_code": tax.exemption_code,
    }
    return TaxRateForm(formdata=None, data=data)


def _edit(tax: TaxRate | None, form: TaxRateForm):
    if request.method == "GET":
        return _page(tax, form)
    if form.validate_on_submit():
        with saving(form) as outcome:
            saved = save_tax_rate(
                tax,
                name=form.name.data,
                percent=form.percent.data,
                is_default=form.is_default.data,
                active=form.active.data,
                vat_category=form.vat_category.data,
                exemption_reason=form.exemption_reason.data,
                exemption_code=form.exemption_code.data,
            )
        if outcome.ok:
            flash(f"Tax rate {saved.name} saved.", "success")
            return redirect(url_for("admin.taxes"))
    return _page(tax, form), 422


def _page(tax: TaxRate | None, form: TaxRateForm, **context):
    uses = tax_rate_uses(tax) if tax else {}
    example = number_text(Decimal("8.875"))  # "8,875" in a German company
    return render_template(
        "admin/tax_form.html",
        tax=tax,
        form=form,
        uses=uses,
        action=ActionForm(),
        example=example,
        **context,
    )


@bp.route("/taxes/<int:tax_id>/delete", methods=["POST"])
def tax_delete(tax_id: int):
    """Delete an unused tax rate; a used one is refused (409) and can be deactivated.

    :raise 404: no such tax rate.
    """
    tax = db.get_or_404(TaxRate, tax_id)
    name = tax.name
    try:
        delete_tax_rate(tax)
        db.session.commit()
    except Conflict as error:
        db.session.rollback()
        return _page(tax, _filled(tax), refusal=str(error)), 409
    flash(f"Tax rate {name} deleted.", "success")
    return redirect(url_for("admin.taxes"))
