"""When a ticket counts as resolved, for billing: which period bills its work.

A ticket is billable in a batch once it is resolved (or closed) by the batch's last day. Work
done in a period on a ticket still open, or resolved after the period, waits; the builder lists
it with the reason, and an admin can set the resolved date (never in the future, never before
the ticket's last work), which is audited.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from billing.errors import ValidationFailed
from billing.work.tickets import check_not_billed
from models import Expense, Ticket, TicketEvent, TicketStatus, TimeEntry, User, db

RESOLVED_HOUR = time(12)  # midday UTC: the same calendar day wherever the MSP works


@dataclass(frozen=True)
class WaitingTicket:
    """A ticket with billable work in a batch's period that the batch cannot bill yet."""

    ticket: Ticket
    reason: str


def resolved_day(ticket: Ticket) -> date | None:
    """The day ``ticket`` was resolved or closed (None while open)."""
    return ticket.closed_at.date() if ticket.closed_at else None


def waiting_tickets(contract_ids: list[int], start: date, end: date) -> dict[int, list]:
    """Per contract, the unbilled tickets with billable time in ``start``..``end`` that are
    still open or were resolved after ``end`` (one query)."""
    if not contract_ids:
        return {}
    after = datetime.combine(end + timedelta(days=1), time.min)
    worked = (
        sa.select(TimeEntry.ticket_id)
        .where(TimeEntry.billable.is_(True), TimeEntry.work_date.between(start, end))
        .distinct()
    )
    rows = db.session.scalars(
        sa.select(Ticket)
        .where(
            Ticket.contract_id.in_(contract_ids),
            Ticket.batch_id.is_(None),
            Ticket.id.in_(worked),
            sa.or_(Ticket.status == TicketStatus.OPEN, Ticket.closed_at >= after),
        )
        .order_by(Ticket.id)
    )
    waiting: dict[int, list[WaitingTicket]] = defaultdict(list)
    for ticket in rows:
        day = resolved_day(ticket)
        if ticket.status == TicketStatus.OPEN or day is None:
            reason = "still open"
        else:
            reason = f"resolved on {day:%d %b %Y}, after this period"
        waiting[ticket.contract_id].append(WaitingTicket(ticket, reason))
    return waiting


def last_work_day(ticket: Ticket) -> date | None:
    """The latest day of the ticket's time entries and expenses."""
    days = [
        db.session.scalar(sa.select(sa.func.max(TimeEntry.work_date)).where(
            TimeEntry.ticket_id == ticket.id)),
        db.session.scalar(sa.select(sa.func.max(Expense.expense_date)).where(
            Expense.ticket_id == ticket.id)),
    ]  # fmt: skip
    days = [d for d in days if d is not None]
    return max(days) if days else None


def set_resolved_date(ticket: Ticket, day: date | None, user: User | None, today: date) -> None:
    """Resolve ``ticket`` on ``day`` (an open one becomes Resolved), audited. Not committed.

    :raise ValidationFailed: no date, a future one, or one before the ticket's last work.
    :raise Conflict: the ticket is billed already.
    """
    check_not_billed(ticket)
    if day is None:
        raise ValidationFailed("Enter the day the ticket was resolved.", "resolved_on")
    if day > today:
        raise ValidationFailed("The resolved date cannot be in the future.", "resolved_on")
    last = last_work_day(ticket)
    if last and day < last:
        raise ValidationFailed(
            f"The ticket has work on {last:%d %b %Y}: it cannot be resolved before that.",
            "resolved_on",
        )
    before = resolved_day(ticket)
    ticket.closed_at = datetime.combine(day, RESOLVED_HOUR, tzinfo=UTC)
    if ticket.status == TicketStatus.OPEN:
        ticket.status = TicketStatus.RESOLVED
    was = f"{before:%d %b %Y}" if before else "open"
    db.session.add(
        TicketEvent(
            ticket_id=ticket.id,
            user_id=user.id if user else None,
            kind="resolved_date",
            message=f"Resolved date set to {day:%d %b %Y} (was {was}).",
            data={"from": before.isoformat() if before else None, "to": day.isoformat()},
        )
    )
