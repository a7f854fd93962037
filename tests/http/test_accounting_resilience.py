"""Through the app, against both fakes: tokens that expire or die, rate limits, and how many
requests a whole batch costs."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from clock import utcnow
from models import AccountingConnection, Invoice, InvoiceExport, InvoiceStatus, Provider, db
from tests.ledgers import (
    INVOICE_TOTAL,
    api_requests,
    connect,
    fake_settings,
    ledger_totals,
    make_invoices,
    revoke_at_ledger,
)

pytestmark = pytest.mark.usefixtures("ledgers_agree")


@pytest.fixture
def app_config(ledger):
    return fake_settings(*ledger)


def _export(client, invoice: Invoice, provider: Provider) -> str:
    response = client.post(f"/invoices/{invoice.id}/export", data={"to": provider.value})
    assert response.status_code == 302
    return client.get(response.location).get_data(as_text=True)


def _fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def _invoices_path(provider: Provider, fake) -> str:
    if provider == Provider.QUICKBOOKS:
        return f"/v3/company/{fake.realm_id}/batch"
    return "/api.xro/2.0/Invoices"


def test_an_expired_access_token_is_refreshed_and_the_new_refresh_token_kept(admin_client, ledger):
    provider, fake = ledger
    (invoice,) = make_invoices(1, customers=1)
    connection = connect(provider, fake, expires_in=timedelta(minutes=-5))
    old_refresh, old_access = connection.refresh_token, connection.access_token
    page = _export(admin_client, invoice, provider)
    assert f"1 invoice exported to {provider.label}" in page
    connection = _fresh(AccountingConnection, connection.id)
    assert connection.refresh_token != old_refresh  # the rotated token is what we keep
    assert connection.access_token != old_access
    assert connection.expires_at.replace(tzinfo=None) > utcnow().replace(tzinfo=None)
    assert _fresh(Invoice, invoice.id).status == InvoiceStatus.EXPORTED


def test_a_401_refreshes_once_and_sends_again(admin_client, ledger):
    provider, fake = ledger
    (invoice,) = make_invoices(1, customers=1)
    connection = connect(provider, fake)  # valid for 20 minutes as far as we know...
    old_refresh = connection.refresh_token
    fake.advance(2 * 3600)  # ...but the ledger's clock says the access token is dead
    page = _export(admin_client, invoice, provider)
    assert f"1 invoice exported to {provider.label}" in page
    assert _fresh(AccountingConnection, connection.id).refresh_token != old_refresh
    assert _fresh(Invoice, invoice.id).status == InvoiceStatus.EXPORTED
    assert sorted(ledger_totals(provider, fake)) == ["INV-0001"]


def test_a_revoked_connection_is_shown_and_the_invoice_left_as_it_was(admin_client, ledger):
    provider, fake = ledger
    (invoice,) = make_invoices(1, customers=1)
    connection = connect(provider, fake, expires_in=timedelta(minutes=-1))
    revoke_at_ledger(provider, fake, connection.refresh_token)
    page = _export(admin_client, invoice, provider)
    assert f"{provider.label} refused to renew access (invalid_grant)" in page
    assert "reconnect it in Admin &gt; Accounting" in page
    assert _fresh(AccountingConnection, connection.id).needs_reconnect
    assert _fresh(Invoice, invoice.id).status == InvoiceStatus.DRAFT
    assert db.session.scalar(sa.select(sa.func.count(InvoiceExport.id))) == 0
    accounting = admin_client.get("/admin/accounting").get_data(as_text=True)
    assert "has expired: reconnect it to export again" in accounting
    served = len(api_requests(provider, fake))
    again = _export(admin_client, invoice, provider)  # every attempt says so, without calling
    assert f"The {provider.label} connection needs to be reconnected" in again
    assert len(api_requests(provider, fake)) == served


def test_a_short_retry_after_is_waited_out(admin_client, ledger):
    provider, fake = ledger
    (invoice,) = make_invoices(1, customers=1)
    connect(provider, fake)
    fake.fail_next(429, path=_invoices_path(provider, fake), retry_after="1")
    page = _export(admin_client, invoice, provider)
    assert f"1 invoice exported to {provider.label}" in page
    assert _fresh(Invoice, invoice.id).status == InvoiceStatus.EXPORTED
    assert sorted(ledger_totals(provider, fake)) == ["INV-0001"]


def test_a_long_retry_after_fails_clearly_and_changes_nothing(admin_client, ledger):
    provider, fake = ledger
    (invoice,) = make_invoices(1, customers=1)
    connect(provider, fake)
    fake.fail_next(429, path=_invoices_path(provider, fake), retry_after="120")
    page = _export(admin_client, invoice, provider)
    assert (
        f"{provider.label} is limiting how fast it accepts requests and asked to wait 120 s" in page
    )
    assert "Nothing was changed" in page
    assert f"The last export to {provider.label} failed" in page  # on the invoice, to retry
    assert _fresh(Invoice, invoice.id).status == InvoiceStatus.DRAFT
    assert ledger_totals(provider, fake) == {}


def test_a_60_invoice_export_from_the_billing_page_costs_the_fewest_requests(admin_client, ledger):
    provider, fake = ledger
    invoices = make_invoices(60, customers=3)
    connect(provider, fake)
    ids = [str(i.id) for i in invoices]
    response = admin_client.post("/invoices/bulk/export", data={"to": provider.value, "ids": ids})
    page = admin_client.get(response.location).get_data(as_text=True)
    assert f"60 invoices exported to {provider.label}" in page
    totals = ledger_totals(provider, fake)
    assert len(totals) == 60 and set(totals.values()) == {INVOICE_TOTAL}
    sent = api_requests(provider, fake)
    if provider == Provider.QUICKBOOKS:
        # one query finds the 3 customers (none), one batch creates them, one query looks the
        # 60 numbers up (none: nothing to adopt), 2 batches of 30 invoices
        query, batch = (f"POST /v3/company/{fake.realm_id}/{p}" for p in ("query", "batch"))
        assert sent == [query, batch, query, batch, batch]
    else:
        # one GET finds the contacts, one PUT creates them, 2 GETs look the 60 numbers up
        # (50 a request), 2 PUTs carry the invoices (50 a request, Xero's recommendation)
        assert sent == [
            "GET /api.xro/2.0/Contacts",
            "PUT /api.xro/2.0/Contacts",
            "GET /api.xro/2.0/Invoices",
            "GET /api.xro/2.0/Invoices",
            "PUT /api.xro/2.0/Invoices",
            "PUT /api.xro/2.0/Invoices",
        ]
    # Exported again: customers are known now, so only the invoices travel (as updates);
    # QuickBooks reads the current copies first (their SyncTokens), Xero needs no look-up.
    admin_client.post("/invoices/bulk/export", data={"to": provider.value, "ids": ids})
    again = api_requests(provider, fake)[len(sent) :]
    if provider == Provider.QUICKBOOKS:
        assert again == [query, batch, batch], again
    else:
        assert again == ["POST /api.xro/2.0/Invoices"] * 2, again
    assert len(ledger_totals(provider, fake)) == 60
