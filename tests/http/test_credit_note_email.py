"""Sending a credit note by email through a real SMTP server on loopback (aiosmtpd): the dialog,
the PDF attached (the download's very bytes), the invoice's trail, a refusal, the outbox."""

from decimal import Decimal
from html import unescape

import pytest

from models import CreditNote, Invoice, InvoiceEvent, InvoiceStatus, db
from tests.factories import make_credit_note, make_customer, make_invoice, make_line
from tests.pages import send_dialog
from tests.smtp import BAD_SEND_INPUT, SENDER, attachment, free_port, mail_config, refusal_beside

pytestmark = pytest.mark.usefixtures("instance")


@pytest.fixture
def app_config(smtp_server):
    return mail_config(smtp_server)


@pytest.fixture
def note(app) -> CreditNote:
    """CN-0001: $120.00 of INV-0007 (Sent, $300.00) to Acme Dental, "Two hours not worked"."""
    emails = "ap@acme.example.com, boss@acme.example.com"
    customer = make_customer(name="Acme Dental", billing_emails=emails)
    invoice = make_invoice(customer, [make_line("Support hours", 6000, 5)], number="INV-0007",
                           status=InvoiceStatus.SENT,
                           bill_to_emails=emails,
                           issuer={"company_name": "Bright IT LLC"})  # fmt: skip
    (line,) = invoice.lines
    return make_credit_note(invoice, kind="lines", lines={line.id: Decimal(2)},
                            reason="Two hours not worked")  # fmt: skip


def trail(invoice: Invoice) -> list[InvoiceEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(InvoiceEvent)
            .where(InvoiceEvent.invoice_id == invoice.id)
            .order_by(InvoiceEvent.id)
        )
    )


def dialog(admin_client, note: CreditNote) -> dict[str, str]:
    """The send dialog's prefilled fields, as the browser would post them back."""
    return send_dialog(admin_client, f"/credit-notes/{note.id}/send")


def test_the_dialog_is_prefilled(admin_client, note):
    fields = dialog(admin_client, note)
    assert fields["recipients"].split() == ["ap@acme.example.com", "boss@acme.example.com"]
    assert fields["subject"] == "Credit note CN-0001 for invoice INV-0007 from Bright IT LLC"
    assert "Hello Acme Dental," in fields["body"]
    assert (
        "credit note CN-0001 of $120.00, dated Dec 1, 2026, for invoice INV-0007."
        in (fields["body"])
    )
    assert "Reason: Two hours not worked" in fields["body"]


def test_sending_delivers_the_pdf_and_records_it_on_the_invoice(admin_client, note, smtp_server):
    download = admin_client.get(f"/credit-notes/{note.id}/pdf").data
    before = [e.kind for e in trail(note.invoice)]
    response = admin_client.post(f"/credit-notes/{note.id}/send", data=dialog(admin_client, note))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/credit-notes/{note.id}"
    ((mail_from, rcpt_tos, message),) = smtp_server.received
    assert mail_from == "billing@bright.example.com"
    assert rcpt_tos == ["ap@acme.example.com", "boss@acme.example.com"]
    assert message["From"] == SENDER
    assert message["Subject"] == "Credit note CN-0001 for invoice INV-0007 from Bright IT LLC"
    body = message.get_body(("plain",)).get_content()
    assert "{" not in body and body.rstrip().endswith("Bright IT LLC")
    assert attachment(message) == ("CN-0001.pdf", download)
    db.session.refresh(note)
    assert note.sent_at is not None
    events = trail(note.invoice)
    assert [e.kind for e in events] == [*before, "credit_note_sent"]
    sent = events[-1]
    assert (
        sent.message == "Credit note CN-0001: Sent to ap@acme.example.com, boss@acme.example.com."
    )
    assert sent.data["credit_note_id"] == note.id and sent.to_status is None
    assert note.invoice.status == InvoiceStatus.SENT  # the invoice's status is not touched
    page = unescape(admin_client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Sent to ap@acme.example.com, boss@acme.example.com." in page
    assert "data-sent>Sent Dec" in page
    invoice_page = unescape(admin_client.get(f"/invoices/{note.invoice_id}").get_data(as_text=True))
    assert 'data-event="credit_note_sent"' in invoice_page


def test_a_refused_recipient_changes_nothing_and_shows_the_error(admin_client, note, smtp_server):
    smtp_server.refuse.add("nobody@acme.example.com")
    before = [e.id for e in trail(note.invoice)]
    fields = {
        **dialog(admin_client, note),
        "recipients": "ap@acme.example.com\nnobody@acme.example.com",
    }
    response = admin_client.post(f"/credit-notes/{note.id}/send", data=fields)
    assert response.status_code == 502
    page = response.get_data(as_text=True)
    assert "nobody@acme.example.com: 550 5.1.1 &lt;nobody@acme.example.com&gt;: Recipient" in page
    assert 'id="send-form"' in page and "ap@acme.example.com" in page  # as typed, to retry
    assert smtp_server.received == []
    db.session.refresh(note)
    assert note.sent_at is None and [e.id for e in trail(note.invoice)] == before


@pytest.mark.parametrize("app_config", [{"MAIL_SERVER": "127.0.0.1"}], indirect=False)
def test_an_unreachable_server_changes_nothing(admin_client, app, note, app_config):
    app.config["MAIL_PORT"] = port = free_port()
    response = admin_client.post(f"/credit-notes/{note.id}/send", data=dialog(admin_client, note))
    assert response.status_code == 502
    assert f"Could not reach the mail server 127.0.0.1:{port}" in response.get_data(as_text=True)
    db.session.refresh(note)
    assert note.sent_at is None


@pytest.mark.parametrize(("fields", "field", "message"), BAD_SEND_INPUT)
def test_bad_input_is_refused_beside_the_field(admin_client, note, smtp_server, fields, field,
                                               message):  # fmt: skip
    before = [e.id for e in trail(note.invoice)]
    response = admin_client.post(
        f"/credit-notes/{note.id}/send", data={**dialog(admin_client, note), **fields}
    )
    assert response.status_code == 422
    assert message in refusal_beside(response, field)
    assert smtp_server.received == [] and [e.id for e in trail(note.invoice)] == before


@pytest.mark.parametrize("app_config", [{"MAIL_SERVER": ""}], indirect=False)
def test_without_a_mail_server_the_email_lands_in_the_outbox(admin_client, note, instance,
                                                              app_config):  # fmt: skip
    form = admin_client.get(f"/credit-notes/{note.id}/send").get_data(as_text=True)
    assert "No mail server is configured" in form
    response = admin_client.post(f"/credit-notes/{note.id}/send", data=dialog(admin_client, note))
    assert response.status_code == 302
    (eml,) = (instance / "outbox").glob("CN-0001-*.eml")
    assert b"Subject: Credit note CN-0001 for invoice INV-0007" in eml.read_bytes()
    db.session.refresh(note)
    assert note.sent_at is not None


def test_technicians_may_not_send(tech_client, note, smtp_server):
    assert tech_client.get(f"/credit-notes/{note.id}/send").status_code == 403
    response = tech_client.post(f"/credit-notes/{note.id}/send", data={"recipients": "a@b.example",
                                "subject": "s", "body": "b"})  # fmt: skip
    assert response.status_code == 403 and smtp_server.received == []
