"""Through the app: connect Xero and QuickBooks (full redirect flow), export, see failures."""

from datetime import date
from decimal import Decimal
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa

from models import (
    AccountingConnection,
    Invoice,
    InvoiceStatus,
    Provider,
    db,
)
from tests.factories import make_customer, make_invoice, make_line
from tests.ledgers import SEEDED, connect, ledger_totals, make_invoices

pytestmark = pytest.mark.usefixtures("ledgers_agree")


@pytest.fixture
def app_config(xero, qbo):
    xero.reset()
    qbo.reset()
    return {**xero.env(), **qbo.settings()}


def _follow_oauth(client, provider: str) -> str:
    """Click Connect, let the fake approve, come back through the callback; the final page."""
    response = client.post(f"/admin/accounting/{provider}/connect")
    assert response.status_code == 302
    import requests

    approved = requests.get(response.location, allow_redirects=False, timeout=5)
    assert approved.status_code in (302, 303)
    back = urlparse(approved.headers["Location"])
    callback = client.get(f"{back.path}?{back.query}")
    assert callback.status_code == 302, callback.data
    return client.get(callback.location).get_data(as_text=True)


def test_connect_xero_and_quickbooks_through_the_redirect_flow(admin_client, xero, qbo):
    page = _follow_oauth(admin_client, "xero")
    assert "Xero is connected to" in page
    page = _follow_oauth(admin_client, "quickbooks")
    assert "QuickBooks Online is connected to Sandbox Company_US_1" in page
    models = dict(db.session.execute(sa.select(AccountingConnection.provider,
                                               AccountingConnection.tax_model)).all())  # fmt: skip
    assert models[Provider.QUICKBOOKS] == "us"  # read from CompanyInfo and Preferences
    connections = db.session.scalars(sa.select(AccountingConnection)).all()
    assert {c.provider for c in connections} == {Provider.XERO, Provider.QUICKBOOKS}
    raw = db.session.execute(sa.text("SELECT refresh_token FROM accounting_connections")).all()
    assert all(row[0] not in {c.refresh_token for c in connections} for row in raw)  # encrypted


def _draft(number="INV-0001") -> Invoice:
    return make_invoice(
        make_customer(name="Acme Dental"),
        [make_line("Onboarding", 15000)],
        number=number,
        issue_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2),
    )


def test_export_from_the_invoice_page_and_the_list(admin_client, xero):
    invoice = _draft()
    connect(Provider.XERO, xero)
    page = admin_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Export to Xero" in page
    response = admin_client.post(f"/invoices/{invoice.id}/export", data={"to": "xero"})
    assert response.status_code == 302
    page = admin_client.get(response.location).get_data(as_text=True)
    assert "exported to Xero" in page and "In Xero as INV-0001" in page
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status == InvoiceStatus.EXPORTED
    assert [i["InvoiceNumber"] for i in xero.invoices()] == ["INV-0001"]


def test_a_rate_limited_export_is_shown_and_listed_as_failed(admin_client, xero):
    invoice = _draft()
    connect(Provider.XERO, xero)
    xero.fail_next(429, path="/api.xro/2.0/Contacts")
    response = admin_client.post(f"/invoices/{invoice.id}/export", data={"to": "xero"})
    page = admin_client.get(response.location).get_data(as_text=True)
    assert "The last export to Xero failed" in page
    assert "Retry export to Xero</button>" in page
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status == InvoiceStatus.DRAFT
    listed = admin_client.get("/billing?export=failed").get_data(as_text=True)
    assert "INV-0001" in listed
    assert "INV-0001" not in admin_client.get("/billing?export=failed&q=nothing").get_data(
        as_text=True
    )


def test_cli_export(app, runner, xero):
    _draft()
    connect(Provider.XERO, xero)
    result = runner.invoke(args=["invoices", "export", "INV-0001", "--to", "xero"])
    assert result.exit_code == 0, result.output
    assert "Exported to Xero" in result.output
    missing = runner.invoke(args=["invoices", "export", "INV-0001", "--to", "quickbooks"])
    assert missing.exit_code == 1 and "Connect QuickBooks Online" in missing.output


def test_a_xero_login_with_several_organisations_picks_one(admin_client, xero):
    second = xero.add_tenant("Kiwi Bikes Ltd")
    page = _follow_oauth(admin_client, "xero")
    assert "Kiwi Bikes Ltd" in page and "Demo Company (NZ)" in page  # the picker
    refused = admin_client.post("/admin/accounting/xero/tenant", data={"tenant": "nope"})
    assert refused.status_code == 422
    assert "Choose one of the organisations." in refused.get_data(as_text=True)
    assert not db.session.scalar(sa.select(AccountingConnection.tenant_id))
    chosen = admin_client.post("/admin/accounting/xero/tenant", data={"tenant": second})
    page = admin_client.get(chosen.location).get_data(as_text=True)
    assert "Xero is connected to Kiwi Bikes Ltd" in page
    db.session.expire_all()
    assert db.session.scalar(sa.select(AccountingConnection.tenant_id)) == second


@pytest.mark.parametrize("provider", [Provider.QUICKBOOKS, Provider.XERO], ids=lambda p: p.value)
def test_connect_map_and_export_60_invoices_read_back_to_the_cent(
    admin_client, qbo, xero, provider
):
    fake = qbo if provider == Provider.QUICKBOOKS else xero
    invoices = make_invoices(60, customers=4)
    _follow_oauth(admin_client, provider.value)
    item, tax, untaxed = SEEDED[provider]
    rate_id = invoices[0].lines[1].tax_rate_id
    mapped = admin_client.post(
        f"/admin/accounting/{provider.value}/mapping",
        data={"item__default": item, f"tax__{rate_id}": tax, "tax__none": untaxed},
    )
    assert mapped.status_code == 302, mapped.get_data(as_text=True)
    ids = [str(i.id) for i in invoices]
    response = admin_client.post("/invoices/bulk/export", data={"to": provider.value, "ids": ids})
    page = admin_client.get(response.location).get_data(as_text=True)
    assert f"60 invoices exported to {provider.label}" in page
    ours = {i.number: Decimal(i.total_minor) / 100 for i in invoices}
    assert ledger_totals(provider, fake) == ours  # every total, to the cent
    db.session.expire_all()
    statuses = db.session.scalars(
        sa.select(Invoice.status).where(Invoice.id.in_([i.id for i in invoices]))
    )
    assert set(statuses) == {InvoiceStatus.EXPORTED}
