"""Time entries and expenses on a ticket: recording, changing and deleting them.

Every function refuses to touch the work of a billed ticket (:func:`check_not_billed`). Prices:
an expense is priced in its customer's currency. Technicians record work but do not set prices:
a catalog product costs a technician its catalog price (or the price an admin already gave that
line), and only admins give discounts; refusals are a :class:`ValidationFailed` beside the price
or discount field ("Only admins ..."), shown as a 422 form. The cost of a free-description
expense is what the technician paid, so they may enter it. Nothing is committed here.
"""

from datetime import date

from billing.errors import NotYours, ValidationFailed
from billing.money import from_minor, line_amount_minor, parse_amount
from billing.numbers import parse_quantity
from billing.work.durations import parse_duration
from billing.work.tickets import check_not_billed
from models import Contract, Expense, Product, Ticket, TimeEntry, User, db

MAX_NOTE = 2000
MAX_DESCRIPTION = 300


def primary_rate_id(contract: Contract) -> int | None:
    """The rate new time goes to: the contract's primary rate, else its first, else none."""
    primary = next((cr for cr in contract.rates if cr.is_primary), None)
    chosen = primary or (contract.rates[0] if contract.rates else None)
    return chosen.rate_id if chosen else None


def _check_date(contract: Contract, day: date | None, today: date, field: str) -> date:
    if day is None:
        raise ValidationFailed("Enter the date.", field)
    if day > today:
        raise ValidationFailed("The date cannot be in the future.", field)
    if day < contract.start_date or (contract.end_date is not None and day > contract.end_date):
        ends = f"to {contract.end_date.isoformat()}" if contract.end_date else "with no end"
        raise ValidationFailed(
            f"The contract {contract.name} runs from {contract.start_date.isoformat()} {ends}; "
            "choose a date within it.",
            field,
        )
    return day


def _check_note(note: str, limit: int, field: str) -> str:
    note = (note or "").strip()
    if len(note) > limit:
        raise ValidationFailed(f"Use at most {limit} characters.", field)
    return note


def _technician(entry: TimeEntry | None, actor: User, technician_id: int | None) -> User:
    stored = entry.user_id if entry is not None else None
    chosen = technician_id or stored or actor.id
    if not actor.is_admin and chosen not in (actor.id, stored):
        raise ValidationFailed("Technicians record their own time.", "technician_id")
    user = db.session.get(User, chosen)
    if user is None or not (user.active or chosen == stored):
        raise ValidationFailed("Choose an active user.", "technician_id")
    return user


def _rate(entry: TimeEntry | None, contract: Contract, rate_id: int | None) -> int | None:
    offered = {cr.rate_id for cr in contract.rates}
    if rate_id is None or (entry is not None and rate_id == entry.rate_id):
        return rate_id if rate_id is not None else primary_rate_id(contract)
    if not offered:
        raise ValidationFailed(
            f"The contract {contract.name} bills no hourly rate; leave the rate empty.", "rate_id"
        )
    if rate_id not in offered:
        raise ValidationFailed(f"Choose one of the rates of {contract.name}.", "rate_id")
    return rate_id


def save_time_entry(
    entry: TimeEntry | None,
    ticket: Ticket,
    *,
    actor: User,
    technician_id: int | None,
    work_date: date | None,
    duration: str,
    billable: bool,
    rate_id: int | None,
    note: str,
    today: date,
) -> TimeEntry:
    """Record time on ``ticket`` (``entry`` is None) or change an entry of it.

    The technician defaults to ``actor`` (technicians record only their own time); the rate
    to the contract's primary one, and it must be one of the contract's rates (a contract
    without rates takes none). The date lies within the contract and not in the future.

    :raise Conflict: the ticket is billed.
    :raise ValidationFailed: beside ``technician_id``, ``work_date``, ``duration``, ``rate_id``
        or ``note``.
    """
    check_not_billed(ticket)
    technician = _technician(entry, actor, technician_id)
    day = _check_date(ticket.contract, work_date, today, "work_date")
    minutes = parse_duration(duration)
    rate = _rate(entry, ticket.contract, rate_id)
    note = _check_note(note, MAX_NOTE, "note")
    if entry is None:
        entry = TimeEntry(ticket=ticket)
        db.session.add(entry)
    entry.technician, entry.work_date, entry.minutes = technician, day, minutes
    entry.billable, entry.rate_id, entry.note = bool(billable), rate, note
    db.session.flush()
    return entry


def check_owner(item: TimeEntry | Expense, actor: User) -> None:
    """A technician changes only what they recorded; an admin changes anything.

    :raise NotYours: a technician and someone else's time entry or expense.
    """
    if actor.is_admin or item.user_id == actor.id:
        return
    what = "time entry" if isinstance(item, TimeEntry) else "expense"
    raise NotYours(f"Only the technician who recorded this {what}, or an admin, can change it.")


def delete_time_entry(entry: TimeEntry) -> None:
    """Delete a time entry of an unbilled ticket.

    :raise Conflict: the ticket is billed.
    """
    check_not_billed(entry.ticket)
    db.session.delete(entry)
    db.session.flush()


def expense_amount_minor(expense: Expense) -> int:
    """What an expense line comes to: quantity x unit price, less its discount."""
    return line_amount_minor(expense.quantity, expense.unit_price_minor) - expense.discount_minor


def catalog_price(product: Product, currency: str) -> int | None:
    """The product's catalog price in ``currency``, or None if it is priced in another."""
    return product.unit_price_minor if product.currency == currency else None


def _product(expense: Expense | None, product_id: int | None) -> Product | None:
    if product_id is None:
        return None
    product = db.session.get(Product, product_id)
    unchanged = expense is not None and expense.product_id == product_id
    if product is None or not (product.active or unchanged):
        raise ValidationFailed("Choose an active product from the list.", "product_id")
    return product


def _price(
    expense: Expense | None, product: Product | None, text: str, currency: str, actor: User
) -> int:
    """The unit price in minor units: as typed, else the product's catalog price."""
    listed = catalog_price(product, currency) if product else None
    kept = expense is not None and product is not None and expense.product_id == product.id
    if product is not None and listed is None and not (actor.is_admin or kept):
        raise ValidationFailed(
            f"{product.name} is priced in {product.currency}, not {currency}: "
            "only admins can price it for this customer.",
            "unit_price",
        )
    text = (text or "").strip()
    if not text:
        if listed is None and product is not None:
            raise ValidationFailed(
                f"{product.name} is priced in {product.currency}; enter its price in {currency}.",
                "unit_price",
            )
        if listed is None:
            raise ValidationFailed("Enter the unit price.", "unit_price")
        return listed
    price = parse_amount(text, currency, field="unit_price")
    allowed = {listed, expense.unit_price_minor if kept else None}
    if product is not None and not actor.is_admin and price not in allowed:
        raise ValidationFailed(
            "Only admins can change prices: a product costs its catalog price.", "unit_price"
        )
    return price


def _discount(expense: Expense | None, text: str, currency: str, actor: User, line: int) -> int:
    text = (text or "").strip()
    discount = parse_amount(text, currency, field="discount") if text else 0
    kept = expense.discount_minor if expense is not None else 0
    if discount not in (0, kept) and not actor.is_admin:
        raise ValidationFailed("Only admins can give discounts.", "discount")
    if discount > line:
        raise ValidationFailed(
            f"The discount cannot be more than the line's {from_minor(line, currency)} {currency}.",
            "discount",
        )
    return discount


def save_expense(
    expense: Expense | None,
    ticket: Ticket,
    *,
    actor: User,
    product_id: int | None,
    description: str,
    quantity: str,
    unit_price: str,
    discount: str,
    billable: bool,
    expense_date: date | None,
    today: date,
) -> Expense:
    """Record a product or expense on ``ticket`` (``expense`` is None) or change one of it.

    A catalog product fills the description (its name) and, in the customer's currency, the
    unit price when they are left empty; a product priced in another currency needs a price.
    The discount is an amount from zero to quantity x price, a line amount bounded by
    :data:`billing.money.MAX_LINE_MINOR`. See the module for what technicians may not do.

    :raise Conflict: the ticket is billed.
    :raise ValidationFailed: beside ``product_id``, ``description``, ``quantity``,
        ``unit_price``, ``discount`` or ``expense_date``.
    """
    check_not_billed(ticket)
    currency = ticket.customer.currency
    product = _product(expense, product_id)
    description = _check_note(description, MAX_DESCRIPTION, "description")
    description = description or (product.name if product else "")
    if not description:
        raise ValidationFailed("Describe the expense, or choose a product.", "description")
    amount = parse_quantity(quantity)
    price = _price(expense, product, unit_price, currency, actor)
    off = _discount(expense, discount, currency, actor, line_amount_minor(amount, price))
    day = _check_date(ticket.contract, expense_date, today, "expense_date")
    if expense is None:
        expense = Expense(ticket=ticket, user_id=actor.id)
        db.session.add(expense)
    expense.product, expense.product_id = product, product.id if product else None
    expense.description, expense.quantity, expense.expense_date = description, amount, day
    expense.unit_price_minor, expense.discount_minor = price, off
    expense.billable = bool(billable)
    db.session.flush()
    return expense


def delete_expense(expense: Expense) -> None:
    """Delete an expense of an unbilled ticket.

    :raise Conflict: the ticket is billed.
    """
    check_not_billed(expense.ticket)
    db.session.delete(expense)
    db.session.flush()
