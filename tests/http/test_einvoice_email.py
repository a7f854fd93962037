"""Emails carry each customer's e-invoice (issue #17), through a real SMTP server on loopback:
the PDF and the Peppol or XRechnung XML beside it, or the Factur-X PDF instead of the PDF (with
the XRechnung XML beside it for a public body); and a send whose e-invoice cannot be made is
refused on the form, nothing sent or changed."""

from decimal import Decimal
from email.message import EmailMessage

import lxml.html
import pytest
import sqlalchemy as sa

from models import CreditNote, Customer, Invoice, InvoiceEvent, InvoiceStatus, db
from tests.factories import make_credit_note
from tests.http.test_einvoice_delivery import (
    UBL_CUSTOMIZATION,
    document,
    embedded,
    seed_demo,
    us_invoice,
)
from tests.pages import fresh, send_dialog, squeeze
from tests.smtp import mail_config

pytestmark = pytest.mark.usefixtures("instance")


@pytest.fixture
def app_config(smtp_server):
    return mail_config(smtp_server)


@pytest.fixture
def demo(app) -> dict[str, Invoice]:
    return seed_demo(app)


def attachments(message: EmailMessage) -> list[tuple[str, str, bytes]]:
    """The message's attachments: ``(file name, media type, bytes)``, in order."""
    return [
        (part.get_filename(), part.get_content_type(), part.get_content())
        for part in message.iter_attachments()
    ]


def send(client, url: str, smtp_server) -> EmailMessage:
    """Send through ``url``'s dialog as prefilled; the one email the server received for it."""
    before = len(smtp_server.received)
    response = client.post(url, data=send_dialog(client, url))
    assert response.status_code == 302, squeeze(response)[:500]
    assert len(smtp_server.received) == before + 1
    return smtp_server.received[-1][2]


def events_of(invoice: Invoice) -> list[str]:
    query = sa.select(InvoiceEvent.kind).where(InvoiceEvent.invoice_id == invoice.id)
    return list(db.session.scalars(query.order_by(InvoiceEvent.id)))


def test_each_customer_is_emailed_its_own_format(demo, admin_client, smtp_server):
    # Verhaegen Logistics NV (Belgium): the PDF, and the Peppol XML beside it.
    invoice = demo["RE-0021"]
    message = send(admin_client, f"/invoices/{invoice.id}/send", smtp_server)
    (pdf_name, pdf_type, pdf), (xml_name, xml_type, xml) = attachments(message)
    assert (pdf_name, pdf_type) == ("RE-0021.pdf", "application/pdf")
    assert pdf == admin_client.get(f"/invoices/{invoice.id}/pdf").data
    assert (xml_name, xml_type) == ("RE-0021-peppol.xml", "application/xml")
    assert document(xml) == ("Invoice", "RE-0021", UBL_CUSTOMIZATION["peppol"])
    assert xml == admin_client.get(f"/invoices/{invoice.id}/einvoice/peppol").data
    assert fresh(invoice).status == InvoiceStatus.SENT

    # Brandt & Kühn (a German business on Factur-X): the Factur-X PDF only, the XML inside.
    invoice = demo["RE-0015"]
    message = send(admin_client, f"/invoices/{invoice.id}/send", smtp_server)
    ((name, media_type, pdf),) = attachments(message)
    assert (name, media_type) == ("RE-0015.pdf", "application/pdf")
    assert document(embedded(pdf)) == ("CrossIndustryInvoice", "RE-0015", "380")
    download = admin_client.get(f"/invoices/{invoice.id}/einvoice/facturx").data
    assert embedded(pdf) == embedded(download)  # the PDF's timestamps are the moment's
    assert fresh(invoice).status == InvoiceStatus.SENT

    # Stadt Weserhafen (a Leitweg-ID): the PDF and the XRechnung XML.
    invoice = demo["RE-0017"]
    message = send(admin_client, f"/invoices/{invoice.id}/send", smtp_server)
    (pdf_name, pdf_type, pdf), (xml_name, xml_type, xml) = attachments(message)
    assert (pdf_name, pdf_type) == ("RE-0017.pdf", "application/pdf")
    assert pdf == admin_client.get(f"/invoices/{invoice.id}/pdf").data
    assert (xml_name, xml_type) == ("RE-0017-xrechnung.xml", "application/xml")
    assert document(xml) == ("Invoice", "RE-0017", UBL_CUSTOMIZATION["xrechnung"])
    assert b"04011000-12345-03" in xml  # the Leitweg-ID as buyer reference (BT-10)
    assert fresh(invoice).status == InvoiceStatus.SENT


def test_a_credit_note_and_a_public_body_on_factur_x(demo, admin_client, smtp_server):
    credit_note = db.session.scalar(sa.select(CreditNote).where(CreditNote.number == "GS-0001"))
    assert credit_note.customer.einvoice_format == "facturx"
    message = send(admin_client, f"/credit-notes/{credit_note.id}/send", smtp_server)
    ((name, media_type, pdf),) = attachments(message)
    assert (name, media_type) == ("GS-0001.pdf", "application/pdf")
    xml = embedded(pdf)
    assert document(xml) == ("CrossIndustryInvoice", "GS-0001", "381")
    assert credit_note.invoice.number.encode() in xml  # refers to its invoice (BG-3)
    assert events_of(credit_note.invoice)[-1] == "credit_note_sent"

    # A public body on Factur-X still gets the XRechnung XML it must receive, beside it.
    invoice = demo["RE-0018"]
    town = db.session.get(Customer, invoice.customer_id)
    town.einvoice_format = "facturx"
    db.session.commit()
    message = send(admin_client, f"/invoices/{invoice.id}/send", smtp_server)
    (pdf_name, pdf_type, pdf), (xml_name, xml_type, xml) = attachments(message)
    assert (pdf_name, pdf_type) == ("RE-0018.pdf", "application/pdf")
    assert document(embedded(pdf))[:2] == ("CrossIndustryInvoice", "RE-0018")
    assert (xml_name, xml_type) == ("RE-0018-xrechnung.xml", "application/xml")
    assert document(xml) == ("Invoice", "RE-0018", UBL_CUSTOMIZATION["xrechnung"])


def test_a_send_whose_e_invoice_cannot_be_made_sends_nothing(app, admin_client, smtp_server):
    invoice = us_invoice()
    fields = send_dialog(admin_client, f"/invoices/{invoice.id}/send")
    assert fields["recipients"] == "ap@acme.example.com"
    response = admin_client.post(f"/invoices/{invoice.id}/send", data=fields)
    assert response.status_code == 409
    page = squeeze(response)
    assert 'id="send-form"' in response.get_data(as_text=True)  # the form, to try again
    assert "Seller VAT identifier (BT-31)" in page and "Admin > Settings > E-invoicing" in page
    assert smtp_server.received == []
    invoice = fresh(invoice)
    assert invoice.status == InvoiceStatus.DRAFT and invoice.sent_at is None
    assert events_of(invoice) == []
    # Sent from the dialog with htmx: the form comes back with the error, for the same swap.
    response = admin_client.post(
        f"/invoices/{invoice.id}/send", data=fields, headers={"HX-Request": "true"}
    )
    assert response.status_code == 409
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and 'id="send-form"' in fragment
    assert "Seller VAT identifier (BT-31)" in squeeze(response)
    assert smtp_server.received == [] and fresh(invoice).status == InvoiceStatus.DRAFT

    # A credit note of a Sent invoice of the same customer: refused alike.
    sent = us_invoice(number="INV-0008", status=InvoiceStatus.SENT)
    (line,) = sent.lines
    note = make_credit_note(sent, kind="lines", lines={line.id: Decimal(2)})
    before = events_of(sent)
    url = f"/credit-notes/{note.id}/send"
    response = admin_client.post(url, data=send_dialog(admin_client, url))
    assert response.status_code == 409
    assert "Seller VAT identifier (BT-31)" in squeeze(response)
    assert smtp_server.received == []
    assert db.session.get(CreditNote, note.id).sent_at is None
    assert events_of(sent) == before and fresh(sent).status == InvoiceStatus.SENT


def test_the_send_dialog_names_every_file_the_email_carries(demo, admin_client):
    expected = {
        "RE-0021": ["RE-0021.pdf", "RE-0021-peppol.xml"],  # Belgian: PDF and Peppol
        "RE-0017": ["RE-0017.pdf", "RE-0017-xrechnung.xml"],  # public body: XRechnung
        "RE-0015": ["RE-0015.pdf (Factur-X)"],  # German business: Factur-X only
    }
    for number, files in expected.items():
        invoice = demo[number]
        links = attached(admin_client.get(f"/invoices/{invoice.id}/send"))
        assert [a.text for a in links] == files, number
        for link in links:  # each opens the file the email carries
            assert admin_client.get(link.get("href")).status_code == 200, link.get("href")
    credit_note = db.session.scalar(sa.select(CreditNote))
    links = attached(admin_client.get(f"/credit-notes/{credit_note.id}/send"))
    assert [a.text for a in links] == [f"{credit_note.number}.pdf (Factur-X)"]


def attached(page) -> list:
    """The links of the send dialog's "Attached:" line."""
    return lxml.html.fromstring(page.get_data()).xpath("//p[@id='send-attachments']/a")
