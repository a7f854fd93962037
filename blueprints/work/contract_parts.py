"""A contract's page and its sections: rates, recurring service lines and per-unit counts.

Each section is a fragment (``work/_contract_<section>.html``) that the page includes. Its small
forms post to the endpoints below (admins only), which answer htmx with the section alone (422
with the message beside the field, 409 with the refusal) and a plain browser with a redirect to
the page, or the whole page with the same message.
"""

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from billing.contracts.blocks import BLOCK_TYPES, load_block_balance
from billing.contracts.parts import (
    add_rate,
    add_unit_count,
    current_count,
    line_amount_minor,
    make_primary,
    period_amount_minor,
    rate_price,
    remove_rate,
    remove_service,
    remove_unit_count,
    save_service,
)
from billing.contracts.store import contract_notices
from billing.errors import BillingError, Conflict, ValidationFailed
from billing.money import amount_text
from billing.numbers import number_text
from blueprints.auth.access import admin_required
from blueprints.saving import saving
from blueprints.work import bp
from blueprints.work.contract_forms import (
    RateAddForm,
    ServiceForm,
    UnitCountForm,
    product_choices,
    rate_choices,
    show_errors,
)
from clock import today as local_today
from extensions import htmx
from models import (
    Contract,
    ContractRate,
    ContractService,
    ContractUnitCount,
    Ticket,
    db,
)


def get_contract(contract_id: int) -> Contract:
    """The contract with what its page shows loaded in a few queries.

    :raise 404: no such contract.
    """
    query = (
        select(Contract)
        .where(Contract.id == contract_id)
        .options(
            joinedload(Contract.customer),
            joinedload(Contract.tax_rate),
            selectinload(Contract.rates).joinedload(ContractRate.rate),
            selectinload(Contract.services).joinedload(ContractService.product),
            selectinload(Contract.unit_counts),
        )
    )
    contract = db.session.scalar(query)
    if contract is None:
        abort(404)
    return contract


def rates_section(contract: Contract, form: RateAddForm | None = None, refusal: str = "") -> dict:
    """What ``_contract_rates.html`` shows: the rates, primary first, and the add form."""
    links = sorted(contract.rates, key=lambda link: (not link.is_primary, link.rate.name.lower()))
    form = form or RateAddForm(formdata=None)
    form.rate_id.choices = rate_choices(exclude={link.rate_id for link in links})
    rows = [(link, *rate_price(link)) for link in links]
    return {"rate_rows": rows, "rate_form": form, "rate_refusal": refusal}


def services_section(
    contract: Contract,
    form: ServiceForm | None = None,
    editing: ContractService | None = None,
    edit_form: ServiceForm | None = None,
) -> dict:
    """What ``_contract_services.html`` shows: the lines with their amounts, and a form (the
    add form, or the edit form of the line being edited)."""
    rows = [
        (line, line_amount_minor(line.quantity, line.unit_price_minor))
        for line in contract.services
    ]
    if editing is not None:
        edit_form = edit_form or ServiceForm(formdata=None, data=_service_data(editing))
        edit_form.product_id.choices = product_choices(keep=editing.product_id)
    form = form or ServiceForm(formdata=None)
    form.product_id.choices = product_choices()
    return {
        "service_rows": rows,
        "services_total": sum(amount for _, amount in rows),
        "service_form": form,
        "editing": editing,
        "edit_form": edit_form,
    }


def _service_data(service: ContractService) -> dict:
    currency = service.contract.customer.currency
    return {
        "product_id": service.product_id,
        "description": service.description,
        "quantity": number_text(service.quantity),
        "unit_price": amount_text(service.unit_price_minor, currency),
    }


def units_section(contract: Contract, form: UnitCountForm | None = None, refusal: str = "") -> dict:
    """What ``_contract_units.html`` shows: the count history, newest first, and the count
    in force today."""
    counts = sorted(contract.unit_counts, key=lambda c: c.effective_date, reverse=True)
    return {
        "unit_counts": counts,
        "current_count": current_count(counts, local_today()),
        "unit_form": form or UnitCountForm(formdata=None),
        "unit_refusal": refusal,
    }


SECTIONS = {"rates": rates_section, "services": services_section, "units": units_section}


def render_page(contract: Contract, status: int = 200, **overrides: Any):
    """The contract page; ``overrides`` replace what a section shows (a form with errors)."""
    tickets = db.session.scalar(
        select(func.count(Ticket.id)).where(Ticket.contract_id == contract.id)
    )
    balance = None
    if contract.type in BLOCK_TYPES:
        balance = load_block_balance(contract, local_today())
    context = {
        "contract": contract,
        "notices": contract_notices(contract),
        "ticket_count": tickets,
        "balance": balance,
        "can_edit": current_user.is_admin,
        **rates_section(contract),
        **services_section(contract),
        **units_section(contract),
        **overrides,
    }
    context["period_amount"] = period_amount_minor(contract, context["current_count"])
    return render_template("work/contract.html", **context), status


def section_response(contract: Contract, name: str, status: int = 200, message: str = "", **kw):
    """After a change to a section: htmx gets the section, a browser the page (on success,
    by a redirect)."""
    if htmx and not htmx.boosted:
        context = {"contract": contract, "can_edit": True}
        context |= SECTIONS[name](contract, **kw)
        return render_template(f"work/_contract_{name}.html", **context), status
    if status < 300:
        if message:
            flash(message, "success")
        return redirect(
            url_for("work.contract", contract_id=contract.id, _anchor=f"contract-{name}")
        )
    return render_page(contract, status, **SECTIONS[name](contract, **kw))


def _refused(contract: Contract, name: str, error: BillingError, form: Any = None):
    """Undo, then show the error: beside its field (422) or as the section's refusal (409)."""
    db.session.rollback()
    if isinstance(error, Conflict):
        return section_response(contract, name, 409, refusal=str(error))
    show_errors(form, error)
    return section_response(contract, name, 422, form=form)


def _part(model: type, part_id: int, contract: Contract) -> Any:
    """One of ``contract``'s rows.

    :raise 404: no such row under this contract.
    """
    row = db.session.get(model, part_id)
    if row is None or row.contract_id != contract.id:
        abort(404)
    return row


# --- rates ----------------------------------------------------------------------------------


@bp.route("/contracts/<int:contract_id>/rates", methods=["POST"])
@admin_required
def contract_rate_add(contract_id: int):
    """Offer another rate under the contract, optionally at its own price."""
    contract = get_contract(contract_id)
    form = RateAddForm()
    if not form.validate_on_submit():
        return section_response(contract, "rates", 422, form=form)
    try:
        link = add_rate(contract, form.rate_id.data, form.hourly_price.data or "")
        message = f"Rate {link.rate.name} added."
        db.session.commit()
    except ValidationFailed as error:
        return _refused(contract, "rates", error, form)
    return section_response(get_contract(contract_id), "rates", message=message)


@bp.route("/contracts/<int:contract_id>/rates/<int:link_id>/primary", methods=["POST"])
@admin_required
def contract_rate_primary(contract_id: int, link_id: int):
    """Make one of the contract's rates the primary one (where new time goes)."""
    contract = get_contract(contract_id)
    link = _part(ContractRate, link_id, contract)
    make_primary(link)
    message = f"{link.rate.name} is now the primary rate."
    db.session.commit()
    return section_response(get_contract(contract_id), "rates", message=message)


@bp.route("/contracts/<int:contract_id>/rates/<int:link_id>/remove", methods=["POST"])
@admin_required
def contract_rate_remove(contract_id: int, link_id: int):
    """Stop offering a rate; refused (409) while time on the contract's tickets uses it."""
    contract = get_contract(contract_id)
    link = _part(ContractRate, link_id, contract)
    name = link.rate.name
    try:
        remove_rate(link)
        db.session.commit()
    except Conflict as error:
        return _refused(contract, "rates", error)
    return section_response(get_contract(contract_id), "rates", message=f"Rate {name} removed.")


# --- recurring service lines ---------------------------------------------------------------


def _save_service(contract: Contract, service: ContractService | None, form: ServiceForm):
    return save_service(
        contract,
        service,
        product_id=form.product_id.data,
        description=form.description.data or "",
        quantity=form.quantity.data or "",
        unit_price=form.unit_price.data or "",
    )


@bp.route("/contracts/<int:contract_id>/services", methods=["POST"])
@admin_required
def contract_service_add(contract_id: int):
    """Add a recurring service line (billed every period)."""
    contract = get_contract(contract_id)
    form = ServiceForm()
    if not form.validate_on_submit():
        return section_response(contract, "services", 422, form=form)
    try:
        line = _save_service(contract, None, form)
        message = f"Service line {line.description} added."
        db.session.commit()
    except ValidationFailed as error:
        return _refused(contract, "services", error, form)
    return section_response(get_contract(contract_id), "services", message=message)


@bp.route("/contracts/<int:contract_id>/services/<int:service_id>", methods=["GET", "POST"])
@admin_required
def contract_service_edit(contract_id: int, service_id: int):
    """The form of one service line in place of its row (GET), or its change (POST)."""
    contract = get_contract(contract_id)
    service = _part(ContractService, service_id, contract)
    if request.method == "GET":
        if htmx and not htmx.boosted:
            response = make_response(section_response(contract, "services", editing=service))
        else:
            response = make_response(
                render_page(contract, **services_section(contract, editing=service))
            )
        response.vary.add("HX-Request")
        return response
    form = ServiceForm()
    if form.validate_on_submit():
        with saving(form, show=show_errors) as outcome:
            _save_service(contract, service, form)
        if outcome.ok:
            return section_response(
                get_contract(contract_id), "services", message="Service line saved."
            )
    return section_response(contract, "services", 422, editing=service, edit_form=form)


@bp.route("/contracts/<int:contract_id>/services/<int:service_id>/remove", methods=["POST"])
@admin_required
def contract_service_remove(contract_id: int, service_id: int):
    """Drop a recurring service line."""
    contract = get_contract(contract_id)
    remove_service(_part(ContractService, service_id, contract))
    db.session.commit()
    return section_response(get_contract(contract_id), "services", message="Service line removed.")


# --- per-unit counts ------------------------------------------------------------------------


@bp.route("/contracts/<int:contract_id>/units", methods=["POST"])
@admin_required
def contract_unit_add(contract_id: int):
    """Record the number of devices or users from a date."""
    contract = get_contract(contract_id)
    form = UnitCountForm()
    if not form.validate_on_submit():
        return section_response(contract, "units", 422, form=form)
    try:
        add_unit_count(contract, form.effective_date.data, form.count.data or "")
        db.session.commit()
    except BillingError as error:
        return _refused(contract, "units", error, form)
    return section_response(get_contract(contract_id), "units", message="Count recorded.")


@bp.route("/contracts/<int:contract_id>/units/<int:count_id>/remove", methods=["POST"])
@admin_required
def contract_unit_remove(contract_id: int, count_id: int):
    """Forget one dated count."""
    contract = get_contract(contract_id)
    remove_unit_count(_part(ContractUnitCount, count_id, contract))
    db.session.commit()
    return section_response(get_contract(contract_id), "units", message="Count removed.")
