"""Time entries and expenses on the ticket page: added, edited and deleted inline with htmx.

Every action is a plain form POST too: without JavaScript it redirects back to the ticket page,
or shows that page again with the errors beside their fields (422). With htmx, adding re-renders
the section (its rows and a blank add form), editing swaps a row for its form and back, deleting
removes the row, and invalid input returns the form fragment (422). Each change answers
``HX-Trigger: ticket-totals-changed``; the totals box reloads itself on that event. The work of
a billed ticket is read-only: its forms and POSTs answer 409 (``billing.errors.Conflict``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_htmx import make_response as htmx_response
from flask_login import current_user

from billing.money import amount_text
from billing.work.items import (
    catalog_price,
    check_owner,
    delete_expense,
    delete_time_entry,
    expense_amount_minor,
    save_expense,
    save_time_entry,
)
from billing.work.tickets import check_not_billed
from blueprints.saving import saving
from blueprints.work import bp
from blueprints.work.ticket_forms import ExpenseForm, TimeEntryForm, work_form
from blueprints.work.tickets import get_ticket_or_404, ticket_page
from clock import today as local_today
from extensions import htmx
from models import Expense, Product, Ticket, TimeEntry, db

TOTALS_CHANGED = "ticket-totals-changed"


@bp.app_template_filter("quantity")
def quantity_filter(quantity: Decimal) -> str:
    """``{{ expense.quantity | quantity }}``: ``Decimal("2.500")`` -> ``2.5``."""
    return f"{quantity.normalize():f}"


@bp.app_template_filter("expense_amount")
def expense_amount_filter(expense: Expense) -> int:
    """``{{ expense | expense_amount | money(currency) }}``: quantity x price less discount."""
    return expense_amount_minor(expense)


@dataclass(frozen=True)
class Kind:
    """What differs between time entries and expenses in the views below."""

    name: str  # endpoints work.time_entry_edit..., templates _time_entry_row.html...
    plural: str  # the section: _time_entries.html, id="time-entries"
    var: str  # what the row and form templates call the item
    label: str
    model: type
    form: type
    save: Callable[..., Any]
    delete: Callable[[Any], None]

    def template(self, part: str) -> str:
        """The section's template, or the item's ``row`` or ``form`` fragment."""
        if part == "section":
            return f"work/_{self.plural}.html"
        return f"work/_{self.name}_{part}.html"

    def anchor(self, item_id: int | None = None) -> str:
        """The DOM id of the section, or of one item's row."""
        dom = self.name.replace("_", "-")
        return f"{dom}-{item_id}" if item_id else self.plural.replace("_", "-")


TIME = Kind(
    name="time_entry",
    plural="time_entries",
    var="entry",
    label="Time entry",
    model=TimeEntry,
    form=TimeEntryForm,
    save=save_time_entry,
    delete=delete_time_entry,
)
EXPENSE = Kind(
    name="expense",
    plural="expenses",
    var="expense",
    label="Expense",
    model=Expense,
    form=ExpenseForm,
    save=save_expense,
    delete=delete_expense,
)


def _item_or_404(kind: Kind, ticket: Ticket, item_id: int) -> Any:
    item = db.session.get(kind.model, item_id)
    if item is None or item.ticket_id != ticket.id:
        abort(404, f"Ticket #{ticket.id} has no such {kind.label.lower()}.")
    return item


def _fragment(kind: Kind, part: str, ticket: Ticket, item: Any = None, **context: Any) -> str:
    return render_template(kind.template(part), ticket=ticket, **{kind.var: item}, **context)


def _saved(kind: Kind, form: Any, ticket: Ticket, item: Any) -> Any | None:
    """Save the posted form through the billing rule; None (errors on the form) if refused."""
    if not form.validate_on_submit():
        return None
    values = {name: f.data for name, f in form._fields.items() if name != "csrf_token"}
    if kind is EXPENSE and form.discount.name not in request.form:
        # Technicians' forms have no discount field: keep the discount an admin gave.
        values["discount"] = ExpenseForm.filled(item)["discount"] if item else ""
    actor = current_user._get_current_object()
    with saving(form) as outcome:
        saved = kind.save(item, ticket, actor=actor, today=local_today(), **values)
    return saved if outcome.ok else None


def _back(kind: Kind, ticket_id: int, message: str, item_id: int | None = None):
    flash(message, "success")
    return redirect(url_for("work.ticket", ticket_id=ticket_id, _anchor=kind.anchor(item_id)))


def _add(kind: Kind, ticket_id: int):
    ticket = get_ticket_or_404(ticket_id, for_update=True)
    check_not_billed(ticket)
    form = work_form(kind.form, ticket)
    if _saved(kind, form, ticket, None) is None:
        if htmx:
            return make_response(_fragment(kind, "form", ticket, form=form), 422)
        return ticket_page(get_ticket_or_404(ticket_id), status=422, add_form=form)
    if not htmx:
        return _back(kind, ticket_id, f"{kind.label} added.")
    ticket = get_ticket_or_404(ticket_id)
    blank = work_form(kind.form, ticket, blank=True)
    # ``focus``: the blank form takes the keyboard back (htmx honours autofocus on a swap).
    forms = {f"{kind.name}_form": blank, "editing": None, "focus": True}
    body = _fragment(kind, "section", ticket, **forms)
    # The add form is its own target (for 422); a success re-renders the whole section.
    return htmx_response(
        body, retarget=f"#{kind.anchor()}", reswap="outerHTML", trigger=TOTALS_CHANGED
    )


def _edit(kind: Kind, ticket_id: int, item_id: int):
    ticket = get_ticket_or_404(ticket_id, for_update=request.method == "POST")
    item = _item_or_404(kind, ticket, item_id)
    check_not_billed(ticket)
    check_owner(item, current_user)
    if request.method == "GET":
        form = work_form(kind.form, ticket, item, formdata=None, data=kind.form.filled(item))
        status = 200
    else:
        form, status = work_form(kind.form, ticket, item), 422
        if (saved := _saved(kind, form, ticket, item)) is not None:
            if not htmx:
                return _back(kind, ticket_id, f"{kind.label} saved.", item_id)
            body = _fragment(kind, "row", get_ticket_or_404(ticket_id), saved)
            return htmx_response(body, trigger=TOTALS_CHANGED)
        ticket, item = get_ticket_or_404(ticket_id), db.session.get(kind.model, item_id)
    if htmx:
        response = make_response(_fragment(kind, "form", ticket, item, form=form), status)
    else:
        response = ticket_page(ticket, status=status, editing=(kind.name, item.id, form))
    response.vary.add("HX-Request")
    return response


def _delete(kind: Kind, ticket_id: int, item_id: int):
    ticket = get_ticket_or_404(ticket_id, for_update=True)
    item = _item_or_404(kind, ticket, item_id)
    check_not_billed(ticket)  # a billed ticket says so first, to anyone
    check_owner(item, current_user)
    kind.delete(item)
    db.session.commit()
    if not htmx:
        return _back(kind, ticket_id, f"{kind.label} deleted.")
    return htmx_response("", trigger=TOTALS_CHANGED)  # the row's outerHTML becomes nothing


def _row(kind: Kind, ticket_id: int, item_id: int):
    ticket = get_ticket_or_404(ticket_id)
    item = _item_or_404(kind, ticket, item_id)
    if htmx:
        response = make_response(_fragment(kind, "row", ticket, item))
    else:
        response = redirect(
            url_for("work.ticket", ticket_id=ticket_id, _anchor=kind.anchor(item_id))
        )
    response.vary.add("HX-Request")
    return response


@bp.route("/tickets/<int:ticket_id>/time", methods=["POST"])
def time_entry_add(ticket_id: int):
    """Record time on the ticket. :raise 409: billed. :raise 422: invalid (the form again)."""
    return _add(TIME, ticket_id)


@bp.route("/tickets/<int:ticket_id>/time/<int:entry_id>")
def time_entry(ticket_id: int, entry_id: int):
    """A time entry's row (htmx, to cancel an edit); without htmx, the ticket page."""
    return _row(TIME, ticket_id, entry_id)


@bp.route("/tickets/<int:ticket_id>/time/<int:entry_id>/edit", methods=["GET", "POST"])
def time_entry_edit(ticket_id: int, entry_id: int):
    """Edit a time entry in place of its row (htmx) or on the ticket page.

    :raise 404: no such entry on this ticket. :raise 409: billed. :raise 422: invalid.
    """
    return _edit(TIME, ticket_id, entry_id)


@bp.route("/tickets/<int:ticket_id>/time/<int:entry_id>/delete", methods=["POST"])
def time_entry_delete(ticket_id: int, entry_id: int):
    """Delete a time entry. :raise 404: no such entry. :raise 409: billed."""
    return _delete(TIME, ticket_id, entry_id)


@bp.route("/tickets/<int:ticket_id>/expenses", methods=["POST"])
def expense_add(ticket_id: int):
    """Record a product or expense. :raise 409: billed. :raise 422: invalid (the form again)."""
    return _add(EXPENSE, ticket_id)


@bp.route("/tickets/<int:ticket_id>/expenses/<int:expense_id>")
def expense(ticket_id: int, expense_id: int):
    """An expense's row (htmx, to cancel an edit); without htmx, the ticket page."""
    return _row(EXPENSE, ticket_id, expense_id)


@bp.route("/tickets/<int:ticket_id>/expenses/<int:expense_id>/edit", methods=["GET", "POST"])
def expense_edit(ticket_id: int, expense_id: int):
    """Edit an expense in place of its row (htmx) or on the ticket page.

    :raise 404: no such expense on this ticket. :raise 409: billed. :raise 422: invalid.
    """
    return _edit(EXPENSE, ticket_id, expense_id)


@bp.route("/tickets/<int:ticket_id>/expenses/<int:expense_id>/delete", methods=["POST"])
def expense_delete(ticket_id: int, expense_id: int):
    """Delete an expense. :raise 404: no such expense. :raise 409: billed."""
    return _delete(EXPENSE, ticket_id, expense_id)


@bp.route("/tickets/<int:ticket_id>/expenses/price")
def expense_price(ticket_id: int):
    """The unit price field for the product chosen in an expense form (htmx fragment): the
    catalog price in the customer's currency, read-only for technicians.

    :raise 404: no such ticket.
    """
    ticket = get_ticket_or_404(ticket_id)
    form = ExpenseForm(formdata=request.args, prefix=request.args.get("prefix", ""))
    product = db.session.get(Product, form.product_id.data) if form.product_id.data else None
    currency = ticket.customer.currency
    listed = catalog_price(product, currency) if product else None
    form.unit_price.data = "" if listed is None else amount_text(listed, currency)
    form.lock_price(product, currency)
    return render_template("work/_expense_price.html", form=form)
