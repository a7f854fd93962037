"""Saving a batch exports it as Admin > Accounting says, to one ledger, and says exactly what
happened; ``flask batches create`` runs the same service and prints the same account."""

from datetime import date, datetime, time

import pytest
import sqlalchemy as sa

from billing.settings import get_settings
from models import Customer, Invoice, Provider, TicketStatus, db
from tests.factories import make_contract, make_customer, make_ticket, make_time_entry
from tests.ledgers import connect, fake_settings, ledger_invoices, prepare_fake

pytestmark = pytest.mark.usefixtures("ledgers_agree")


@pytest.fixture
def app_config(qbo, xero):
    prepare_fake(Provider.QUICKBOOKS, qbo)
    prepare_fake(Provider.XERO, xero)
    return {
        **fake_settings(Provider.QUICKBOOKS, qbo),
        **fake_settings(Provider.XERO, xero),
        "BILLING_TODAY": "2026-12-03",
    }


def _work(*names: str) -> None:
    """One hourly contract per customer, with 1:30 of November work resolved in November."""
    for name in names:
        contract = make_contract(make_customer(name=name), start_date=date(2026, 11, 1))
        ticket = make_ticket(contract, status=TicketStatus.RESOLVED,
                             closed_at=datetime.combine(date(2026, 11, 20), time(10)))  # fmt: skip
        make_time_entry(ticket, work_date=date(2026, 11, 19), minutes=90)


def _save(client) -> str:
    form = {"start": "2026-11-01", "end": "2026-11-30", "name": "Nov 2026", "detail": "ticket"}
    response = client.post("/batches", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return client.get(response.location).get_data(as_text=True)


def test_a_saved_batch_goes_to_the_connected_ledger_and_says_so(admin_client, xero):
    _work("Acme Dental", "Bright Vets")
    connect(Provider.XERO, xero)
    page = _save(admin_client)
    assert "Batch Nov 2026: 2 invoices saved; 2 exported to Xero." in page
    assert len(ledger_invoices(Provider.XERO, xero)) == 2


def test_export_on_save_off_saves_only(admin_client, xero):
    _work("Acme Dental")
    connect(Provider.XERO, xero)
    settings = admin_client.post("/admin/accounting/options", data={"export_target": ""})
    assert settings.status_code == 302
    assert not get_settings().export_on_save
    page = _save(admin_client)
    assert "Batch Nov 2026: 1 invoice saved." in page
    assert ledger_invoices(Provider.XERO, xero) == []


def test_with_both_ledgers_connected_batches_go_to_the_chosen_one(admin_client, qbo, xero):
    _work("Acme Dental")
    connect(Provider.XERO, xero)
    connect(Provider.QUICKBOOKS, qbo)
    page = _save(admin_client)
    assert "1 invoice saved (both ledgers are connected: choose the one batches go to" in page
    accounting = admin_client.get("/admin/accounting").get_data(as_text=True)
    assert "Export a batch when it is saved" in accounting and 'name="export_target"' in accounting
    admin_client.post(
        "/admin/accounting/options", data={"export_on_save": "1", "export_target": "quickbooks"}
    )
    _work("Bright Vets")
    page = _save(admin_client)
    assert "1 invoice saved; 1 exported to QuickBooks Online." in page
    assert len(ledger_invoices(Provider.QUICKBOOKS, qbo)) == 1
    assert ledger_invoices(Provider.XERO, xero) == []


def test_a_failure_is_counted_and_explained(admin_client, qbo):
    _work("Acme Dental", "Bright: Vets")  # QuickBooks takes no ':' in a name
    connect(Provider.QUICKBOOKS, qbo)
    page = _save(admin_client)
    assert "2 invoices saved; 1 exported to QuickBooks Online; 1 failed." in page
    assert "does not allow &#39;:&#39; in a customer name (Bright: Vets)" in page
    assert db.session.scalar(sa.select(sa.func.count(Invoice.id))) == 2  # both saved


def test_the_cli_saves_and_exports_the_same_way_and_can_skip_the_export(runner, xero):
    _work("Acme Dental")
    connect(Provider.XERO, xero)
    skipped = runner.invoke(
        args=["batches", "create", "--start", "2026-11-01", "--end", "2026-11-30", "--no-export"]
    )
    assert skipped.exit_code == 0, skipped.output
    assert "Batch Nov 2026: 1 invoice saved." in skipped.output
    assert ledger_invoices(Provider.XERO, xero) == []
    _work("Bright Vets")
    done = runner.invoke(args=["batches", "create", "--start", "2026-11-01", "--end", "2026-11-30"])
    assert "1 invoice saved; 1 exported to Xero." in done.output
    customer = db.session.scalar(sa.select(Customer).where(Customer.name == "Bright Vets"))
    assert customer.name in done.output
    assert len(ledger_invoices(Provider.XERO, xero)) == 1
