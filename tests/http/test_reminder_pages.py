"""Admin > Reminders (the schedule, its validation and conflicts), the invoice page's Reminders
card and "Send reminder now" (its refusals), who may use them, and the customer's opt-out."""

import html
from datetime import date

import pytest
import sqlalchemy as sa

from billing.reminders.schedule import use_usual_schedule
from models import Customer, InvoiceEvent, InvoiceStatus, ReminderSent, ReminderStep, db
from tests.factories import make_customer, make_invoice, make_line

TODAY = "2026-12-09"  # 8 days after the invoices fall due


@pytest.fixture
def app_config():
    return {"BILLING_TODAY": TODAY}


@pytest.fixture(autouse=True)
def instance(app, tmp_path):
    """The outbox (no MAIL_SERVER) in tmp, never in the repository."""
    app.instance_path = str(tmp_path / "instance")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _schedule() -> None:
    use_usual_schedule()
    db.session.commit()


def _overdue(customer=None, **fields):
    values = dict(
        status=InvoiceStatus.SENT, issue_date=date(2026, 10, 1), due_date=date(2026, 12, 1)
    )
    return make_invoice(customer, [make_line("Support", 10000)], **{**values, **fields})


def _step_form(**overrides) -> dict:
    data = {
        "days_overdue": "10",
        "subject": "Late: {number}",
        "body": "{balance} due",
        "active": "y",
    }
    data.update(overrides)
    return data


def test_an_empty_schedule_offers_the_usual_one(admin_client):
    page = text(admin_client.get("/admin/reminders"))
    assert "No reminder steps yet" in page and "Use the usual schedule" in page
    assert 'href="/admin/reminders" aria-current="page">Reminders</a>' in page
    response = admin_client.post("/admin/reminders/usual")
    assert response.status_code == 302
    page = text(admin_client.get("/admin/reminders"))
    assert "The usual schedule is set: 7, 14 and 30 days past due." in page
    for days in (7, 14, 30):
        assert f'data-days="{days}"' in page
    assert "Use the usual schedule" not in page
    again = admin_client.post("/admin/reminders/usual")
    assert again.status_code == 409
    assert "A reminder schedule exists already" in text(again)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderStep)) == 3


def test_a_step_is_added_and_edited(admin_client):
    response = admin_client.post("/admin/reminders/new", data=_step_form())
    assert response.status_code == 302
    step = db.session.scalars(sa.select(ReminderStep)).one()
    assert (step.days_overdue, step.subject, step.body) == (10, "Late: {number}", "{balance} due")
    page = text(admin_client.get(f"/admin/reminders/{step.id}"))
    assert 'value="Late: {number}"' in page and "{days_overdue}" in page
    edited = _step_form(days_overdue="12", subject="Overdue {number}", active="")
    assert admin_client.post(f"/admin/reminders/{step.id}", data=edited).status_code == 302
    db.session.refresh(step)
    assert (step.days_overdue, step.subject, step.active) == (12, "Overdue {number}", False)
    assert "Inactive" in text(admin_client.get("/admin/reminders"))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"body": "Pay {amount} now"}, "body", "Unknown placeholder {amount}"),
        ({"subject": "Late {number"}, "subject", 'A "{" or "}" is not matched'),
        ({"days_overdue": "0"}, "days_overdue", "Enter a number of days from 1 to 3650."),
        ({"days_overdue": "9" * 40}, "days_overdue", "Enter a whole number such as 30"),
        ({"days_overdue": "seven"}, "days_overdue", "Enter a whole number such as 30"),
        ({"days_overdue": "7"}, "days_overdue", "Another step is 7 days past due already"),
        ({"subject": ""}, "subject", "Enter a subject."),
    ],
)
def test_a_refused_step_is_422_beside_its_field(admin_client, overrides, field, message):
    _schedule()
    response = admin_client.post("/admin/reminders/new", data=_step_form(**overrides))
    assert response.status_code == 422
    page = text(response)
    error = page.split(f'id="{field}-error">', 1)[1].split("</small>", 1)[0]
    assert message in error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderStep)) == 3


def test_an_unknown_step_is_404(admin_client):
    assert admin_client.get("/admin/reminders/999").status_code == 404
    assert admin_client.post("/admin/reminders/999/delete").status_code == 404


def test_a_step_that_sent_nothing_is_deleted_one_that_sent_is_409(admin_client):
    _schedule()
    steps = {s.days_overdue: s for s in db.session.scalars(sa.select(ReminderStep))}
    invoice = _overdue()
    assert admin_client.post(f"/invoices/{invoice.id}/reminders").status_code == 302
    assert "can be deleted" in text(admin_client.get(f"/admin/reminders/{steps[14].id}"))
    assert admin_client.post(f"/admin/reminders/{steps[14].id}/delete").status_code == 302
    refused = admin_client.post(f"/admin/reminders/{steps[7].id}/delete")
    assert refused.status_code == 409
    assert "has sent 1 reminder: they record what was sent" in text(refused)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderStep)) == 2


def test_technicians_may_not_open_the_schedule(tech_client):
    assert tech_client.get("/admin/reminders").status_code == 403
    assert tech_client.post("/admin/reminders/usual").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderStep)) == 0


def test_send_reminder_now_from_the_invoice_page(admin_client):
    _schedule()
    invoice = _overdue(bill_to_emails="ap@late.example.com")
    page = text(admin_client.get(f"/invoices/{invoice.id}"))
    assert 'id="invoice-reminders"' in page and "Send reminder now" in page
    assert "emails the 7 days past due reminder" in page and "No reminder sent yet." in page
    response = admin_client.post(f"/invoices/{invoice.id}/reminders")
    assert response.status_code == 302 and response.headers["Location"] == f"/invoices/{invoice.id}"
    page = text(admin_client.get(f"/invoices/{invoice.id}"))
    assert "Reminder (7 days past due): No mail server is configured" in page  # the flash
    card = page.split('id="invoice-reminders"', 1)[1].split("</section>", 1)[0]
    assert "7 days past due" in card and "ap@late.example.com" in card and "Ada Admin" in card
    assert "emails the 14 days past due reminder" in card  # sent now: the next step
    event = db.session.scalars(sa.select(InvoiceEvent).where(InvoiceEvent.kind == "reminder")).one()
    assert event.message.startswith(
        "Reminder (7 days past due): No mail server is configured (MAIL_SERVER), so the email "
        "to ap@late.example.com was written to outbox/"
    )
    assert 'data-event="reminder"' in page


def test_only_admins_send_one_a_billing_technician_reads_the_card(client, technician, admin):
    from tests.conftest import log_in

    _schedule()
    invoice = _overdue()
    log_in(client, technician)
    assert client.post(f"/invoices/{invoice.id}/reminders").status_code == 403
    technician.can_see_billing = True
    db.session.commit()
    assert client.post(f"/invoices/{invoice.id}/reminders").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSent)) == 0
    db.session.add(
        ReminderSent(invoice_id=invoice.id, step_id=_step_id(7), recipients="ap@x.example")
    )
    db.session.commit()
    page = text(client.get(f"/invoices/{invoice.id}"))
    card = page.split('id="invoice-reminders"', 1)[1].split("</section>", 1)[0]
    assert "ap@x.example" in card and "The schedule" in card
    assert "Send reminder now" not in card


def _step_id(days: int) -> int:
    return db.session.scalar(sa.select(ReminderStep.id).where(ReminderStep.days_overdue == days))


def test_send_now_without_a_schedule_is_409(admin_client):
    invoice = _overdue()
    page = text(admin_client.get(f"/invoices/{invoice.id}"))
    assert "Set up the reminder schedule in Admin > Reminders first." in page
    assert "Send reminder now</button>" not in page
    response = admin_client.post(f"/invoices/{invoice.id}/reminders")
    assert response.status_code == 409
    assert "Set up the reminder schedule in Admin > Reminders first." in text(response)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("opted_out", "opted out of reminders"),
        ("not_overdue", "is not overdue with something owed"),
        ("paid", "is not overdue with something owed"),
        ("all_sent", "Every reminder step was sent"),
    ],
)
def test_send_now_refusals_are_409(admin_client, case, message):
    _schedule()
    customer = make_customer(reminders_opt_out=case == "opted_out")
    fields = {
        "not_overdue": {"due_date": date(2026, 12, 20)},
        "paid": {"status": InvoiceStatus.PAID},
    }.get(case, {})
    invoice = _overdue(customer, **fields)
    if case == "all_sent":
        for step in db.session.scalars(sa.select(ReminderStep)):
            db.session.add(ReminderSent(invoice_id=invoice.id, step_id=step.id))
        db.session.commit()
    response = admin_client.post(f"/invoices/{invoice.id}/reminders")
    assert response.status_code == 409
    assert message in text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSent)) == (
        3 if case == "all_sent" else 0
    )


def test_an_htmx_refusal_goes_to_the_flash_area(admin_client):
    invoice = _overdue()
    response = admin_client.post(
        f"/invoices/{invoice.id}/reminders", headers={"HX-Request": "true"}
    )
    assert response.status_code == 409 and response.headers["HX-Retarget"] == "#flash"
    assert "Set up the reminder schedule" in text(response) and "<html" not in text(response)


def test_no_card_on_an_invoice_that_is_not_late(admin_client):
    _schedule()
    invoice = _overdue(due_date=date(2026, 12, 20))
    assert 'id="invoice-reminders"' not in text(admin_client.get(f"/invoices/{invoice.id}"))
    assert admin_client.post("/invoices/99999/reminders").status_code == 404


def test_a_customer_is_opted_out_on_its_form(admin_client):
    customer = make_customer(name="Acme Corp")
    data = {"name": "Acme Corp", "billing_emails": "ap@acme.example", "currency": "USD",
            "active": "y", "invoice_grouping": "contract", "reminders_opt_out": "y"}  # fmt: skip
    form = text(admin_client.get(f"/customers/{customer.id}/edit"))
    assert "No reminders (never email this customer overdue reminders)" in form
    response = admin_client.post(f"/customers/{customer.id}/edit", data=data)
    assert response.status_code == 302
    assert db.session.get(Customer, customer.id).reminders_opt_out is True
    del data["reminders_opt_out"]
    admin_client.post(f"/customers/{customer.id}/edit", data=data)
    assert db.session.get(Customer, customer.id).reminders_opt_out is False


def test_a_refused_send_now_is_502_recorded_and_the_step_stays_unsent(admin_client, app):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)  # nothing listens there
    _schedule()
    invoice = _overdue()
    response = admin_client.post(f"/invoices/{invoice.id}/reminders")
    assert response.status_code == 502
    assert f"Could not reach the mail server 127.0.0.1:{port}" in text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSent)) == 0
    page = text(admin_client.get(f"/invoices/{invoice.id}"))
    assert 'data-event="reminder_failed"' in page
    assert "emails the 7 days past due reminder" in page  # still the one to send


def test_the_step_form_lists_each_placeholder_once(admin_client):
    page = text(admin_client.get("/admin/reminders/new"))
    listed = page.split("Placeholders:", 1)[1].split("Write", 1)[0]
    assert listed.count("{balance}") == 1 and "{days_overdue}" in listed and "{number}" in listed
