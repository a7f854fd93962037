"""Through the app's routes, against the Xero fake: the scopes a new Xero app may ask for, what
a Draft becomes in Xero, and access refused then given back."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import sqlalchemy as sa

from models import AccountingConnection, ExportState, InvoiceExport, Provider, db
from tests.ledgers import INVOICE_TOTAL, connect, ledger_totals, make_invoices

pytestmark = pytest.mark.usefixtures("ledgers_agree")

XERO = Provider.XERO


@pytest.fixture
def settings(request, xero) -> dict:
    """Per-test app configuration on top of the fake's (parametrize it indirectly)."""
    xero.reset()
    return getattr(request, "param", {})


@pytest.fixture
def app_config(xero, settings):
    return {**xero.env(), **settings}


def _connect_through_xero(client) -> str:
    """Click Connect, let the fake decide, come back through the callback; the final page."""
    response = client.post("/admin/accounting/xero/connect")
    assert response.status_code == 302
    asked = parse_qs(urlparse(response.location).query)["scope"][0].split()
    answer = requests.get(response.location, allow_redirects=False, timeout=5)
    back = urlparse(answer.headers["Location"])
    page = client.get(f"{back.path}?{back.query}")
    return " ".join(asked) + "\n" + client.get(page.location).get_data(as_text=True)


def test_a_new_xero_app_connects_with_the_granular_scopes(admin_client, xero):
    page = _connect_through_xero(admin_client)
    scopes, page = page.split("\n", 1)
    assert set(scopes.split()) == {
        "offline_access",
        "accounting.invoices",
        "accounting.payments",
        "accounting.contacts",
        "accounting.settings.read",
    }
    assert "Xero is connected to" in page
    assert db.session.scalar(sa.select(AccountingConnection.tenant_id))


@pytest.mark.parametrize("settings", [{"XERO_SCOPES": "broad"}], indirect=True)
def test_broad_scopes_refused_by_a_new_app_are_explained_in_words(admin_client, xero, settings):
    page = _connect_through_xero(admin_client).split("\n", 1)[1]
    assert "Xero refused the permissions MSP Billing asked for (invalid_scope)" in page
    assert "XERO_SCOPES=granular" in page
    assert db.session.scalar(sa.select(sa.func.count(AccountingConnection.id))) == 0


@pytest.mark.parametrize("settings", [{"XERO_SCOPES": "broad"}], indirect=True)
def test_an_app_created_before_march_2026_may_keep_the_broad_scopes(admin_client, xero):
    xero.config.update({"new_app": False})
    page = _connect_through_xero(admin_client)
    assert "accounting.transactions" in page.split("\n", 1)[0]
    assert "Xero is connected to" in page


def _xero_copy(xero, number: str) -> dict:
    return next(i for i in xero.invoices() if i["InvoiceNumber"] == number)


def _export(client, invoice) -> str:
    response = client.post(f"/invoices/{invoice.id}/export", data={"to": "xero"})
    return client.get(response.location).get_data(as_text=True)


def test_a_draft_is_a_xero_draft_until_it_is_sent_here(admin_client, xero):
    (invoice,) = make_invoices(1, customers=1)
    invoice.bill_to_emails = "ap@acme-dental.com"
    db.session.commit()
    connect(XERO, xero)
    page = _export(admin_client, invoice)
    assert "a draft: it becomes an approved invoice there when you send it from here" in page
    assert _xero_copy(xero, "INV-0001")["Status"] == "DRAFT"
    sent = admin_client.post(
        f"/invoices/{invoice.id}/send",
        data={"recipients": "ap@acme-dental.com", "subject": "Invoice", "body": "Attached."},
    )
    assert sent.status_code == 302, re.findall(
        r'class="error"[^>]*>([^<]*)', sent.get_data(as_text=True)
    )
    assert _xero_copy(xero, "INV-0001")["Status"] == "AUTHORISED"  # approved once the client has it
    db.session.expire_all()
    export = db.session.scalar(sa.select(InvoiceExport))
    assert export.ledger_status == "AUTHORISED" and export.state == ExportState.EXPORTED
    assert ledger_totals(XERO, xero) == {"INV-0001": INVOICE_TOTAL}


@pytest.mark.parametrize("settings", [{"XERO_EXPORT_STATUS": "authorised"}], indirect=True)
def test_a_setting_approves_in_xero_at_once(admin_client, xero):
    (invoice,) = make_invoices(1, customers=1)
    connect(XERO, xero)
    page = _export(admin_client, invoice)
    assert "a draft" not in page
    assert _xero_copy(xero, "INV-0001")["Status"] == "AUTHORISED"


def test_access_refused_is_said_and_a_reconnect_clears_it(admin_client, xero):
    (invoice,) = make_invoices(1, customers=1)
    connect(XERO, xero)
    with xero.state.lock:  # the organisation disconnected the app in Xero
        xero.state.connections.clear()
    page = _export(admin_client, invoice)
    assert "Xero refused access to the company" in page and "Reconnect it" in page
    db.session.expire_all()
    failed = db.session.scalar(sa.select(InvoiceExport))
    assert failed.state == ExportState.FAILED and failed.error_kind == "auth"
    assert "INV-0001" in admin_client.get("/billing?export=failed").get_data(as_text=True)
    _connect_through_xero(admin_client)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(InvoiceExport.id))) == 0  # error cleared
    page = admin_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "The last export to Xero failed" not in page  # (the audit trail keeps it)
    assert "INV-0001" not in admin_client.get("/billing?export=failed").get_data(as_text=True)


def test_a_copy_the_ledger_will_not_void_can_be_forgotten_then_the_batch_deleted(
    admin_client, xero
):
    """A copy Xero keeps (a payment applied there) blocks the deletion; once the admin has
    dealt with it in Xero, forgetting the copy here (with a reason) lets the batch go."""
    from datetime import date

    from models import InvoiceBatch

    (invoice,) = make_invoices(1, customers=1)
    batch = InvoiceBatch(name="November", period_start=date(2026, 11, 1),
                         period_end=date(2026, 11, 30))  # fmt: skip
    invoice.batch = batch
    invoice.sent_at = invoice.created_at  # the client has it: Xero approves it
    db.session.commit()
    connect(XERO, xero)
    _export(admin_client, invoice)
    xero.apply_payment(invoice.exports[0].external_id, "10.00")
    refused = admin_client.post(f"/batches/{batch.id}/delete")
    assert "Xero would not void or delete INV-0001" in admin_client.get(refused.location).get_data(
        as_text=True
    )
    without_reason = admin_client.post(
        f"/invoices/{invoice.id}/export/forget", data={"to": "xero", "reason": " "}
    )
    page = admin_client.get(without_reason.location).get_data(as_text=True)
    assert "Say why" in page
    forgotten = admin_client.post(
        f"/invoices/{invoice.id}/export/forget",
        data={"to": "xero", "reason": "Refunded and voided in Xero on 3 Dec"},
    )
    page = admin_client.get(forgotten.location).get_data(as_text=True)
    assert "The ledger copy is forgotten" in page and "Refunded and voided in Xero" in page
    assert admin_client.post(f"/batches/{batch.id}/delete").status_code == 302
