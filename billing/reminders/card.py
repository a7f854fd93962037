"""What the invoice page shows of its reminders: those sent (step, when, to whom, by whom),
and what "Send reminder now" would send or why it cannot."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from billing.errors import Conflict
from billing.reminders.send import step_for_now, step_label
from billing.wording import counted
from models import Invoice, ReminderSent, ReminderStep, User, db


@dataclass(frozen=True)
class SentReminder:
    """A reminder sent for an invoice, as its page shows it."""

    step: str
    sent_at: datetime
    recipients: str
    by: str | None  # None: the schedule


def sent_reminders(invoice: Invoice) -> list[SentReminder]:
    """The reminders sent for ``invoice``, oldest first."""
    query = (
        select(ReminderSent, ReminderStep.days_overdue, User.name)
        .join(ReminderStep, ReminderStep.id == ReminderSent.step_id)
        .outerjoin(User, User.id == ReminderSent.sent_by_id)
        .where(ReminderSent.invoice_id == invoice.id)
        .order_by(ReminderSent.sent_at, ReminderSent.id)
    )
    return [
        SentReminder(f"{counted(days, 'day')} past due", sent.sent_at, sent.recipients, name)
        for sent, days, name in db.session.execute(query)
    ]


@dataclass(frozen=True)
class ReminderCard:
    """The invoice page's reminder card: what was sent, and what "Send reminder now" would
    send (``next_step``) or why it cannot (``refusal``)."""

    sent: list[SentReminder]
    next_step: str | None
    refusal: str | None


def reminder_card(invoice: Invoice, today: date) -> ReminderCard | None:
    """The card for an overdue invoice that owes something, or one with reminders sent;
    None otherwise (no card)."""
    sent = sent_reminders(invoice)
    owed_late = invoice.owed_minor > 0 and invoice.days_overdue(today) > 0
    if not sent and not owed_late:
        return None
    if not owed_late:
        return ReminderCard(sent, None, None)
    try:
        return ReminderCard(sent, step_label(step_for_now(invoice, today)), None)
    except Conflict as refusal:
        return ReminderCard(sent, None, str(refusal))
