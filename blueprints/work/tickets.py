"""Tickets: the filtered list, creating and editing them, status changes and the ticket page.

The time and expense endpoints of the ticket page are in ``ticket_items``, the forms of both in
``ticket_forms``.
"""

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from billing.work.tickets import (
    ACTIONS,
    active_contracts,
    change_status,
    check_not_billed,
    default_contract,
    load_ticket,
    next_statuses,
    save_ticket,
    ticket_query,
    work_options,
)
from billing.work.totals import totals_by_ticket
from blueprints.forms import ActionForm
from blueprints.params import QueryArgs, query_id
from blueprints.saving import saving
from blueprints.work import bp
from blueprints.work.ticket_forms import ExpenseForm, TicketForm, TimeEntryForm, work_form
from clock import utcnow
from extensions import htmx
from models import Contract, Customer, Ticket, TicketEvent, TicketStatus, db

PAGE_SIZE = 50
BILLED_FILTERS = {"yes": "Billed", "no": "Not billed"}
STATUSES = list(TicketStatus)
TICKET_FIELDS = ("customer_id", "contract_id", "title", "description")


def get_ticket_or_404(ticket_id: int, *, for_update: bool = False) -> Ticket:
    """The ticket and all its page shows (see ``billing.work.tickets.load_ticket``).

    :raise 404: no such ticket.
    """
    ticket = load_ticket(ticket_id, for_update=for_update)
    if ticket is None:
        abort(404, f"There is no ticket #{ticket_id}.")
    return ticket


def ticket_page(
    ticket: Ticket, *, status: int = 200, add_form=None, editing=None, resolved_error=None
):
    """The ticket page. ``add_form`` replaces the blank add form of its kind; ``editing``
    (name, item id, form) shows that row as its form: both show errors without JavaScript;
    ``resolved_error`` is shown beside the resolved date."""
    forms = {}
    if not ticket.is_billed:
        options = work_options(ticket)
        for name, form_class in (("time_entry_form", TimeEntryForm), ("expense_form", ExpenseForm)):
            if isinstance(add_form, form_class):
                forms[name] = add_form
            else:
                forms[name] = work_form(form_class, ticket, blank=True, options=options)
    body = render_template(
        "work/ticket.html",
        ticket=ticket,
        totals=totals_by_ticket([ticket.id])[ticket.id],
        next_statuses=next_statuses(ticket),
        actions=ACTIONS,
        action_form=ActionForm(),
        editing=editing,
        resolved_error=resolved_error,
        events=db.session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.created_at)
        ).all(),
        **forms,
    )
    return make_response(body, status)


@bp.route("/tickets")
def tickets():
    """Tickets, newest first, filtered by customer, contract, status and billed, with their
    hours and value. An htmx request gets only the rows (``_ticket_rows.html``)."""
    args = QueryArgs(request.args)
    filters = {name: args.id(name) for name in ("customer", "contract")}
    status = args.choice("status", STATUSES)
    filters["status"] = TicketStatus(status) if status else None
    filters["billed"] = args.choice("billed", BILLED_FILTERS)
    query = ticket_query(
        customer_id=filters["customer"],
        contract_id=filters["contract"],
        status=filters["status"],
        billed={"yes": True, "no": False}.get(filters["billed"]),
    )
    page = db.paginate(query, page=args.page(), per_page=PAGE_SIZE, error_out=False)
    context = {
        "tickets": page,
        "totals": totals_by_ticket(t.id for t in page.items),
        "filtered": any(filters.values()),
        "ignored": args.ignored,
    }
    # htmx restoring its history after a cache miss needs the whole page, like a browser.
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        response = make_response(render_template("work/_ticket_rows.html", **context))
    else:
        customers = db.session.scalars(select(Customer).order_by(Customer.name))
        page_html = render_template(
            "work/tickets.html",
            filters=filters,
            customers=list(customers),
            contract_groups=_contract_groups(active_only=False),
            statuses=STATUSES,
            billed_filters=BILLED_FILTERS,
            **context,
        )
        response = make_response(page_html)
    response.vary.add("HX-Request")
    return response


def _contract_groups(*, active_only: bool = True) -> dict[str, list[SelectChoice]]:
    """Contracts grouped by customer name, for a select with one group per customer."""
    query = select(Contract).join(Contract.customer).options(joinedload(Contract.customer))
    if active_only:
        query = query.where(Contract.active.is_(True), Customer.active.is_(True))
    groups: dict[str, list[SelectChoice]] = {}
    for contract in db.session.scalars(query.order_by(Customer.name, Contract.name)):
        label = contract.name if contract.active else f"{contract.name} (inactive)"
        groups.setdefault(contract.customer.name, []).append(SelectChoice(contract.id, label))
    return groups


def _set_choices(
    form: TicketForm, ticket: Ticket | None, customer_id: int | None, *, preselect: bool = False
) -> None:
    """Active customers; the chosen customer's active contracts, its default ``preselect``-ed
    (every active contract, grouped by customer, when no customer is chosen, so that the form
    works without JavaScript)."""
    keep = ticket.customer_id if ticket else None
    customers = db.session.scalars(
        select(Customer)
        .where(Customer.active.is_(True) | (Customer.id == keep))
        .order_by(Customer.name)
    )
    form.customer_id.choices = [SelectChoice("", "Choose a customer")] + [
        SelectChoice(c.id, c.name) for c in customers
    ]
    if customer_id is None:
        form.contract_id.choices = {"": [SelectChoice("", "Choose a contract")]}
        form.contract_id.choices |= _contract_groups()
        return
    contracts = active_contracts(customer_id)
    if ticket and ticket.customer_id == customer_id and ticket.contract not in contracts:
        contracts.append(ticket.contract)
    placeholder = "Choose a contract" if contracts else "This customer has no active contract"
    form.contract_id.choices = [SelectChoice("", placeholder)] + [
        SelectChoice(c.id, c.name if c.active else f"{c.name} (inactive)") for c in contracts
    ]
    if preselect and form.contract_id.data is None:
        chosen = default_contract(contracts)
        form.contract_id.data = chosen.id if chosen else None


def _save(ticket: Ticket | None, form: TicketForm):
    """Save the posted ticket form: redirect to the ticket, or show the form again (422)."""
    _set_choices(form, ticket, form.customer_id.data)
    if form.validate_on_submit():
        with saving(form) as outcome:
            saved = save_ticket(ticket, **{name: form[name].data for name in TICKET_FIELDS})
        if outcome.ok:
            flash(f"Ticket #{saved.id} saved.", "success")
            return redirect(url_for("work.ticket", ticket_id=saved.id))
    return render_template("work/ticket_form.html", ticket=ticket, form=form), 422


@bp.route("/tickets/new", methods=["GET", "POST"])
def ticket_new():
    """Open a ticket; ``?customer=`` preselects the customer and its default contract."""
    if request.method == "POST":
        return _save(None, TicketForm())
    form = TicketForm(formdata=None, data={"customer_id": query_id(request.args, "customer")})
    _set_choices(form, None, form.customer_id.data, preselect=True)
    return render_template("work/ticket_form.html", ticket=None, form=form)


@bp.route("/tickets/contracts")
def ticket_contracts():
    """The ticket form's contract select for the chosen ``customer_id`` (htmx fragment)."""
    form = TicketForm(formdata=None, data={"customer_id": query_id(request.args, "customer_id")})
    _set_choices(form, None, form.customer_id.data, preselect=True)
    return render_template("work/_ticket_contract_field.html", form=form)


@bp.route("/tickets/<int:ticket_id>")
def ticket(ticket_id: int):
    """The ticket page: details, status buttons, totals, time entries and expenses.

    :raise 404: no such ticket.
    """
    return ticket_page(get_ticket_or_404(ticket_id))


@bp.route("/tickets/<int:ticket_id>/edit", methods=["GET", "POST"])
def ticket_edit(ticket_id: int):
    """Change a ticket's customer, contract, title or description.

    :raise 404: no such ticket.
    :raise 409: the ticket is billed.
    """
    ticket = get_ticket_or_404(ticket_id, for_update=request.method == "POST")
    check_not_billed(ticket)
    if request.method == "POST":
        return _save(ticket, TicketForm())
    form = TicketForm(formdata=None, data={name: getattr(ticket, name) for name in TICKET_FIELDS})
    _set_choices(form, ticket, ticket.customer_id)
    return render_template("work/ticket_form.html", ticket=ticket, form=form)


@bp.route("/tickets/<int:ticket_id>/status", methods=["POST"])
def ticket_status(ticket_id: int):
    """Move the ticket to the posted ``status`` (the page offers the allowed moves only).

    :raise 404: no such ticket.
    :raise 409: the ticket is billed, or the move is not allowed.
    :raise 422: no such status.
    """
    ticket = get_ticket_or_404(ticket_id, for_update=True)
    change_status(ticket, request.form.get("status", ""), now=utcnow())
    db.session.commit()
    flash(f"Ticket #{ticket.id} is {ticket.status.value} now.", "success")
    return redirect(url_for("work.ticket", ticket_id=ticket.id))


@bp.route("/tickets/<int:ticket_id>/totals")
def ticket_totals(ticket_id: int):
    """The ticket's totals box (fragment); it reloads itself when the work changes.

    :raise 404: no such ticket.
    """
    ticket = get_ticket_or_404(ticket_id)
    totals = totals_by_ticket([ticket.id])[ticket.id]
    return render_template("work/_ticket_totals.html", ticket=ticket, totals=totals)
