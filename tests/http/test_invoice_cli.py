"""``flask invoices send``, ``pdf`` and ``status``, through Flask's CLI runner."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from billing.invoices.pdf import render_invoice_pdf
from models import Invoice, InvoiceEvent, InvoiceStatus, db
from tests.http.test_invoice_pdf import make_invoice
from tests.smtp import attachment, mail_config

pytestmark = pytest.mark.usefixtures("instance")


@pytest.fixture
def app_config(smtp_server):
    return mail_config(smtp_server, sender=None)


def status_of(invoice: Invoice) -> InvoiceStatus:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id).status


def test_send_defaults_to_the_billing_emails(app, runner, smtp_server):
    invoice = make_invoice()
    result = runner.invoke(args=["invoices", "send", "INV-0001"])
    assert result.exit_code == 0, result.output
    assert "Invoice INV-0001: Sent to ap@acme.example.com, boss@acme.example.com." in result.output
    ((_, rcpt_tos, message),) = smtp_server.received
    assert rcpt_tos == ["ap@acme.example.com", "boss@acme.example.com"]
    assert message["Subject"] == "Invoice INV-0001 from Bright IT LLC"
    assert attachment(message) == ("INV-0001.pdf", render_invoice_pdf(invoice))
    assert status_of(invoice) == InvoiceStatus.SENT


def test_send_to_given_addresses(app, runner, smtp_server):
    make_invoice()
    args = ["--to", "one@example.com", "--to", "two@example.com,three@example.com"]
    result = runner.invoke(args=["invoices", "send", "INV-0001", *args])
    assert result.exit_code == 0, result.output
    ((_, rcpt_tos, _),) = smtp_server.received
    assert rcpt_tos == ["one@example.com", "two@example.com", "three@example.com"]


def test_a_refusal_exits_1_with_the_server_error(app, runner, smtp_server):
    smtp_server.refuse.add("ap@acme.example.com")
    invoice = make_invoice(bill_to_emails="ap@acme.example.com")
    result = runner.invoke(args=["invoices", "send", "INV-0001"])
    assert result.exit_code == 1
    assert "550 5.1.1 <ap@acme.example.com>: Recipient address rejected" in result.output
    assert status_of(invoice) == InvoiceStatus.DRAFT
    kinds = db.session.scalars(db.select(InvoiceEvent.kind)).all()
    assert kinds == ["send_failed"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["INV-9999"], "There is no invoice INV-9999."),
        (["INV-0001", "--to", "not-an-email"], "not-an-email:"),
    ],
)
def test_send_refuses_bad_arguments(app, runner, smtp_server, args, message):
    invoice = make_invoice()
    result = runner.invoke(args=["invoices", "send", *args])
    assert result.exit_code == 2 and message in result.output
    assert smtp_server.received == [] and status_of(invoice) == InvoiceStatus.DRAFT


@pytest.mark.parametrize("app_config", [{"MAIL_SERVER": ""}])
def test_send_without_a_server_writes_the_outbox(app, runner, instance, app_config):
    make_invoice()
    result = runner.invoke(args=["invoices", "send", "INV-0001"])
    assert result.exit_code == 0, result.output
    (eml,) = (instance / "outbox").glob("*.eml")
    assert f"written to outbox/{eml.name}" in result.output


def test_pdf_writes_the_download(app, runner, tmp_path: Path):
    invoice = make_invoice()
    out = tmp_path / "copy.pdf"
    result = runner.invoke(args=["invoices", "pdf", "INV-0001", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output
    assert out.read_bytes() == render_invoice_pdf(invoice)


def test_pdf_of_an_unknown_invoice(app, runner, tmp_path: Path):
    result = runner.invoke(args=["invoices", "pdf", "NOPE", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2 and "There is no invoice NOPE." in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_status_moves_invoices_as_the_billing_page_bulk_action_does(app, runner):
    paid = make_invoice("INV-0001", status=InvoiceStatus.PAID)
    sent = make_invoice("INV-0002", status=InvoiceStatus.SENT)
    draft = make_invoice("INV-0003")
    result = runner.invoke(
        args=["invoices", "status", "INV-0003", "INV-0002", "INV-0001", "--to", "refunded"]
    )
    assert result.exit_code == 1  # two could not become Refunded
    assert "1 invoice changed to Refunded: INV-0001." in result.output
    assert (
        "Not changed: INV-0002: cannot become Refunded; INV-0003: cannot become Refunded."
        in result.output
    )
    assert [status_of(i) for i in (paid, sent, draft)] == [
        InvoiceStatus.REFUNDED,
        InvoiceStatus.SENT,
        InvoiceStatus.DRAFT,
    ]
    event = db.session.scalars(
        sa.select(InvoiceEvent).where(InvoiceEvent.invoice_id == paid.id)
    ).one()
    assert (event.from_status, event.to_status, event.user_id) == ("paid", "refunded", None)
    assert event.message == "Changed from the command line."

    done = runner.invoke(args=["invoices", "status", "INV-0002", "INV-0003", "--to", "paid"])
    assert done.exit_code == 0, done.output
    assert "2 invoices changed to Paid: INV-0002, INV-0003." in done.output
    again = runner.invoke(args=["invoices", "status", "INV-0002", "--to", "paid"])
    assert again.exit_code == 0 and "1 invoice was already Paid." in again.output


def test_status_refuses_an_unknown_invoice_or_status_and_changes_nothing(app, runner):
    draft = make_invoice("INV-0001")
    unknown = runner.invoke(args=["invoices", "status", "INV-0001", "INV-9", "--to", "sent"])
    assert unknown.exit_code == 2 and "There is no invoice INV-9." in unknown.output
    wrong = runner.invoke(args=["invoices", "status", "INV-0001", "--to", "lost"])
    assert wrong.exit_code == 2 and "'lost' is not one of" in wrong.output
    assert status_of(draft) == InvoiceStatus.DRAFT
