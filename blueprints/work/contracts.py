"""Contracts of every type: the list, the contract page, and the form with its per-type fields.

The form shows only the fields the chosen type needs: choosing a type fetches them with htmx
(``work.contract_fields``); without JavaScript, the "Show fields for this type" button posts the
form back (``refresh``), which redraws it for that type without saving. The page's sections
(rates, service lines, counts) are in ``contract_parts``.
"""

from decimal import Decimal
from typing import Any

from flask import flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from billing.contracts.store import contract_notices, contract_query, has_history, save_contract
from billing.contracts.terms import NEEDS_PRIMARY_RATE, hours_text, type_fields
from billing.errors import Conflict
from billing.money import amount_text
from billing.numbers import number_text
from blueprints.auth.access import admin_required
from blueprints.params import QueryArgs, query_id
from blueprints.saving import saving
from blueprints.work import bp
from blueprints.work.contract_forms import ContractForm, show_errors
from blueprints.work.contract_parts import get_contract, render_page
from clock import today as local_today
from extensions import htmx
from models import Contract, ContractType, Customer, TaxRate, db

PAGE_SIZE = 50
ACTIVE_FILTERS = {"1": True, "0": False}


@bp.route("/contracts")
def contracts():
    """Contracts by customer then name, a page at a time.

    ``?customer=<id>``, ``?type=<type>`` and ``?active=1|0`` filter the list. An htmx request
    (not boosted, not a history restore) gets only the results fragment.
    """
    args = QueryArgs(request.args)
    customer_id = args.id("customer")
    kind = args.choice("type", (t.value for t in ContractType))
    kind = ContractType(kind) if kind else None
    active = args.choice("active", ACTIVE_FILTERS, default="")
    query = contract_query(customer_id, kind, ACTIVE_FILTERS.get(active))
    page = db.paginate(
        query.options(contains_eager(Contract.customer)),
        page=args.page(),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    context: dict[str, Any] = {
        "contracts": page,
        "filters": {"customer": customer_id, "type": kind, "active": active},
        "ignored": args.ignored,
    }
    # A history restore after a cache miss also sends HX-Request, but needs the whole page.
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        response = make_response(render_template("work/_contract_rows.html", **context))
    else:
        customers = db.session.execute(select(Customer.id, Customer.name).order_by(Customer.name))
        context |= {"customers": customers.all(), "types": list(ContractType)}
        response = make_response(render_template("work/contracts.html", **context))
    response.vary.add("HX-Request")
    return response


@bp.route("/contracts/<int:contract_id>")
def contract(contract_id: int):
    """A contract: its terms, rates, service lines, counts, block balance and tickets.

    :raise 404: no such contract.
    """
    return render_page(get_contract(contract_id))


@bp.route("/contracts/new", methods=["GET", "POST"])
@admin_required
def contract_new():
    """Add a contract (admins); ``?customer=<id>`` chooses its customer."""
    if request.method == "POST":
        return _submit(None)
    default_tax = db.session.scalar(select(TaxRate.id).where(TaxRate.is_default.is_(True)))
    data = {
        "customer_id": query_id(request.args, "customer"),
        "type": ContractType.RETAINER.value,
        "start_date": local_today(),
        "tax_rate_id": default_tax,
    }
    return _form_page(None, ContractForm(formdata=None, data=data))


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@admin_required
def contract_edit(contract_id: int):
    """Change a contract (admins). Its customer and type are fixed once work is recorded.

    :raise 404: no such contract.
    """
    contract = get_contract(contract_id)
    if request.method == "POST":
        return _submit(contract)
    return _form_page(contract, ContractForm(formdata=None, data=stored_data(contract)))


@bp.route("/contracts/fields")
@admin_required
def contract_fields():
    """The fields of the chosen ``?type=`` (the fragment htmx swaps into the form).

    ``?contract=<id>`` starts from that contract's terms; ``?customer_id=`` labels the money in
    that customer's currency; the other parameters keep what was typed already.
    """
    contract_id = query_id(request.args, "contract")
    contract = get_contract(contract_id) if contract_id else None
    data = stored_data(contract) if contract else {}
    form = ContractForm(formdata=request.args, data=data)
    return render_template("work/_contract_type_fields.html", **_form_context(contract, form))


def stored_data(contract: Contract) -> dict[str, Any]:
    """The form's data for ``contract`` as stored (money as typed in its currency)."""
    currency = contract.customer.currency

    def money(minor: int | None) -> str:
        return "" if minor is None else amount_text(minor, currency)

    names = ("name", "start_date", "end_date", "active", "is_default", "taxable", "tax_rate_id")
    return {name: getattr(contract, name) for name in names} | {
        "customer_id": contract.customer_id,
        "type": contract.type.value,
        "billing_period": contract.billing_period.value,
        "notes": contract.notes,
        "quantity": number_text(contract.quantity) if contract.quantity else "1",
        "unit_price": money(contract.unit_price_minor),
        "unit_label": contract.unit_label or "device",
        "rounding_minutes": contract.rounding_minutes,
        "block_hours": hours_text(contract.block_minutes) if contract.block_minutes else "",
        "block_amount": money(contract.block_amount_minor),
        "overage_rate": money(contract.overage_rate_minor),
        "rollover": contract.rollover,
        "fixed_amount": money(contract.fixed_amount_minor),
    }


def _form_context(contract: Contract | None, form: ContractForm) -> dict[str, Any]:
    """The form with its choices, and the term fields its type shows."""
    customer = db.session.get(Customer, form.customer_id.data) if form.customer_id.data else None
    currency = customer.currency if customer else None
    form.set_choices(contract, currency)
    kind = form.kind()
    has_primary = contract is not None and any(link.is_primary for link in contract.rates)
    fields = type_fields(
        kind,
        needs_primary_rate=kind in NEEDS_PRIMARY_RATE and not has_primary,
        needs_unit_count=kind is ContractType.PER_UNIT and not (contract and contract.unit_counts),
    )
    hours_example = number_text(Decimal("7.5"))  # "7,5" in a German company
    context = {"contract": contract, "form": form, "kind": kind, "type_fields": fields}
    return context | {"hours_example": hours_example}


def _form_page(contract: Contract | None, form: ContractForm, refusal: str = ""):
    context = _form_context(contract, form)
    locked = contract is not None and has_history(contract)
    return render_template("work/contract_form.html", refusal=refusal, locked=locked, **context)


def _submit(contract: Contract | None):
    """Save the posted form, or draw it again: for another type (``refresh``, 200, nothing
    saved), with the broken rules beside their fields (422), or refused (409)."""
    form = ContractForm()
    if "refresh" in request.form:
        return _form_page(contract, form)
    if form.validate_on_submit():
        try:
            with saving(form, show=show_errors) as outcome:
                saved = save_contract(contract, form.to_input())
                notices = contract_notices(saved)
        except Conflict as error:
            db.session.rollback()
            return _form_page(contract, form, refusal=str(error)), 409
        if outcome.ok:
            flash(f"Contract {saved.name} saved.", "success")
            for notice in notices:
                flash(notice, "info")
            return redirect(url_for("work.contract", contract_id=saved.id))
    return _form_page(contract, form), 422
