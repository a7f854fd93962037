"""``flask reminders send [--dry-run]``, through Flask's CLI runner (the outbox, no server)."""

from datetime import date

import pytest
import sqlalchemy as sa

from billing.reminders.schedule import use_usual_schedule
from models import InvoiceStatus, ReminderSent, db
from tests.factories import make_customer, make_invoice, make_line


@pytest.fixture
def app_config():
    return {"BILLING_TODAY": "2026-12-31"}  # 30 days after 1 Dec


@pytest.fixture(autouse=True)
def outbox(app, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    return tmp_path / "instance" / "outbox"


def _overdue(name: str, number: str, **fields):
    customer = make_customer(name=name, billing_emails=f"ap@{name.lower()}.example.com")
    values = dict(number=number, status=InvoiceStatus.SENT, due_date=date(2026, 12, 1))
    return make_invoice(customer, [make_line("Support", 5000)], **{**values, **fields})


def test_nothing_due_says_so(app, runner):
    result = runner.invoke(args=["reminders", "send"])
    assert (result.exit_code, result.output.strip()) == (0, "No reminders are due.")
    use_usual_schedule()
    db.session.commit()
    _overdue("Fresh", "INV-0001", due_date=date(2026, 12, 30))
    result = runner.invoke(args=["reminders", "send", "--dry-run"])
    assert (result.exit_code, result.output.strip()) == (0, "No reminders are due.")


def test_dry_run_prints_what_is_due_and_sends_nothing(app, runner, outbox):
    use_usual_schedule()
    db.session.commit()
    _overdue("Acme", "INV-0001")
    _overdue("Beta", "INV-0002", due_date=date(2026, 12, 20))
    make_invoice(make_customer(billing_emails=""), [make_line("X", 100)], number="INV-0003",
                 status=InvoiceStatus.SENT, due_date=date(2026, 12, 1))  # fmt: skip
    result = runner.invoke(args=["reminders", "send", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Would send: INV-0001 · Acme · 30 days past due · ap@acme.example.com",
        "Would send: INV-0002 · Beta · 7 days past due · ap@beta.example.com",
        "No email address, so no reminder: INV-0003 (add a billing email to the customer).",
        "2 reminders due; nothing sent (dry run).",
    ]
    assert not outbox.exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSent)) == 0
    sent = runner.invoke(args=["reminders", "send"])
    assert sent.exit_code == 0, sent.output
    assert "Sent: INV-0001 · Acme · 30 days past due" in sent.output
    assert sent.output.splitlines()[-1] == "2 reminders sent."
    assert len(list(outbox.glob("*.eml"))) == 2


def test_an_opted_out_customer_is_left_out(app, runner):
    use_usual_schedule()
    db.session.commit()
    invoice = _overdue("Quiet", "INV-0001")
    invoice.customer.reminders_opt_out = True
    db.session.commit()
    result = runner.invoke(args=["reminders", "send"])
    assert (result.exit_code, result.output.strip()) == (0, "No reminders are due.")
