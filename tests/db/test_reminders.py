"""Overdue reminders with the database: the schedule's rules, which step is due (only the
highest reached, never lower than one sent), opt-out, no email, a failure recorded and tried
again, and a step never sent twice (both backends)."""

import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from billing.errors import Conflict, ValidationFailed
from billing.reminders.schedule import delete_step, save_step, use_usual_schedule
from billing.reminders.send import (
    AlreadySent,
    plan_reminders,
    send_due,
    send_reminder,
    step_for_now,
)
from billing.settings import get_settings
from models import InvoiceEvent, InvoiceStatus, ReminderSent, ReminderStep, db
from tests.factories import make_customer, make_invoice, make_line, make_payment, make_user

DUE = date(2026, 11, 1)


@pytest.fixture(autouse=True)
def outbox(app, tmp_path) -> Path:
    """Without MAIL_SERVER, reminders are written to the instance's outbox (in tmp)."""
    app.instance_path = str(tmp_path / "instance")
    return tmp_path / "instance" / "outbox"


@pytest.fixture
def schedule(app) -> dict[int, ReminderStep]:
    steps = use_usual_schedule()
    db.session.commit()
    return {step.days_overdue: step for step in steps}


def _overdue(customer=None, amount=10000, **fields):
    values = dict(status=InvoiceStatus.SENT, issue_date=date(2026, 10, 1), due_date=DUE)
    return make_invoice(customer, [make_line("Support", amount)], **{**values, **fields})


def _late(days: int) -> date:
    return DUE + timedelta(days=days)


def _sent_days(invoice) -> list[int]:
    rows = db.session.scalars(
        sa.select(ReminderStep.days_overdue)
        .join(ReminderSent, ReminderSent.step_id == ReminderStep.id)
        .where(ReminderSent.invoice_id == invoice.id)
        .order_by(ReminderStep.days_overdue)
    )
    return list(rows)


def _events(invoice, kind: str) -> list[InvoiceEvent]:
    query = sa.select(InvoiceEvent).where(
        InvoiceEvent.invoice_id == invoice.id, InvoiceEvent.kind == kind
    )
    return list(db.session.scalars(query.order_by(InvoiceEvent.id)))


def test_the_usual_schedule_is_7_14_and_30_days_and_only_starts_an_empty_one(app):
    steps = use_usual_schedule()
    db.session.commit()
    assert [s.days_overdue for s in steps] == [7, 14, 30]
    assert all(s.active and "{number}" in s.subject and "{balance}" in s.body for s in steps)
    with pytest.raises(Conflict, match="exists already"):
        use_usual_schedule()


@pytest.mark.parametrize(
    ("days", "subject", "body", "field", "message"),
    [
        (0, "S", "B", "days_overdue", "from 1 to 3650"),
        (3651, "S", "B", "days_overdue", "from 1 to 3650"),
        (7, "S", "B", "days_overdue", "Another step is 7 days past due already"),
        (8, "Late {numbr}", "B", "subject", "Unknown placeholder {numbr}"),
        (8, "S", "Owed: {balance} {total.__class__}", "body", "{total.__class__}"),
        (8, "S", "Dear {customer", "body", 'A "{" or "}" is not matched'),
        (8, "", "B", "subject", "Enter a subject."),
        (8, "S", "  ", "body", "Enter a message."),
    ],
)
def test_a_step_is_checked_when_saved(app, schedule, days, subject, body, field, message):
    with pytest.raises(
        ValidationFailed, match=message.replace("{", r"\{").replace("(", r"\(")
    ) as caught:
        save_step(None, days, subject, body, True)
    assert caught.value.field == field


def test_a_step_takes_the_reminder_placeholders_and_may_keep_its_own_days(app, schedule):
    step = save_step(
        schedule[7], 7, "{number}: {days_overdue} days", "{balance} of {total} due {due_date}", True
    )
    db.session.commit()
    assert (step.days_overdue, step.subject) == (7, "{number}: {days_overdue} days")


def test_only_the_highest_step_reached_is_sent(app, schedule, outbox):
    invoice = _overdue(bill_to_emails="ap@late.example.com")
    plan = plan_reminders(_late(35))
    assert [(d.number, d.step, d.recipients) for d in plan.sent] == [
        (invoice.number, "30 days past due", ("ap@late.example.com",))
    ]
    report = send_due(_late(35))
    assert [d.step for d in report.sent] == ["30 days past due"] and not report.failed
    assert _sent_days(invoice) == [30]
    (eml,) = outbox.glob("*.eml")
    text = eml.read_text()
    assert f"Final reminder: invoice {invoice.number} is 35 days past due" in text
    (event,) = _events(invoice, "reminder")
    assert event.message.startswith(
        "Reminder (30 days past due): No mail server is configured (MAIL_SERVER), so the email "
        "to ap@late.example.com was written to outbox/"
    )
    assert event.data == {"step_id": schedule[30].id} and event.user_id is None
    # Never the same step twice, and never a lower one later.
    assert plan_reminders(_late(36)).sent == []
    assert plan_reminders(_late(90)).sent == []


def test_steps_follow_one_another_as_the_invoice_gets_later(app, schedule):
    invoice = _overdue()
    assert plan_reminders(_late(6)).sent == []
    assert [d.step for d in send_due(_late(7)).sent] == ["7 days past due"]
    assert send_due(_late(13)).sent == []
    assert [d.step for d in send_due(_late(20)).sent] == ["14 days past due"]
    assert [d.step for d in send_due(_late(30)).sent] == ["30 days past due"]
    assert _sent_days(invoice) == [7, 14, 30]
    with pytest.raises(Conflict, match="Every reminder step was sent"):
        step_for_now(invoice, _late(31))


def test_inactive_steps_are_skipped(app, schedule):
    save_step(schedule[30], 30, schedule[30].subject, schedule[30].body, False)
    db.session.commit()
    _overdue()
    assert [d.step for d in plan_reminders(_late(40)).sent] == ["14 days past due"]


def test_what_is_not_owed_or_opted_out_gets_no_reminder(app, schedule):
    _overdue(status=InvoiceStatus.DRAFT)
    _overdue(status=InvoiceStatus.PAID)
    _overdue(due_date=_late(1))  # due later: only 6 days late on day 7
    opted_out = make_customer(reminders_opt_out=True)
    _overdue(opted_out)
    paid = _overdue()
    make_payment(paid.customer, 10000, {paid.id: 10000})
    partly = _overdue(status=InvoiceStatus.EXPORTED)
    make_payment(partly.customer, 2500, {partly.id: 2500})
    assert [d.number for d in plan_reminders(_late(7)).sent] == [partly.number]


def test_the_balance_and_days_are_filled_in(app, schedule, outbox):
    invoice = _overdue(amount=12000)
    make_payment(invoice.customer, 2000, {invoice.id: 2000})
    send_due(_late(8))
    text = next(outbox.glob("*.eml")).read_text()
    assert "balance of $100.00 still open" in text
    assert f"Reminder: invoice {invoice.number} is 8 days past due" in text


def test_no_email_means_no_reminder_and_the_report_says_so(app, schedule):
    customer = make_customer(billing_emails="")
    invoice = _overdue(customer, bill_to_emails="")
    report = send_due(_late(8))
    assert report.sent == [] and report.no_email == [invoice.number]
    with pytest.raises(Conflict, match="no email address"):
        step_for_now(invoice, _late(8))


def test_the_customers_emails_are_used_when_the_invoice_has_none(app, schedule):
    customer = make_customer(billing_emails="one@c.example.com,two@c.example.com")
    _overdue(customer, bill_to_emails="")
    (due,) = plan_reminders(_late(8)).sent
    assert due.recipients == ("one@c.example.com", "two@c.example.com")


def test_a_failure_is_recorded_and_the_step_goes_next_time(app, schedule, outbox):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)  # nothing listens there
    invoice = _overdue()
    other = _overdue()
    report = send_due(_late(8))
    assert [d.number for d, _ in report.failed] == [invoice.number, other.number]
    assert f"Could not reach the mail server 127.0.0.1:{port}" in report.failed[0][1]
    assert _sent_days(invoice) == [] and _sent_days(other) == []
    (failed,) = _events(invoice, "reminder_failed")
    assert "Reminder (7 days past due) to ap@example.com failed: Could not reach" in failed.message
    app.config["MAIL_SERVER"] = ""
    report = send_due(_late(9))
    assert [d.number for d in report.sent] == [invoice.number, other.number]
    assert _sent_days(invoice) == [7]


def test_a_step_reserved_by_another_run_is_skipped(app, schedule, outbox):
    invoice = _overdue()
    (due,) = plan_reminders(_late(8)).sent
    # The other run got there first: its row is committed before this one flushes.
    with db.engine.begin() as conn:
        conn.execute(sa.insert(ReminderSent).values(invoice_id=invoice.id, step_id=due.step_id))
    with pytest.raises(AlreadySent, match="was sent already"):
        send_reminder(invoice, db.session.get(ReminderStep, due.step_id), None, _late(8))
    assert list(outbox.glob("*.eml")) == [] and _events(invoice, "reminder") == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSent)) == 1


def test_send_now_picks_the_step_reached_then_the_next_one(app, schedule):
    invoice = _overdue()
    user = make_user()
    with pytest.raises(Conflict, match="not overdue"):
        step_for_now(invoice, DUE)
    assert step_for_now(invoice, _late(3)).days_overdue == 7  # none reached: the first
    assert step_for_now(invoice, _late(20)).days_overdue == 14
    send_reminder(invoice, schedule[14], user, _late(20))
    assert step_for_now(invoice, _late(20)).days_overdue == 30  # 14 sent: the next higher
    (row,) = db.session.scalars(sa.select(ReminderSent)).all()
    assert row.sent_by_id == user.id


def test_send_now_without_a_schedule_or_for_an_opted_out_customer(app):
    invoice = _overdue(make_customer(reminders_opt_out=True))
    with pytest.raises(Conflict, match="Set up the reminder schedule in Admin > Reminders first"):
        step_for_now(invoice, _late(8))
    use_usual_schedule()
    db.session.commit()
    with pytest.raises(Conflict, match="opted out of reminders"):
        step_for_now(invoice, _late(8))


def test_a_step_that_sent_reminders_cannot_be_deleted(app, schedule):
    _overdue()
    send_due(_late(8))
    with pytest.raises(Conflict, match="has sent 1 reminder"):
        delete_step(schedule[7])
    delete_step(schedule[14])
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderStep)) == 2


def test_two_runs_at_once_send_a_step_once(app, schedule, outbox):
    invoice = _overdue()
    get_settings()  # the settings row exists (as in any database in use)
    db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        with app.app_context():
            try:
                (due,) = plan_reminders(_late(8)).sent  # both find it due...
                barrier.wait()  # ...then both send at once
                step = db.session.get(ReminderStep, due.step_id)
                send_reminder(db.session.get(type(invoice), due.invoice_id), step, None, _late(8))
                outcomes.append("sent")
            except AlreadySent:
                outcomes.append("skipped")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["sent", "skipped"]
    assert len(list(outbox.glob("*.eml"))) == 1
    assert _sent_days(invoice) == [7] and len(_events(invoice, "reminder")) == 1
