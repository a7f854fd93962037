"""The acceptance test: ``flask reminders send`` against a real SMTP server on loopback
(aiosmtpd): the 7-day reminder goes once, with the invoice PDF."""

from datetime import date

import pytest
import sqlalchemy as sa

from billing.reminders.schedule import use_usual_schedule
from models import InvoiceEvent, InvoiceStatus, ReminderSent, db
from tests.http.test_invoice_pdf import make_invoice
from tests.smtp import attachment, mail_config


@pytest.fixture
def app_config(smtp_server):
    # INV-0001 fell due on 30 Nov: 8 days late
    return mail_config(smtp_server, BILLING_TODAY="2026-12-08")


def test_the_7_day_reminder_goes_once_with_the_pdf(app, runner, smtp_server):
    use_usual_schedule()
    invoice = make_invoice(status=InvoiceStatus.SENT)
    db.session.commit()
    assert invoice.due_date == date(2026, 11, 30)
    first = runner.invoke(args=["reminders", "send"])
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        f"Sent: INV-0001 · {invoice.bill_to_name} · 7 days past due · "
        "ap@acme.example.com, boss@acme.example.com",
        "1 reminder sent.",
    ]
    second = runner.invoke(args=["reminders", "send"])
    assert second.exit_code == 0, second.output
    assert second.output.strip() == "No reminders are due."
    ((mail_from, rcpt_tos, message),) = smtp_server.received
    assert mail_from == "billing@bright.example.com"
    assert rcpt_tos == ["ap@acme.example.com", "boss@acme.example.com"]
    assert message["Subject"] == "Reminder: invoice INV-0001 is 8 days past due"
    body = message.get_body(("plain",)).get_content()
    assert "invoice INV-0001, due on Nov 30, 2026, has a balance of $1,259.22" in body
    assert "{" not in body and body.rstrip().endswith("Bright IT LLC")
    name, pdf = attachment(message)
    assert name == "INV-0001.pdf" and pdf.startswith(b"%PDF")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSent)) == 1
    (event,) = db.session.scalars(sa.select(InvoiceEvent).where(InvoiceEvent.kind == "reminder"))
    assert event.message == (
        "Reminder (7 days past due) sent to ap@acme.example.com, boss@acme.example.com."
    )


def test_a_refused_reminder_is_recorded_exits_1_and_goes_next_run(app, runner, smtp_server):
    use_usual_schedule()
    invoice = make_invoice(status=InvoiceStatus.SENT)
    db.session.commit()
    smtp_server.refuse.add("boss@acme.example.com")
    failed = runner.invoke(args=["reminders", "send"])
    assert failed.exit_code == 1
    assert (
        "Failed: INV-0001" in failed.output and "550 5.1.1 <boss@acme.example.com>" in failed.output
    )
    assert "0 reminders sent, 1 failed." in failed.output
    assert smtp_server.received == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSent)) == 0
    (event,) = db.session.scalars(
        sa.select(InvoiceEvent).where(InvoiceEvent.kind == "reminder_failed")
    )
    assert event.invoice_id == invoice.id and "Recipient address rejected" in event.message
    smtp_server.refuse.clear()
    again = runner.invoke(args=["reminders", "send"])
    assert again.exit_code == 0 and "1 reminder sent." in again.output
    assert len(smtp_server.received) == 1
