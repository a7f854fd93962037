"""Admin > Settings: the company, invoicing, e-invoicing and email settings, and the logo."""

from dataclasses import fields

from flask import flash, redirect, render_template, request, url_for

from billing.credit_notes.sequence import update_credit_note_sequence
from billing.einvoice.seller import SellerDetails, update_seller
from billing.locales import currency_for_country
from billing.settings import (
    PLACEHOLDERS,
    SettingsChange,
    default_currency,
    get_settings,
    remove_logo,
    set_logo,
    update_settings,
)
from blueprints.admin import bp
from blueprints.admin.forms import SettingsForm, read_upload
from blueprints.logo import logo_response
from blueprints.saving import saving
from models import Settings

EDITABLE = [f.name for f in fields(SettingsChange)]
CREDIT_NOTE_SEQUENCE = ("credit_note_prefix", "next_credit_note_number")
SELLER = [f.name for f in fields(SellerDetails)]


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """Show and save the settings; an invalid form is shown again (422), nothing saved."""
    if request.method == "GET":
        current = get_settings()
        form = SettingsForm(
            data={
                name: getattr(current, name) for name in (*EDITABLE, *CREDIT_NOTE_SEQUENCE, *SELLER)
            },
            kept_currency=current.currency_override,
        )
        return _page(form, current)
    form = SettingsForm(kept_currency=get_settings().currency_override)
    if form.validate_on_submit():
        with saving(form) as outcome:
            saved = update_settings(SettingsChange(**{n: form[n].data for n in EDITABLE}))
            update_credit_note_sequence(
                saved, form.credit_note_prefix.data, form.next_credit_note_number.data
            )
            update_seller(saved, SellerDetails(**{n: form[n].data or "" for n in SELLER}))
            if form.logo.data:
                set_logo(saved, read_upload(form.logo.data))
            elif form.remove_logo.data:
                remove_logo(saved)
        if outcome.ok:
            flash("Settings saved.", "success")
            return redirect(url_for("admin.settings"))
    return _page(form, get_settings()), 422


def _page(form: SettingsForm, current: Settings) -> str:
    country_currency = currency_for_country(current.country)
    form.currency_override.choices[0].label = f"Follow the country ({country_currency})"
    return render_template(
        "admin/settings.html",
        form=form,
        settings=current,
        currency=default_currency(current),
        country_currency=country_currency,
        placeholders=PLACEHOLDERS,
    )


@bp.route("/settings/logo")
def logo():
    """The company logo as uploaded, for the settings page; 404 when there is none."""
    return logo_response()
