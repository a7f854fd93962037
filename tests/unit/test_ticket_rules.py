"""Ticket rules: the status table, closed_at, the billed lock, tickets, time and expenses."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.errors import Conflict, ValidationFailed
from billing.money import MAX_LINE_MINOR, line_amount_minor
from billing.work.items import (
    delete_expense,
    delete_time_entry,
    expense_amount_minor,
    parse_quantity,
    save_expense,
    save_time_entry,
)
from billing.work.tickets import TRANSITIONS, change_status, next_statuses, save_ticket
from billing.work.totals import totals_by_ticket
from models import ContractType, InvoiceBatch, Role, Ticket, TicketStatus, db
from tests.factories import (
    make_contract,
    make_customer,
    make_expense,
    make_product,
    make_rate,
    make_ticket,
    make_time_entry,
    make_user,
)

OPEN, RESOLVED, CLOSED = TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TODAY = date(2026, 3, 2)
ALL_MOVES = [(a, b) for a in TicketStatus for b in TicketStatus]


def bill(ticket: Ticket, name: str = "March 2026") -> InvoiceBatch:
    batch = InvoiceBatch(name=name, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31))
    db.session.add(batch)
    ticket.batch = batch
    db.session.commit()
    return batch


def billed_message(ticket: Ticket, name: str = "March 2026") -> str:
    return f"Ticket #{ticket.id} was billed by batch {name}; it can no longer be changed."


# --- the status machine ----------------------------------------------------------------------


def test_the_table_allows_every_move_to_another_status_and_none_to_the_same():
    for source, targets in TRANSITIONS.items():
        assert source not in targets
        assert targets == set(TicketStatus) - {source}


@pytest.mark.parametrize(("source", "target"), ALL_MOVES)
def test_change_status_follows_the_table(app, source, target):
    ticket = make_ticket(status=source)
    if target in TRANSITIONS[source]:
        change_status(ticket, target.value, now=NOW)
        assert ticket.status == target
        assert (ticket.closed_at is None) == (target == OPEN)
    else:
        with pytest.raises(Conflict, match=f"is {target.value} already"):
            change_status(ticket, target, now=NOW)
        assert ticket.status == source


def test_closed_at_is_set_on_leaving_open_kept_between_done_states_cleared_on_reopen(app):
    ticket = make_ticket()
    change_status(ticket, RESOLVED, now=NOW)
    assert ticket.closed_at == NOW
    change_status(ticket, CLOSED, now=datetime(2026, 3, 9, tzinfo=UTC))
    assert ticket.closed_at == NOW  # the work was finished when it was resolved
    change_status(ticket, OPEN, now=NOW)
    assert ticket.closed_at is None
    change_status(ticket, CLOSED, now=datetime(2026, 3, 10, tzinfo=UTC))
    assert ticket.closed_at == datetime(2026, 3, 10, tzinfo=UTC)


def test_unknown_status_is_refused_beside_the_field(app):
    with pytest.raises(ValidationFailed, match="Choose open, resolved or closed") as refused:
        change_status(make_ticket(), "deleted", now=NOW)
    assert refused.value.field == "status"


@pytest.mark.parametrize("source", list(TicketStatus))
@pytest.mark.parametrize("target", list(TicketStatus))
def test_a_billed_ticket_makes_no_move(app, source, target):
    ticket = make_ticket(status=source)
    bill(ticket)
    assert next_statuses(ticket) == []
    with pytest.raises(Conflict) as refused:
        change_status(ticket, target, now=NOW)
    assert str(refused.value) == billed_message(ticket)
    assert ticket.status == source


def test_next_statuses_are_the_table_in_enum_order(app):
    assert next_statuses(make_ticket(status=CLOSED)) == [OPEN, RESOLVED]
    assert next_statuses(make_ticket(status=OPEN)) == [RESOLVED, CLOSED]


# --- tickets -----------------------------------------------------------------------------------


def ticket_values(contract, **overrides):
    values = dict(
        customer_id=contract.customer_id, contract_id=contract.id, title="Printer", description=""
    )
    return {**values, **overrides}


def test_save_ticket_creates_an_open_ticket(app):
    contract = make_contract()
    ticket = save_ticket(None, **ticket_values(contract, title="  Printer jam  "))
    assert ticket.id and ticket.status == OPEN and ticket.title == "Printer jam"
    assert ticket.contract_id == contract.id and ticket.customer_id == contract.customer_id


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "  "}, "title", "Enter a title."),
        ({"title": "x" * 201}, "title", "at most 200"),
        ({"description": "x" * 20001}, "description", "at most 20000"),
        ({"customer_id": None}, "customer_id", "Choose an active customer."),
        ({"customer_id": 999999}, "customer_id", "Choose an active customer."),
        ({"contract_id": None}, "contract_id", "active contracts"),
        ({"contract_id": 999999}, "contract_id", "active contracts"),
    ],
)
def test_save_ticket_refuses(app, overrides, field, message):
    contract = make_contract()
    with pytest.raises(ValidationFailed, match=message) as refused:
        save_ticket(None, **ticket_values(contract, **overrides))
    assert refused.value.field == field
    assert db.session.query(Ticket).count() == 0


def test_contract_of_another_customer_is_refused(app):
    mine, theirs = make_contract(), make_contract()
    with pytest.raises(ValidationFailed, match="active contracts") as refused:
        save_ticket(None, **ticket_values(mine, contract_id=theirs.id))
    assert refused.value.field == "contract_id"


def test_inactive_contract_or_customer_is_refused_for_new_tickets(app):
    contract = make_contract(active=False)
    with pytest.raises(ValidationFailed, match="inactive") as refused:
        save_ticket(None, **ticket_values(contract))
    assert refused.value.field == "contract_id"
    customer = make_customer(active=False)
    with pytest.raises(ValidationFailed, match="active customer"):
        save_ticket(None, **ticket_values(make_contract(customer)))


def test_editing_keeps_a_contract_deactivated_since(app):
    ticket = make_ticket()
    ticket.contract.active = False
    save_ticket(ticket, **ticket_values(ticket.contract, title="Renamed"))
    assert ticket.title == "Renamed"


def test_moving_to_another_contract_moves_time_to_its_rates(app):
    standard, weekend, night = make_rate(), make_rate(), make_rate()
    old = make_contract(rates=[standard, weekend])
    new = make_contract(old.customer, rates=[night, weekend])
    ticket = make_ticket(old)
    on_standard = make_time_entry(ticket, rate=standard)
    on_weekend = make_time_entry(ticket, rate=weekend)
    save_ticket(ticket, **ticket_values(new))
    assert on_standard.rate_id == night.id  # the new contract's primary
    assert on_weekend.rate_id == weekend.id  # offered by both: kept
    retainer = make_contract(old.customer, type=ContractType.RETAINER)
    save_ticket(ticket, **ticket_values(retainer))
    assert on_standard.rate_id is None and on_weekend.rate_id is None


def test_work_cannot_move_to_a_customer_billed_in_another_currency(app):
    ticket = make_ticket()
    euro = make_contract(make_customer(currency="EUR"))
    save_ticket(ticket, **ticket_values(euro))  # no work yet: fine
    dollars = make_contract(make_customer(currency="USD"))
    make_expense(ticket)
    with pytest.raises(ValidationFailed, match="priced in EUR") as refused:
        save_ticket(ticket, **ticket_values(dollars))
    assert refused.value.field == "customer_id"


def test_billed_ticket_cannot_be_edited(app):
    ticket = make_ticket(title="Before")
    bill(ticket)
    with pytest.raises(Conflict) as refused:
        save_ticket(ticket, **ticket_values(ticket.contract, title="After"))
    assert str(refused.value) == billed_message(ticket)
    db.session.rollback()
    assert db.session.get(Ticket, ticket.id).title == "Before"


# --- time entries ----------------------------------------------------------------------------


def time_values(**overrides):
    values = dict(
        technician_id=None,
        work_date=TODAY,
        duration="1:30",
        billable=True,
        rate_id=None,
        note="",
        today=TODAY,
    )
    return {**values, **overrides}


def test_time_entry_defaults_to_the_actor_and_the_primary_rate(app):
    tech = make_user(Role.TECHNICIAN)
    primary, other = make_rate(), make_rate()
    ticket = make_ticket(make_contract(rates=[primary, other]))
    entry = save_time_entry(None, ticket, actor=tech, **time_values(note=" swapped disk "))
    assert entry.user_id == tech.id and entry.rate_id == primary.id
    assert entry.minutes == 90 and entry.note == "swapped disk" and entry.billable
    save_time_entry(entry, ticket, actor=tech, **time_values(rate_id=other.id, duration="45m"))
    assert entry.rate_id == other.id and entry.minutes == 45


def test_contracts_without_rates_take_none(app):
    ticket = make_ticket(make_contract(type=ContractType.RETAINER))
    admin = make_user()
    entry = save_time_entry(None, ticket, actor=admin, **time_values())
    assert entry.rate_id is None
    with pytest.raises(ValidationFailed, match="bills no hourly rate") as refused:
        save_time_entry(None, ticket, actor=admin, **time_values(rate_id=make_rate().id))
    assert refused.value.field == "rate_id"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"duration": "25h"}, "duration", "at most 24 hours"),
        ({"duration": "-1:00"}, "duration", "negative"),
        ({"duration": "abc"}, "duration", "such as 1:30"),
        ({"duration": "0"}, "duration", "at least one minute"),
        ({"work_date": None}, "work_date", "Enter the date."),
        ({"work_date": date(2026, 3, 3)}, "work_date", "cannot be in the future"),
        ({"work_date": date(2025, 12, 31)}, "work_date", "runs from 2026-01-01 to 2026-06-30"),
        ({"work_date": date(2026, 7, 1), "today": date(2026, 8, 1)}, "work_date", "runs from"),
        ({"note": "x" * 2001}, "note", "at most 2000"),
        ({"technician_id": 999999}, "technician_id", "Choose an active user."),
    ],
)
def test_time_entry_refusals(app, overrides, field, message):
    ticket = make_ticket(make_contract(end_date=date(2026, 6, 30)))
    with pytest.raises(ValidationFailed, match=message) as refused:
        save_time_entry(None, ticket, actor=make_user(), **time_values(**overrides))
    assert refused.value.field == field


def test_rate_of_another_contract_is_refused(app):
    ticket = make_ticket()
    foreign = make_contract().rates[0].rate
    with pytest.raises(ValidationFailed, match="Choose one of the rates") as refused:
        save_time_entry(None, ticket, actor=make_user(), **time_values(rate_id=foreign.id))
    assert refused.value.field == "rate_id"


def test_technicians_record_only_their_own_time_admins_anyone_active(app):
    tech, colleague, admin = make_user(Role.TECHNICIAN), make_user(Role.TECHNICIAN), make_user()
    ticket = make_ticket()
    with pytest.raises(ValidationFailed, match="their own time"):
        save_time_entry(None, ticket, actor=tech, **time_values(technician_id=colleague.id))
    entry = save_time_entry(None, ticket, actor=admin, **time_values(technician_id=colleague.id))
    assert entry.user_id == colleague.id
    # a technician may correct a colleague's entry without taking it over
    save_time_entry(entry, ticket, actor=tech, **time_values(technician_id=colleague.id))
    colleague.active = False
    with pytest.raises(ValidationFailed, match="active user"):
        save_time_entry(None, ticket, actor=admin, **time_values(technician_id=colleague.id))
    save_time_entry(entry, ticket, actor=admin, **time_values(technician_id=colleague.id))


def test_time_of_a_billed_ticket_is_read_only(app):
    ticket = make_ticket()
    entry = make_time_entry(ticket, minutes=30)
    bill(ticket)
    admin = make_user()
    for call in (
        lambda: save_time_entry(None, ticket, actor=admin, **time_values()),
        lambda: save_time_entry(entry, ticket, actor=admin, **time_values()),
        lambda: delete_time_entry(entry),
    ):
        with pytest.raises(Conflict, match=f"Ticket #{ticket.id} was billed by batch March"):
            call()
    assert entry.minutes == 30


# --- expenses ----------------------------------------------------------------------------------


def expense_values(**overrides):
    values = dict(
        product_id=None,
        description="Cable",
        quantity="2",
        unit_price="15.00",
        discount="",
        billable=True,
        expense_date=TODAY,
        today=TODAY,
    )
    return {**values, **overrides}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2", Decimal(2)), ("1.5", Decimal("1.5")), ("0.001", Decimal("0.001")), ("1,000", 1000)]
    + [("999999.999", Decimal("999999.999"))],
)
def test_parse_quantity(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "such as 1"), ("two", "such as 1"), ("0", "above zero"), ("-1", "above zero")]
    + [("NaN", "such as 1"), ("1000000", "below 1,000,000"), ("1.0001", "at most 3 decimals")],
)
def test_parse_quantity_refuses(text, message):
    with pytest.raises(ValidationFailed, match=message) as refused:
        parse_quantity(text)
    assert refused.value.field == "quantity"


def test_line_amounts_round_half_up_like_the_sql_totals(app):
    assert line_amount_minor(Decimal("2.5"), 1999) == 4998  # 49.975 -> 49.98
    assert line_amount_minor(Decimal("0.333"), 100) == 33
    ticket = make_ticket()
    expense = make_expense(
        ticket, quantity=Decimal("2.5"), unit_price_minor=1999, discount_minor=500
    )
    assert expense_amount_minor(expense) == 4498
    assert totals_by_ticket([ticket.id])[ticket.id].expenses_minor == 4498


def test_a_product_fills_description_and_price(app):
    product = make_product(name="SSD 1TB", unit_price_minor=8900)
    ticket, admin = make_ticket(), make_user()
    values = expense_values(product_id=product.id, description="", unit_price="")
    expense = save_expense(None, ticket, actor=admin, **values)
    assert expense.description == "SSD 1TB" and expense.unit_price_minor == 8900
    assert expense.quantity == Decimal(2) and expense.user_id == admin.id


def test_a_product_in_another_currency_needs_a_price(app):
    product = make_product(name="Licence", currency="EUR", unit_price_minor=1000)
    ticket, admin = make_ticket(), make_user()
    values = expense_values(product_id=product.id, unit_price="")
    with pytest.raises(ValidationFailed, match="priced in EUR; enter its price in USD") as refused:
        save_expense(None, ticket, actor=admin, **values)
    assert refused.value.field == "unit_price"
    expense = save_expense(None, ticket, actor=admin, **{**values, "unit_price": "12.50"})
    assert expense.unit_price_minor == 1250


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"description": "", "product_id": None}, "description", "or choose a product"),
        ({"description": "x" * 301}, "description", "at most 300"),
        ({"quantity": "0"}, "quantity", "above zero"),
        ({"unit_price": ""}, "unit_price", "Enter the unit price."),
        ({"unit_price": "12.345"}, "unit_price", "at most 2 decimals"),
        ({"unit_price": "abc"}, "unit_price", "such as 1,234.50"),
        ({"unit_price": "-1"}, "unit_price", "zero or more"),
        ({"unit_price": "1000000000000"}, "unit_price", "below 1,000,000,000,000"),
        ({"quantity": "999999.999", "unit_price": "999999999999.99"}, "quantity", "too much"),
        ({"quantity": "100", "unit_price": "100000000000.01"}, "quantity", "for one line"),
        ({"discount": "x"}, "discount", "such as 1,234.50"),
        ({"discount": "30.01"}, "discount", "cannot be more than the line's 30.00 USD"),
        ({"expense_date": date(2026, 3, 3)}, "expense_date", "future"),
        ({"expense_date": date(2025, 1, 1)}, "expense_date", "runs from"),
        ({"product_id": 999999}, "product_id", "active product"),
    ],
)
def test_expense_refusals(app, overrides, field, message):
    with pytest.raises(ValidationFailed, match=message) as refused:
        save_expense(None, make_ticket(), actor=make_user(), **expense_values(**overrides))
    assert refused.value.field == field


def test_the_largest_line_is_saved_and_summed_in_sql(app):
    # a price above the old 32-bit limit (21,474,836.47): the columns are 64-bit, and it is
    # quantity x price that is bounded (billing.money.MAX_LINE_MINOR), here to the minor unit
    values = expense_values(quantity="100", unit_price="99999999999.99", discount="0.01")
    ticket = make_ticket()
    expense = save_expense(None, ticket, actor=make_user(), **values)
    assert expense.unit_price_minor == 9_999_999_999_999
    assert expense_amount_minor(expense) == MAX_LINE_MINOR - 101
    db.session.flush()
    assert totals_by_ticket([ticket.id])[ticket.id].expenses_minor == MAX_LINE_MINOR - 101


def test_discount_up_to_the_whole_line(app):
    expense = save_expense(None, make_ticket(), actor=make_user(), **expense_values(discount="30"))
    assert expense.discount_minor == 3000 and expense_amount_minor(expense) == 0


def test_inactive_product_is_refused_but_kept_on_existing_lines(app):
    product = make_product(active=False)
    ticket, admin = make_ticket(), make_user()
    with pytest.raises(ValidationFailed, match="active product"):
        save_expense(None, ticket, actor=admin, **expense_values(product_id=product.id))
    expense = make_expense(ticket, product=product)
    save_expense(expense, ticket, actor=admin, **expense_values(product_id=product.id))


class TestTechnicianPrices:
    """Technicians record products at their catalog price and give no discounts (422)."""

    def test_catalog_price_is_accepted_typed_or_empty(self, app):
        tech, product = make_user(Role.TECHNICIAN), make_product(unit_price_minor=4999)
        ticket = make_ticket()
        for price in ("", "49.99", "49.990"):
            values = expense_values(product_id=product.id, unit_price=price)
            assert save_expense(None, ticket, actor=tech, **values).unit_price_minor == 4999

    def test_another_price_for_a_product_is_refused(self, app):
        tech, product = make_user(Role.TECHNICIAN), make_product(unit_price_minor=4999)
        values = expense_values(product_id=product.id, unit_price="10.00")
        with pytest.raises(ValidationFailed, match="Only admins can change prices") as refused:
            save_expense(None, make_ticket(), actor=tech, **values)
        assert refused.value.field == "unit_price"

    def test_a_product_priced_in_another_currency_is_for_admins(self, app):
        tech = make_user(Role.TECHNICIAN)
        product = make_product(currency="EUR")
        values = expense_values(product_id=product.id, unit_price="12.00")
        with pytest.raises(ValidationFailed, match="only admins can price it"):
            save_expense(None, make_ticket(), actor=tech, **values)

    def test_a_discount_is_refused(self, app):
        tech = make_user(Role.TECHNICIAN)
        with pytest.raises(ValidationFailed, match="Only admins can give discounts") as refused:
            save_expense(None, make_ticket(), actor=tech, **expense_values(discount="1.00"))
        assert refused.value.field == "discount"

    def test_the_cost_of_a_free_expense_is_theirs_to_enter(self, app):
        tech = make_user(Role.TECHNICIAN)
        values = expense_values(description="Parking", quantity="1", unit_price="7.50")
        assert save_expense(None, make_ticket(), actor=tech, **values).unit_price_minor == 750

    def test_editing_keeps_what_an_admin_set(self, app):
        tech, product = make_user(Role.TECHNICIAN), make_product(unit_price_minor=4999)
        ticket = make_ticket()
        expense = make_expense(
            ticket, product=product, unit_price_minor=3999, discount_minor=500, quantity=2
        )
        values = expense_values(product_id=product.id, unit_price="39.99", discount="5.00")
        save_expense(expense, ticket, actor=tech, **{**values, "quantity": "3"})
        assert expense.quantity == 3 and expense.unit_price_minor == 3999
        assert expense.discount_minor == 500


def test_expenses_of_a_billed_ticket_are_read_only(app):
    ticket = make_ticket()
    expense = make_expense(ticket)
    bill(ticket, "Q1")
    admin = make_user()
    for call in (
        lambda: save_expense(None, ticket, actor=admin, **expense_values()),
        lambda: save_expense(expense, ticket, actor=admin, **expense_values(quantity="9")),
        lambda: delete_expense(expense),
    ):
        with pytest.raises(Conflict) as refused:
            call()
        assert str(refused.value) == billed_message(ticket, "Q1")
    assert expense.quantity == 2
