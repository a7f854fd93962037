"""Which overdue invoices are due a reminder, sending one, and recording the outcome.

A reminder is due when the invoice is owed (Sent or Exported, balance above zero), at least as
many days late as an active step, its customer did not opt out, it has an email address, and
no step as high as the one reached was sent for it. Only the highest step reached is sent: an
invoice 35 days late when reminders are turned on gets the 30-day one, not three emails.

Sending reserves the ``ReminderSent`` row (flushed) before the email leaves and commits after,
so the unique key (invoice, step) decides between two runs at once: the loser skips. A failure
rolls the row back (the step can go next time) and commits a ``reminder_failed`` event with the
server's words.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from billing.audit import record_event
from billing.errors import Conflict, ValidationFailed
from billing.invoices.mailer import placeholder_values
from billing.invoices.pdf import pdf_filename, render_invoice_pdf
from billing.mail import SendFailed, SendResult, check_recipients, compose, deliver
from billing.money import format_money
from billing.reminders.schedule import USUAL_SCHEDULE, check_reminder_template, list_steps
from billing.settings import company_locale, get_settings
from billing.users import split_addresses
from billing.wording import counted
from models import (
    OVERDUE_STATUSES,
    Customer,
    Invoice,
    ReminderSent,
    ReminderStep,
    User,
    db,
)

NO_SCHEDULE = "Set up the reminder schedule in Admin > Reminders first."
# When a stored text is not a valid template (edited behind the form's back): the 7-day one.
FALLBACK_SUBJECT, FALLBACK_BODY = USUAL_SCHEDULE[0][1], USUAL_SCHEDULE[0][2]


class AlreadySent(Conflict):
    """Another run (or person) sent this step for this invoice first; nothing was sent."""


@dataclass(frozen=True)
class DueReminder:
    """A reminder to send: the invoice and step by id, with what a report prints of them."""

    invoice_id: int
    number: str
    customer: str
    step_id: int
    step: str  # "7 days past due"
    recipients: tuple[str, ...]


@dataclass
class RunReport:
    """What a run of the schedule did: sent, failed (with the reason), skipped (sent by another
    run meanwhile), and the overdue invoices that have no email address."""

    sent: list[DueReminder] = field(default_factory=list)
    failed: list[tuple[DueReminder, str]] = field(default_factory=list)
    skipped: list[DueReminder] = field(default_factory=list)
    no_email: list[str] = field(default_factory=list)  # invoice numbers


def step_label(step: ReminderStep) -> str:
    """``"7 days past due"``."""
    return f"{counted(step.days_overdue, 'day')} past due"


def recipients_of(invoice: Invoice) -> list[str]:
    """Where its reminders go: the invoice's bill-to emails, else the customer's billing
    emails (as stored, not yet checked)."""
    return split_addresses(invoice.bill_to_emails) or invoice.customer.email_list


def reminder_values(invoice: Invoice, today: date) -> dict[str, str]:
    """The invoice email's placeholders for ``invoice``, and ``{balance}``, ``{days_overdue}``."""
    settings = get_settings()
    locale = company_locale(settings)
    values = placeholder_values(invoice, settings)
    values["balance"] = format_money(invoice.balance_minor, invoice.currency, locale)
    values["days_overdue"] = str(invoice.days_overdue(today))
    return values


def _fill(template: str, fallback: str, values: dict[str, str], name: str) -> str:
    try:
        check_reminder_template(template, field=name)
    except ValidationFailed:
        template = fallback  # checked when saved; a row changed behind the form's back
    return template.format_map(values)


def _sent_floor():
    """Per invoice, the most days of any step already sent for it (a subquery)."""
    return (
        select(ReminderSent.invoice_id, func.max(ReminderStep.days_overdue).label("floor"))
        .join(ReminderStep, ReminderStep.id == ReminderSent.step_id)
        .group_by(ReminderSent.invoice_id)
        .subquery()
    )


def _highest_reached(steps: list[ReminderStep], days: int) -> ReminderStep | None:
    reached = [step for step in steps if step.days_overdue <= days]
    return reached[-1] if reached else None


def plan_reminders(today: date) -> RunReport:
    """The reminders the schedule would send on ``today`` (nothing sent), oldest due first."""
    report = RunReport()
    steps = list_steps(active_only=True)
    if not steps:
        return report
    floor = _sent_floor()
    query = (
        select(Invoice, floor.c.floor)
        .join(Customer, Customer.id == Invoice.customer_id)
        .outerjoin(floor, floor.c.invoice_id == Invoice.id)
        .where(
            Invoice.status.in_(OVERDUE_STATUSES),
            Invoice.balance_minor > 0,
            Invoice.due_date <= today - timedelta(days=steps[0].days_overdue),
            Customer.reminders_opt_out.is_(False),
        )
        .options(contains_eager(Invoice.customer))
        .order_by(Invoice.due_date, Invoice.id)
    )
    for invoice, sent_floor in db.session.execute(query):
        step = _highest_reached(steps, invoice.days_overdue(today))
        if step is None or (sent_floor is not None and sent_floor >= step.days_overdue):
            continue
        recipients = recipients_of(invoice)
        if not recipients:
            report.no_email.append(invoice.number)
            continue
        report.sent.append(_due(invoice, step, recipients))
    return report


def _due(invoice: Invoice, step: ReminderStep, recipients: list[str]) -> DueReminder:
    return DueReminder(
        invoice.id, invoice.number, invoice.bill_to_name, step.id, step_label(step),
        tuple(recipients),
    )  # fmt: skip


def send_due(today: date) -> RunReport:
    """Send every reminder due on ``today`` (see the module), each committed on its own; a
    failure is recorded and the others go on."""
    plan = plan_reminders(today)
    report = RunReport(no_email=plan.no_email)
    for due in plan.sent:
        invoice = db.session.get(Invoice, due.invoice_id)
        step = db.session.get(ReminderStep, due.step_id)
        try:
            send_reminder(invoice, step, None, today)
        except AlreadySent:
            report.skipped.append(due)
        except (SendFailed, ValidationFailed) as error:
            report.failed.append((due, str(error)))
        else:
            report.sent.append(due)
    return report


def send_reminder(
    invoice: Invoice, step: ReminderStep, user: User | None, today: date
) -> SendResult:
    """Email ``invoice``'s reminder at ``step`` with its PDF, and record it (committed).

    :raise ValidationFailed: its email addresses are malformed (recorded as a failure).
    :raise AlreadySent: this step was sent for it already (nothing sent, nothing recorded).
    :raise SendFailed: the server refused it; the step stays unsent and a ``reminder_failed``
        event holds the server's words.
    """
    invoice_id, step_id, label = invoice.id, step.id, step_label(step)
    data = {"step_id": step_id}
    try:
        to = check_recipients(recipients_of(invoice))
    except ValidationFailed as error:
        record_event(invoice, user, "reminder_failed", f"Reminder ({label}): {error}", data=data)
        db.session.commit()
        raise
    values = reminder_values(invoice, today)
    subject = _fill(step.subject, FALLBACK_SUBJECT, values, "subject")
    body = _fill(step.body, FALLBACK_BODY, values, "body")
    filename = pdf_filename(invoice)
    message = compose(to, subject, body, [(render_invoice_pdf(invoice), filename)])
    stem = f"{filename.removesuffix('.pdf')}-reminder-{step.days_overdue}"
    number = invoice.number
    user_id = user.id if user is not None else None
    db.session.add(
        ReminderSent(
            invoice_id=invoice_id, step_id=step_id, sent_by_id=user_id, recipients=", ".join(to)
        )
    )
    try:
        db.session.flush()  # the reservation: a second run waits here, then finds it taken
    except IntegrityError:
        db.session.rollback()
        raise AlreadySent(
            f"The reminder ({label}) for invoice {number} was sent already."
        ) from None
    try:
        result = deliver(message, to, stem)
    except SendFailed as error:
        db.session.rollback()
        invoice = db.session.get(Invoice, invoice_id)
        said = f"Reminder ({label}) to {', '.join(to)} failed: {error}"
        record_event(invoice, user, "reminder_failed", said, data=data)
        db.session.commit()
        raise
    said = f"Reminder ({label}) sent to {', '.join(to)}."
    if result.outbox_file is not None:
        said = f"Reminder ({label}): {result.message}"
    record_event(invoice, user, "reminder", said, data=data)
    db.session.commit()
    return result


def step_for_now(invoice: Invoice, today: date) -> ReminderStep:
    """The step "Send reminder now" sends: the highest reached by its days overdue above any
    step sent already; if none is reached, the next higher unsent one.

    :raise Conflict: no active step; the customer opted out; not overdue or nothing owed; no
        email address; every step was sent already.
    """
    steps = list_steps(active_only=True)
    if not steps:
        raise Conflict(NO_SCHEDULE)
    number = invoice.number
    if invoice.customer.reminders_opt_out:
        raise Conflict(
            f"{invoice.customer.name} opted out of reminders (on the customer's page), so "
            f"none is sent for invoice {number}."
        )
    days = invoice.days_overdue(today)
    if days <= 0 or invoice.owed_minor <= 0:
        raise Conflict(
            f"Invoice {number} is not overdue with something owed, so it needs no reminder."
        )
    if not recipients_of(invoice):
        raise Conflict(
            f"Invoice {number} has no email address to send to: add a billing email to "
            f"{invoice.customer.name}."
        )
    sent_days = (
        select(func.max(ReminderStep.days_overdue))
        .join(ReminderSent, ReminderSent.step_id == ReminderStep.id)
        .where(ReminderSent.invoice_id == invoice.id)
    )
    floor = db.session.scalar(sent_days) or 0
    left = [step for step in steps if step.days_overdue > floor]
    if not left:
        raise Conflict(f"Every reminder step was sent for invoice {number} already.")
    return _highest_reached(left, days) or left[0]


def send_now(invoice: Invoice, user: User, today: date) -> tuple[ReminderStep, SendResult]:
    """Send the reminder :func:`step_for_now` picks (see :func:`send_reminder`)."""
    step = step_for_now(invoice, today)
    return step, send_reminder(invoice, step, user, today)
