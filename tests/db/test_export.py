"""Exporting invoices to the QuickBooks and Xero fakes (real HTTP servers on loopback)."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from billing.errors import ValidationFailed
from billing.ledgers.export import export_invoices
from models import ExportState, InvoiceStatus, LedgerMapping, Provider, db
from tests.ledgers import (
    INVOICE_TOTAL,
    connect,
    fake_settings,
    ledger_totals,
    make_invoices,
    prepare_fake,
    seed_customers,
)

pytestmark = pytest.mark.usefixtures("ledgers_agree")


@pytest.fixture(params=[Provider.QUICKBOOKS, Provider.XERO])
def ledger(request, qbo, xero):
    """The provider, its fake (reset), and the app settings pointing at it."""
    fake = qbo if request.param == Provider.QUICKBOOKS else xero
    prepare_fake(request.param, fake)
    return request.param, fake, fake_settings(request.param, fake)


@pytest.fixture
def app_config(ledger):
    return ledger[2]


def test_export_a_batch_and_read_it_back_to_the_cent(app, ledger):
    provider, fake, _ = ledger
    invoices = make_invoices(60)
    connect(provider, fake)
    outcomes = export_invoices(invoices, provider, None)
    db.session.commit()
    assert all(o.ok for o in outcomes), [o.message for o in outcomes if not o.ok]
    totals = ledger_totals(provider, fake)
    assert len(totals) == 60
    assert {totals[i.number] for i in invoices} == {INVOICE_TOTAL}
    assert all(i.status == InvoiceStatus.EXPORTED for i in invoices)
    assert all(i.exports[0].external_id for i in invoices)


def test_re_export_updates_instead_of_duplicating(app, ledger):
    provider, fake, _ = ledger
    (invoice,) = make_invoices(1, customers=1)
    connect(provider, fake)
    export_invoices([invoice], provider, None)
    db.session.commit()
    invoice.lines[0].amount_minor, invoice.lines[0].quantity = 24000, Decimal(2)
    invoice.subtotal_minor, invoice.total_minor = 33999, 34824
    db.session.commit()
    outcomes = export_invoices([invoice], provider, None)
    db.session.commit()
    assert outcomes[0].ok, outcomes[0].message
    assert ledger_totals(provider, fake) == {"INV-0001": Decimal("348.24")}


def test_a_lost_response_then_retry_creates_no_duplicate(app, ledger):
    provider, fake, _ = ledger
    first, second = make_invoices(2, customers=1)
    connect(provider, fake)
    assert export_invoices([first], provider, None)[0].ok  # the customer exists from now on
    db.session.commit()
    if provider == Provider.QUICKBOOKS:
        fake.drop_next(path=f"/v3/company/{fake.realm_id}/batch")
    else:
        fake.drop_next(path="/api.xro/2.0/Invoices", method="PUT")
    failed = export_invoices([second], provider, None)
    db.session.commit()
    assert not failed[0].ok and second.status == InvoiceStatus.DRAFT
    assert second.exports[0].state == ExportState.FAILED and second.exports[0].error
    retried = export_invoices([second], provider, None)
    db.session.commit()
    assert retried[0].ok, retried[0].message
    assert sorted(ledger_totals(provider, fake)) == ["INV-0001", "INV-0002"]
    assert second.status == InvoiceStatus.EXPORTED


def test_incomplete_mapping_says_what_is_missing(app, ledger):
    provider, fake, _ = ledger
    (invoice,) = make_invoices(1, customers=1)
    connection = connect(provider, fake)
    db.session.execute(sa.delete(LedgerMapping).where(LedgerMapping.kind == "tax"))
    db.session.commit()
    db.session.refresh(connection)
    with pytest.raises(ValidationFailed, match="Tax rate Sales"):
        export_invoices([invoice], provider, None)
    assert invoice.status == InvoiceStatus.DRAFT


def test_customers_already_in_the_ledger_are_found_by_name_not_created_again(app, ledger):
    provider, fake, _ = ledger
    invoices = make_invoices(120, customers=120)  # more names than one query answers
    seed_customers(provider, fake, [f"Client {n}" for n in range(120)])
    connect(provider, fake)
    outcomes = export_invoices(invoices, provider, None)
    db.session.commit()
    assert all(o.ok for o in outcomes), [o.message for o in outcomes if not o.ok][:3]
    if provider == Provider.QUICKBOOKS:
        assert len(fake.entities("Customer")) == 120
    else:
        assert len(fake.contacts()) == 120
    found = db.session.scalar(
        sa.select(sa.func.count(LedgerMapping.id)).where(LedgerMapping.kind == "customer")
    )
    assert found == 120
