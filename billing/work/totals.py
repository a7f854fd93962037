"""Totals of recorded work (hours, billable hours, value) for many tickets in one query.

The value of work is what it would bill at: each billable time entry's minutes rounded up to the
contract's increment, times the entry's rate (the contract's price for that rate, else the rate's
own), rounded half-up per entry; each billable expense's quantity times price rounded half-up,
less its discount. Amounts are integer minor units, computed in SQL with integer arithmetic only.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from models import Contract, ContractRate, Expense, Rate, Ticket, TimeEntry, db


@dataclass(frozen=True)
class WorkTotals:
    """Recorded work of one ticket, or summed over several."""

    minutes: int = 0
    billable_minutes: int = 0
    time_minor: int = 0
    expenses_minor: int = 0

    @property
    def amount_minor(self) -> int:
        return self.time_minor + self.expenses_minor

    def __add__(self, other: "WorkTotals") -> "WorkTotals":
        return WorkTotals(
            self.minutes + other.minutes,
            self.billable_minutes + other.billable_minutes,
            self.time_minor + other.time_minor,
            self.expenses_minor + other.expenses_minor,
        )


def _half_up_div(numerator: sa.ColumnElement, denominator: int) -> sa.ColumnElement:
    # round(n / d) half-up for n >= 0, in integers on every database: (2n + d) div 2d
    return (numerator * 2 + denominator) // (2 * denominator)


def billed_minutes_expr() -> sa.ColumnElement:
    """SQL for an entry's minutes rounded up to its contract's increment (0 = exact)."""
    step = Contract.rounding_minutes
    return sa.case(
        (step > 0, ((TimeEntry.minutes + step - 1) // step) * step),
        else_=TimeEntry.minutes,
    )


def entry_price_expr() -> sa.ColumnElement:
    """SQL for an entry's hourly price: the contract's price for its rate, else the rate's."""
    return sa.func.coalesce(ContractRate.hourly_price_minor, Rate.hourly_price_minor, 0)


def with_prices(query: sa.Select) -> sa.Select:
    """``query`` over time entries joined to what prices them: the ticket, the contract (for
    :func:`billed_minutes_expr`), the rate and the contract's price for it (for
    :func:`entry_price_expr`)."""
    return (
        query.join(Ticket, Ticket.id == TimeEntry.ticket_id)
        .join(Contract, Contract.id == Ticket.contract_id)
        .outerjoin(Rate, Rate.id == TimeEntry.rate_id)
        .outerjoin(
            ContractRate,
            sa.and_(
                ContractRate.contract_id == Ticket.contract_id,
                ContractRate.rate_id == TimeEntry.rate_id,
            ),
        )
    )


def _time_query(ticket_ids: list[int]) -> sa.Select:
    billable = TimeEntry.billable.is_(True)
    billed_minutes = billed_minutes_expr()
    value = _half_up_div(billed_minutes * entry_price_expr(), 60)
    query = sa.select(
        TimeEntry.ticket_id,
        sa.func.sum(TimeEntry.minutes),
        sa.func.sum(sa.case((billable, billed_minutes), else_=0)),
        sa.func.sum(sa.case((billable, value), else_=0)),
    )
    return (
        with_prices(query).where(TimeEntry.ticket_id.in_(ticket_ids)).group_by(TimeEntry.ticket_id)
    )


def _expense_query(ticket_ids: list[int]) -> sa.Select:
    # quantity is stored in thousandths (ScaledDecimal(3)); compare the raw integer column
    quantity = sa.type_coerce(Expense.quantity, sa.BigInteger)
    value = _half_up_div(quantity * Expense.unit_price_minor, 1000) - Expense.discount_minor
    return (
        sa.select(Expense.ticket_id, sa.func.sum(value))
        .where(Expense.ticket_id.in_(ticket_ids), Expense.billable.is_(True))
        .group_by(Expense.ticket_id)
    )


def totals_by_ticket(ticket_ids: Iterable[int]) -> dict[int, WorkTotals]:
    """Work totals for each ticket id (tickets without work get zero totals); two queries."""
    ids = sorted(set(ticket_ids))
    totals = {ticket_id: WorkTotals() for ticket_id in ids}
    if not ids:
        return totals
    for ticket_id, minutes, billable, time_minor in db.session.execute(_time_query(ids)):
        totals[ticket_id] = WorkTotals(int(minutes), int(billable), int(time_minor))
    for ticket_id, expenses_minor in db.session.execute(_expense_query(ids)):
        totals[ticket_id] += WorkTotals(expenses_minor=int(expenses_minor))
    return totals


def sum_totals(totals: Iterable[WorkTotals]) -> WorkTotals:
    """The sum of several tickets' totals."""
    result = WorkTotals()
    for item in totals:
        result += item
    return result
