"""The reminder schedule: its steps, checked when saved, and the usual one to start from.

Nothing is committed here; the caller does.
"""

from sqlalchemy import func, select

from billing.errors import Conflict, ValidationFailed
from billing.settings import PLACEHOLDERS, check_template
from billing.wording import counted
from models import ReminderSent, ReminderStep, db

# The invoice email's placeholders, and what a reminder adds (filled in by ``send``).
REMINDER_PLACEHOLDERS = tuple(dict.fromkeys((*PLACEHOLDERS, "balance", "days_overdue")))
MAX_DAYS = 3650
MAX_SUBJECT = 200
MAX_BODY = 10000

USUAL_SCHEDULE = (
    (
        7,
        "Reminder: invoice {number} is {days_overdue} days past due",
        "Hello {customer},\n\n"
        "This is a friendly reminder that invoice {number}, due on {due_date}, has a balance "
        "of {balance} still open. The invoice is attached.\n\n"
        "If you have paid it already, thank you, and please ignore this message.\n\n"
        "Kind regards,\n{company}",
    ),
    (
        14,
        "Second reminder: invoice {number} is {days_overdue} days past due",
        "Hello {customer},\n\n"
        "Invoice {number}, due on {due_date}, is now {days_overdue} days past due, and "
        "{balance} is still open. The invoice is attached again.\n\n"
        "Please arrange payment, or tell us if something is wrong with the invoice.\n\n"
        "Kind regards,\n{company}",
    ),
    (
        30,
        "Final reminder: invoice {number} is {days_overdue} days past due",
        "Hello {customer},\n\n"
        "Invoice {number} was due on {due_date} and {balance} is still unpaid, "
        "{days_overdue} days later. Please pay it now, or contact us today to agree on a "
        "date.\n\n"
        "Kind regards,\n{company}",
    ),
)


def check_reminder_template(text: str, *, field: str) -> None:
    """A reminder's subject or body: only :data:`REMINDER_PLACEHOLDERS`, balanced braces.

    :raise ValidationFailed: as :func:`billing.settings.check_template`, beside ``field``.
    """
    check_template(text, field=field, known=REMINDER_PLACEHOLDERS)


def list_steps(*, active_only: bool = False) -> list[ReminderStep]:
    """The steps, fewest days first (only the active ones if asked)."""
    query = select(ReminderStep).order_by(ReminderStep.days_overdue)
    if active_only:
        query = query.where(ReminderStep.active.is_(True))
    return list(db.session.scalars(query))


def sent_counts() -> dict[int, int]:
    """How many reminders each step has sent, by step id (steps that sent none are absent)."""
    rows = db.session.execute(
        select(ReminderSent.step_id, func.count()).group_by(ReminderSent.step_id)
    )
    return {step_id: count for step_id, count in rows}


def save_step(
    step: ReminderStep | None, days_overdue: int, subject: str, body: str, active: bool
) -> ReminderStep:
    """Create (``step`` None) or change a step; flushed, not committed.

    :raise ValidationFailed: days below 1 or above :data:`MAX_DAYS`, or taken by another step;
        an empty or too long subject or body, or an unknown placeholder (beside its field).
    """
    if not 1 <= days_overdue <= MAX_DAYS:
        raise ValidationFailed(f"Enter a number of days from 1 to {MAX_DAYS}.", "days_overdue")
    subject, body = (subject or "").strip(), (body or "").strip()
    for field, text, most in (("subject", subject, MAX_SUBJECT), ("body", body, MAX_BODY)):
        if not text:
            raise ValidationFailed(
                "Enter a subject." if field == "subject" else "Enter a message.", field
            )
        if len(text) > most:
            raise ValidationFailed(f"Use at most {most} characters.", field)
        check_reminder_template(text, field=field)
    taken = select(ReminderStep.id).where(ReminderStep.days_overdue == days_overdue)
    if step is not None:
        taken = taken.where(ReminderStep.id != step.id)
    if db.session.scalar(taken.limit(1)) is not None:
        raise ValidationFailed(
            f"Another step is {counted(days_overdue, 'day')} past due already: "
            "each step needs its own number of days.",
            "days_overdue",
        )
    if step is None:
        step = ReminderStep()
        db.session.add(step)
    step.days_overdue, step.subject, step.body, step.active = days_overdue, subject, body, active
    db.session.flush()
    return step


def delete_step(step: ReminderStep) -> None:
    """Delete a step that has sent nothing yet (not committed).

    :raise Conflict: it has sent reminders: its record is what keeps it from going twice, so
        it can only be made inactive.
    """
    count = sent_counts().get(step.id, 0)
    if count:
        raise Conflict(
            f"The {counted(step.days_overdue, 'day')} step has sent {counted(count, 'reminder')}: "
            "they record what was sent, so it cannot be deleted. Untick Active to stop it."
        )
    db.session.delete(step)
    db.session.flush()


def use_usual_schedule() -> list[ReminderStep]:
    """Create the usual steps, 7, 14 and 30 days past due, with their default texts.

    :raise Conflict: steps exist already (the usual schedule only starts an empty one).
    """
    if db.session.scalar(select(func.count()).select_from(ReminderStep)):
        raise Conflict(
            "A reminder schedule exists already: edit its steps, or delete them first to "
            "start again from the usual one."
        )
    steps = [
        ReminderStep(days_overdue=days, subject=subject, body=body, active=True)
        for days, subject, body in USUAL_SCHEDULE
    ]
    db.session.add_all(steps)
    db.session.flush()
    return steps
