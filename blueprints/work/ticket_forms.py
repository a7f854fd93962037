"""The forms of the ticket pages: the ticket itself, and its time entries and expenses with
the choices each user may make (technicians log their own time and do not set prices)."""

from typing import Any

from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectChoice, StringField, TextAreaField

from billing.money import amount_text
from billing.numbers import number_text
from billing.work.durations import format_duration
from billing.work.items import catalog_price, primary_rate_id
from billing.work.tickets import work_options
from blueprints.forms import IdSelectField, strip
from blueprints.templating import money
from clock import today as local_today
from models import ContractRate, Expense, Product, Ticket, TimeEntry, User

DATE_MESSAGE = "Enter a date such as 2026-01-31."


class TicketForm(FlaskForm):
    customer_id = IdSelectField("Customer")
    contract_id = IdSelectField("Contract")
    title = StringField("Title", filters=[strip])
    description = TextAreaField("Description")


class TimeEntryForm(FlaskForm):
    stem = "time-entry"  # field names: time-entry-new-duration, time-entry-7-duration
    work_date = DateField("Date", invalid_value_message=DATE_MESSAGE)
    technician_id = IdSelectField("Technician")
    duration = StringField("Duration", filters=[strip])
    rate_id = IdSelectField("Rate")
    note = StringField("Note", filters=[strip])
    billable = BooleanField("Billable", default=True)

    def prepare(self, ticket: Ticket, entry: Any, users: list[User], _: Any) -> None:
        """Choices: technicians see only themselves (and the entry's own technician), admins
        every active user; the contract's rates, primary first."""
        stored = entry.user_id if entry else None
        admin = current_user.is_admin
        self.technician_id.choices = [
            SelectChoice(u.id, u.name or u.email)
            for u in users
            if (u.active or u.id == stored) and (admin or u.id in (current_user.id, stored))
        ]
        offers = sorted(ticket.contract.rates, key=lambda o: (not o.is_primary, o.rate.name))
        choices = [
            SelectChoice(o.rate_id, _rate_label(o, ticket.customer.currency)) for o in offers
        ]
        if entry and entry.rate and entry.rate_id not in {o.rate_id for o in offers}:
            choices.append(SelectChoice(entry.rate_id, entry.rate.name))
        self.rate_id.choices = choices

    @staticmethod
    def blank(ticket: Ticket) -> dict:
        """A new entry: today, by the current user, at the contract's primary rate."""
        rate = primary_rate_id(ticket.contract)
        return {"work_date": local_today(), "technician_id": current_user.id, "rate_id": rate}

    @staticmethod
    def filled(entry: TimeEntry) -> dict:
        """The form's data for a stored entry."""
        return {
            "technician_id": entry.user_id,
            "work_date": entry.work_date,
            "duration": format_duration(entry.minutes),
            "rate_id": entry.rate_id,
            "note": entry.note,
            "billable": entry.billable,
        }


class ExpenseForm(FlaskForm):
    stem = "expense"
    expense_date = DateField("Date", invalid_value_message=DATE_MESSAGE)
    product_id = IdSelectField("Product")
    description = StringField("Description", filters=[strip])
    quantity = StringField("Quantity", default="1", filters=[strip])
    unit_price = StringField("Unit price", filters=[strip])
    discount = StringField("Discount", filters=[strip])
    billable = BooleanField("Billable", default=True)

    def prepare(self, ticket: Ticket, expense: Any, _: Any, products: list[Product]) -> None:
        """Choices: active products (and the expense's own); the price field's state."""
        kept = expense.product_id if expense else None
        offered = [p for p in products if p.active or p.id == kept]
        self.product_id.choices = [SelectChoice("", "None: describe the expense")] + [
            SelectChoice(p.id, f"{p.name} ({money(p.unit_price_minor, p.currency)})")
            for p in offered
        ]
        chosen = next((p for p in offered if p.id == self.product_id.data), None)
        self.lock_price(chosen, ticket.customer.currency)

    def lock_price(self, product: Product | None, currency: str) -> None:
        """Say where the unit price comes from; a product's price is read-only to technicians."""
        listed = catalog_price(product, currency) if product else None
        locked = product is not None and not current_user.is_admin
        if product is None:
            hint = "What one unit cost."
        elif listed is None:
            priced = f"{product.name} is priced in {product.currency}"
            hint = f"{priced}; only admins can price it." if locked else f"{priced}: enter a price."
        elif locked:
            hint = "The catalog price; only admins change prices."
        else:
            hint = f"Catalog price {money(listed, currency)}; leave empty to use it."
        self.unit_price.render_kw = {"readonly": True} if locked else None
        self.unit_price.description = hint
        self.unit_price.label.text = f"Unit price ({currency})"
        self.discount.label.text = f"Discount ({currency})"

    @staticmethod
    def blank(ticket: Ticket) -> dict:
        """A new expense: today, one unit."""
        return {"expense_date": local_today(), "quantity": "1"}

    @staticmethod
    def filled(expense: Expense) -> dict:
        """The form's data for a stored expense (amounts as typed, in its customer's currency)."""
        currency = expense.ticket.customer.currency
        discount = expense.discount_minor
        return {
            "product_id": expense.product_id,
            "description": expense.description,
            "quantity": number_text(expense.quantity),
            "unit_price": amount_text(expense.unit_price_minor, currency),
            "discount": amount_text(discount, currency) if discount else "",
            "billable": expense.billable,
            "expense_date": expense.expense_date,
        }


def _rate_label(offer: ContractRate, currency: str) -> str:
    own = offer.hourly_price_minor is not None
    price = offer.hourly_price_minor if own else offer.rate.hourly_price_minor
    return f"{offer.rate.name} ({money(price, currency if own else offer.rate.currency)}/h)"


def work_form(
    form_class: type, ticket: Ticket, item: Any = None, *, blank=False, options=None, **kwargs
) -> Any:
    """A time or expense form with its choices (``options``: ``work_options(ticket)`` when
    already read): ``blank`` for adding, else as posted (or as ``data`` gives it)."""
    if blank:
        kwargs |= {"formdata": None, "data": form_class.blank(ticket)}
    # Unique field names and ids, as the add form and an edit form share the page.
    kwargs.setdefault("prefix", f"{form_class.stem}-{item.id if item else 'new'}")
    form = form_class(**kwargs)
    form.prepare(ticket, item, *(options or work_options(ticket)))
    return form
