"""Admin > Rates: named hourly prices (Standard, After hours, Weekend)."""

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from billing.catalog import save_rate
from billing.money import amount_text
from billing.settings import default_currency, get_settings
from blueprints.admin import bp
from blueprints.admin.forms import RateForm
from blueprints.saving import saving
from models import Rate, db


@bp.route("/rates")
def rates():
    """All rates, active ones first, by name."""
    query = select(Rate).order_by(Rate.active.desc(), Rate.name)
    return render_template("admin/rates.html", rates=db.session.scalars(query).all())


@bp.route("/rates/new", methods=["GET", "POST"])
def rate_new():
    """Create a rate, priced in the default currency."""
    return _edit(None, RateForm())


@bp.route("/rates/<int:rate_id>", methods=["GET", "POST"])
def rate_edit(rate_id: int):
    """Change a rate's name, hourly price or active flag.

    :raise 404: no such rate.
    """
    rate = db.get_or_404(Rate, rate_id)
    if request.method == "GET":
        price = amount_text(rate.hourly_price_minor, rate.currency)
        data = {"name": rate.name, "hourly_price": price, "active": rate.active}
        return _edit(rate, RateForm(data=data))
    return _edit(rate, RateForm())


def _edit(rate: Rate | None, form: RateForm):
    currency = default_currency(get_settings())
    if request.method == "POST":
        if form.validate_on_submit():
            with saving(form) as outcome:
                saved = save_rate(
                    rate,
                    name=form.name.data,
                    hourly_price=form.hourly_price.data,
                    currency=currency,
                    active=form.active.data,
                )
            if outcome.ok:
                flash(f"Rate {saved.name} saved.", "success")
                return redirect(url_for("admin.rates"))
        return _page(rate, form, currency), 422
    return _page(rate, form, currency)


def _page(rate: Rate | None, form: RateForm, currency: str) -> str:
    form.hourly_price.label.text = f"Hourly price ({currency})"
    example = amount_text(12000, currency)  # "120.00", "120,00" in the company's format
    return render_template(
        "admin/rate_form.html", rate=rate, form=form, currency=currency, example=example
    )
