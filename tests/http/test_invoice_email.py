"""Sending invoices by email through a real SMTP server on loopback (aiosmtpd), and the outbox."""

import re
import socket
from email import message_from_bytes, policy
from html import unescape

import pytest
from babel.dates import format_date

from models import Invoice, InvoiceEvent, InvoiceStatus, db
from tests.http.test_invoice_pdf import make_invoice
from tests.pages import send_dialog
from tests.smtp import (
    BAD_SEND_INPUT,
    SENDER,
    SMTP_PASSWORD,
    SMTP_USER,
    attachment,
    free_port,
    mail_config,
    refusal_beside,
)

pytestmark = pytest.mark.usefixtures("instance")


@pytest.fixture
def app_config(smtp_server):
    return mail_config(smtp_server)


def events(invoice: Invoice) -> list[InvoiceEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(db.select(InvoiceEvent).where(InvoiceEvent.invoice_id == invoice.id))
    )


def dialog(admin_client, invoice: Invoice) -> dict[str, str]:
    """The send dialog's prefilled fields, as the browser would post them back."""
    return send_dialog(admin_client, f"/invoices/{invoice.id}/send")


def test_dialog_is_prefilled_from_the_invoice_and_the_settings(admin_client, app):
    invoice = make_invoice()
    fields = dialog(admin_client, invoice)
    assert fields["recipients"].split() == ["ap@acme.example.com", "boss@acme.example.com"]
    assert fields["subject"] == "Invoice INV-0001 from Bright IT LLC"
    assert "Hello Acme Dental INV-0001," in fields["body"]
    assert "invoice INV-0001 for $1,259.22, due on Nov 30, 2026." in fields["body"]
    fragment = admin_client.get(f"/invoices/{invoice.id}/send", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'id="send-form"' in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_sending_delivers_the_pdf_and_makes_the_invoice_sent(admin_client, app, smtp_server):
    invoice = make_invoice()
    download = admin_client.get(f"/invoices/{invoice.id}/pdf").data
    response = admin_client.post(f"/invoices/{invoice.id}/send", data=dialog(admin_client, invoice))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/invoices/{invoice.id}"
    ((mail_from, rcpt_tos, message),) = smtp_server.received
    assert mail_from == "billing@bright.example.com"
    assert rcpt_tos == ["ap@acme.example.com", "boss@acme.example.com"]
    assert message["To"] == "ap@acme.example.com, boss@acme.example.com"
    assert message["From"] == SENDER
    assert message["Subject"] == "Invoice INV-0001 from Bright IT LLC"
    body = message.get_body(("plain",)).get_content()
    assert "Hello Acme Dental INV-0001," in body and "{" not in body
    assert "$1,259.22, due on Nov 30, 2026" in body and body.rstrip().endswith("Bright IT LLC")
    # Rendering is deterministic (fixed PDF timestamp and /ID): the very bytes of the download.
    assert attachment(message) == ("INV-0001.pdf", download)
    db.session.refresh(invoice)
    assert invoice.status == InvoiceStatus.SENT
    (event,) = events(invoice)
    assert (event.kind, event.from_status, event.to_status) == ("status", "draft", "sent")
    assert event.message == "Sent to ap@acme.example.com, boss@acme.example.com."
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sent to ap@acme.example.com, boss@acme.example.com." in page


def test_once_exported_an_emailed_invoice_still_says_when_it_was_sent(
    admin_client, app, smtp_server
):
    invoice = make_invoice()
    admin_client.post(f"/invoices/{invoice.id}/send", data=dialog(admin_client, invoice))
    exported = admin_client.post(f"/invoices/{invoice.id}/status", data={"status": "exported"})
    assert exported.status_code == 302
    page = unescape(admin_client.get(f"/invoices/{invoice.id}").get_data(as_text=True))
    db.session.refresh(invoice)
    assert invoice.status == InvoiceStatus.EXPORTED and invoice.sent_at is not None
    day = format_date(invoice.sent_at.date(), "medium", locale="en_US")
    assert 'data-status="exported"' in page
    assert f'<dt>Sent</dt><dd data-fact="sent">{day}</dd>' in page


def test_edited_recipients_subject_and_body_are_used(admin_client, app, smtp_server):
    invoice = make_invoice()
    response = admin_client.post(
        f"/invoices/{invoice.id}/send",
        data={
            "recipients": "Other@Acme.Example.com",
            "subject": "Your invoice",
            "body": "Grüße, {x}",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/invoices/{invoice.id}"
    ((_, rcpt_tos, message),) = smtp_server.received
    assert rcpt_tos == ["other@acme.example.com"]
    assert message["Subject"] == "Your invoice"
    assert (
        message.get_body(("plain",)).get_content().strip() == "Grüße, {x}"
    )  # typed, not a template


def test_a_refused_recipient_leaves_the_invoice_draft_and_shows_the_error(
    admin_client, app, smtp_server
):
    smtp_server.refuse.add("nobody@acme.example.com")
    invoice = make_invoice()
    before = invoice.updated_at
    fields = {
        **dialog(admin_client, invoice),
        "recipients": "ap@acme.example.com\nnobody@acme.example.com",
    }
    response = admin_client.post(f"/invoices/{invoice.id}/send", data=fields)
    assert response.status_code == 502
    page = response.get_data(as_text=True)
    refusal = "550 5.1.1 &lt;nobody@acme.example.com&gt;: Recipient address rejected"
    assert f"nobody@acme.example.com: {refusal}" in page
    assert (
        'id="send-form"' in page and "ap@acme.example.com" in page
    )  # the form, as typed, to retry
    assert smtp_server.received == []  # all or nothing: ap@ did not get it either
    db.session.refresh(invoice)
    assert (invoice.status, invoice.updated_at) == (InvoiceStatus.DRAFT, before)
    (event,) = events(invoice)
    assert event.kind == "send_failed" and event.to_status is None
    assert "550 5.1.1 <nobody@acme.example.com>: Recipient address rejected" in event.message


@pytest.mark.parametrize("app_config", [{"MAIL_SERVER": "127.0.0.1"}], indirect=False)
def test_an_unreachable_server_leaves_the_invoice_unchanged(admin_client, app, app_config):
    app.config["MAIL_PORT"] = port = free_port()  # nothing listens there
    invoice = make_invoice()
    fields = dialog(admin_client, invoice)
    response = admin_client.post(
        f"/invoices/{invoice.id}/send", data=fields, headers={"HX-Request": "true"}
    )
    assert response.status_code == 502
    assert f"Could not reach the mail server 127.0.0.1:{port}" in response.get_data(as_text=True)
    db.session.refresh(invoice)
    assert invoice.status == InvoiceStatus.DRAFT
    assert [e.kind for e in events(invoice)] == ["send_failed"]


def test_a_silent_server_times_out(admin_client, app, monkeypatch):
    monkeypatch.setattr("billing.mail.SMTP_TIMEOUT", 0.5)
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        app.config["MAIL_PORT"] = silent.getsockname()[1]
        invoice = make_invoice()
        response = admin_client.post(
            f"/invoices/{invoice.id}/send", data=dialog(admin_client, invoice)
        )
    assert response.status_code == 502
    assert "did not answer within 0.5 seconds" in response.get_data(as_text=True)
    db.session.refresh(invoice)
    assert invoice.status == InvoiceStatus.DRAFT


@pytest.mark.parametrize(
    ("password", "sent"), [(SMTP_PASSWORD, True), ("wrong", False)], ids=["login", "refused"]
)
def test_smtp_login(admin_client, app, smtp_server, password, sent):
    app.config.update(MAIL_USERNAME=SMTP_USER, MAIL_PASSWORD=password)
    invoice = make_invoice()
    response = admin_client.post(f"/invoices/{invoice.id}/send", data=dialog(admin_client, invoice))
    assert response.status_code == (302 if sent else 502)
    assert len(smtp_server.received) == (1 if sent else 0)
    if not sent:
        assert "The mail server refused the login: 535" in response.get_data(as_text=True)


@pytest.mark.parametrize(("fields", "field", "message"), BAD_SEND_INPUT)
def test_bad_input_is_refused_beside_the_field(
    admin_client, app, smtp_server, fields, field, message
):
    invoice = make_invoice()
    data = {**dialog(admin_client, invoice), **fields}
    response = admin_client.post(f"/invoices/{invoice.id}/send", data=data)
    assert response.status_code == 422
    assert message in refusal_beside(response, field)
    assert smtp_server.received == [] and events(invoice) == []


@pytest.mark.parametrize("app_config", [{"MAIL_SERVER": ""}], indirect=False)
def test_without_a_mail_server_the_email_lands_in_the_outbox(
    admin_client, app, instance, app_config
):
    invoice = make_invoice()
    form = admin_client.get(f"/invoices/{invoice.id}/send").get_data(as_text=True)
    assert "No mail server is configured" in form
    response = admin_client.post(
        f"/invoices/{invoice.id}/send", data=dialog(admin_client, invoice), follow_redirects=True
    )
    assert response.status_code == 200
    (eml,) = (instance / "outbox").glob("INV-0001-*.eml")
    page = response.get_data(as_text=True)
    assert "No mail server is configured" in page and f"outbox/{eml.name}" in page
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "ap@acme.example.com, boss@acme.example.com"
    assert attachment(message) == (
        "INV-0001.pdf",
        admin_client.get(f"/invoices/{invoice.id}/pdf").data,
    )
    db.session.refresh(invoice)
    assert invoice.status == InvoiceStatus.SENT
    assert f"outbox/{eml.name}" in events(invoice)[0].message


@pytest.mark.parametrize(
    ("status", "after", "kind"),
    [
        (InvoiceStatus.EXPORTED, InvoiceStatus.SENT, "status"),
        (InvoiceStatus.SENT, InvoiceStatus.SENT, "sent"),
        (InvoiceStatus.PAID, InvoiceStatus.PAID, "sent"),
    ],
)
def test_sending_again_is_recorded(admin_client, app, smtp_server, status, after, kind):
    invoice = make_invoice(status=status)
    response = admin_client.post(f"/invoices/{invoice.id}/send", data=dialog(admin_client, invoice))
    assert response.status_code == 302 and len(smtp_server.received) == 1
    db.session.refresh(invoice)
    assert invoice.status == after
    assert [e.kind for e in events(invoice)] == [kind]


def test_technicians_may_not_send(tech_client, app, smtp_server):
    invoice = make_invoice()
    assert tech_client.get(f"/invoices/{invoice.id}/send").status_code == 403
    fields = {"recipients": "ap@acme.example.com", "subject": "s", "body": "b"}
    assert tech_client.post(f"/invoices/{invoice.id}/send", data=fields).status_code == 403
    assert tech_client.post("/invoices/bulk/send", data={"ids": [invoice.id]}).status_code == 403
    assert smtp_server.received == []
    db.session.refresh(invoice)
    assert invoice.status == InvoiceStatus.DRAFT


def test_bulk_send_reports_each_outcome(admin_client, app, smtp_server):
    smtp_server.refuse.add("gone@beta.example.net")
    good = make_invoice(number="INV-0001")
    refused = make_invoice(number="INV-0002", bill_to_emails="gone@beta.example.net")
    no_email = make_invoice(number="INV-0003", bill_to_emails="")
    ids = [no_email.id, good.id, refused.id]
    response = admin_client.post("/invoices/bulk/send", data={"ids": ids})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Sent 1 of 3 invoices" in page
    rows = {
        i.number: page[page.index(f'id="bulk-{i.id}"') :].split("</tr>")[0]
        for i in (good, refused, no_email)
    }
    assert (
        'data-ok="true"' in rows["INV-0001"]
        and "Sent to ap@acme.example.com, boss@acme.example.com." in rows["INV-0001"]
    )
    assert 'data-ok="false"' in rows["INV-0002"] and "550 5.1.1" in rows["INV-0002"]
    assert (
        'data-ok="false"' in rows["INV-0003"]
        and "Enter at least one email address." in rows["INV-0003"]
    )
    assert [rcpt for _, rcpt, _ in smtp_server.received] == [
        ["ap@acme.example.com", "boss@acme.example.com"]
    ]
    db.session.expire_all()
    statuses = {i.number: db.session.get(Invoice, i.id).status for i in (good, refused, no_email)}
    assert statuses == {"INV-0001": "sent", "INV-0002": "draft", "INV-0003": "draft"}
    assert [e.kind for e in events(refused)] == ["send_failed"] and events(no_email) == []
    fragment = admin_client.post(
        "/invoices/bulk/send", data={"ids": [good.id]}, headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="bulk-results"')


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True, "MAIL_SERVER": ""}])
def test_sending_needs_the_csrf_token(admin_client, app, instance, app_config):
    invoice = make_invoice()
    fields = dialog(admin_client, invoice)
    page = admin_client.get(f"/invoices/{invoice.id}/send").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert admin_client.post(f"/invoices/{invoice.id}/send", data=fields).status_code == 400
    assert not (instance / "outbox").exists()
    response = admin_client.post(
        f"/invoices/{invoice.id}/send", data={**fields, "csrf_token": token}
    )
    assert response.status_code == 302
    assert len(list((instance / "outbox").glob("*.eml"))) == 1
