"""Exporting invoices to the QuickBooks and Xero fakes (real HTTP servers on loopback)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from billing.clock import utcnow
from billing.errors import ValidationFailed
from billing.export import export_invoices
from models import (
    AccountingConnection,
    ExportState,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LedgerMapping,
    LineKind,
    Provider,
    TaxRate,
    db,
)
from tests.factories import make_customer
from tests.fakes.quickbooks import FakeQuickBooks
from tests.fakes.xero import FakeXero
from tests.fakes.xero_seed import DEFAULT_TENANT_ID


@pytest.fixture(scope="module")
def qbo():
    with FakeQuickBooks() as fake:
        yield fake


@pytest.fixture(scope="module")
def xero():
    with FakeXero() as fake:
        yield fake


@pytest.fixture(params=[Provider.QUICKBOOKS, Provider.XERO])
def ledger(request, qbo, xero):
    """The provider, its fake (reset), and the app settings pointing at it."""
    fake = qbo if request.param == Provider.QUICKBOOKS else xero
    fake.reset()
    if request.param == Provider.QUICKBOOKS:
        fake.configure(tax_rates={"TAX": Decimal("10")})  # the company's sales tax in QBO
    settings = fake.settings() if request.param == Provider.QUICKBOOKS else fake.env()
    return request.param, fake, settings


@pytest.fixture
def app_config(ledger):
    return ledger[2]


def _connect(provider, fake) -> AccountingConnection:
    if provider == Provider.QUICKBOOKS:
        token, tenant = fake.tokens(), fake.realm_id
        item, tax, untaxed = "1", "TAX", "NON"
    else:
        token, tenant = fake.issue_token(), DEFAULT_TENANT_ID
        item, tax, untaxed = "200", "OUTPUT2", "NONE"
    connection = AccountingConnection(
        provider=provider,
        tenant_id=tenant,
        company_name="Fake",
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        expires_at=utcnow() + timedelta(minutes=20),
    )
    db.session.add(connection)
    db.session.flush()
    rate = db.session.scalar(sa.select(TaxRate))
    for kind, key, value in (
        ("item", "default", item),
        ("tax", "none", untaxed),
        ("tax", str(rate.id), tax),
    ):
        db.session.add(
            LedgerMapping(connection_id=connection.id, kind=kind, local_key=key, external_id=value)
        )
    db.session.commit()
    return connection


def _invoices(count: int, customers: int = 3) -> list[Invoice]:
    rate = TaxRate(name="Sales", percent=Decimal("10"))
    db.session.add(rate)
    db.session.flush()
    people = [make_customer(name=f"Client {n}") for n in range(customers)]
    invoices = []
    for n in range(count):
        invoice = Invoice(
            number=f"INV-{n + 1:04d}",
            customer=people[n % customers],
            issue_date=date(2026, 11, 1),
            due_date=date(2026, 12, 1),
            currency="USD",
            bill_to_name=people[n % customers].name,
        )
        invoice.lines = [
            InvoiceLine(kind=LineKind.TIME, description="Labour", quantity=Decimal("1.5"),
                        unit_price_minor=12000, amount_minor=18000, position=0),
            InvoiceLine(kind=LineKind.PRODUCT, description="Router", quantity=Decimal(1),
                        unit_price_minor=9999, amount_minor=9999, position=1, tax_rate_id=rate.id,
                        tax_name="Sales", tax_percent=Decimal(10)),
        ]  # fmt: skip
        invoice.subtotal_minor, invoice.tax_minor, invoice.total_minor = 27999, 1000, 28999
        invoices.append(invoice)
    db.session.add_all(invoices)
    db.session.commit()
    return invoices


def _ledger_totals(provider, fake) -> dict[str, Decimal]:
    if provider == Provider.QUICKBOOKS:
        return {i["DocNumber"]: Decimal(str(i["TotalAmt"])) for i in fake.entities("Invoice")}
    return {i["InvoiceNumber"]: Decimal(str(i["Total"])) for i in fake.invoices()}


def test_export_a_batch_and_read_it_back_to_the_cent(app, ledger):
    provider, fake, _ = ledger
    invoices = _invoices(60)
    _connect(provider, fake)
    outcomes = export_invoices(invoices, provider, None)
    db.session.commit()
    assert all(o.ok for o in outcomes), [o.message for o in outcomes if not o.ok]
    totals = _ledger_totals(provider, fake)
    assert len(totals) == 60
    assert {totals[i.number] for i in invoices} == {Decimal("289.99")}
    assert all(i.status == InvoiceStatus.EXPORTED for i in invoices)
    assert all(i.exports[0].external_id for i in invoices)


def test_re_export_updates_instead_of_duplicating(app, ledger):
    provider, fake, _ = ledger
    (invoice,) = _invoices(1, customers=1)
    _connect(provider, fake)
    export_invoices([invoice], provider, None)
    db.session.commit()
    invoice.lines[0].amount_minor, invoice.lines[0].quantity = 24000, Decimal(2)
    invoice.subtotal_minor, invoice.total_minor = 33999, 34999
    db.session.commit()
    outcomes = export_invoices([invoice], provider, None)
    db.session.commit()
    assert outcomes[0].ok, outcomes[0].message
    assert _ledger_totals(provider, fake) == {"INV-0001": Decimal("349.99")}


def test_a_lost_response_then_retry_creates_no_duplicate(app, ledger):
    provider, fake, _ = ledger
    first, second = _invoices(2, customers=1)
    _connect(provider, fake)
    assert export_invoices([first], provider, None)[0].ok  # the customer exists from now on
    db.session.commit()
    if provider == Provider.QUICKBOOKS:
        fake.drop_next(path=f"/v3/company/{fake.realm_id}/batch")
    else:
        fake.drop_next(path="/api.xro/2.0/Invoices")
    failed = export_invoices([second], provider, None)
    db.session.commit()
    assert not failed[0].ok and second.status == InvoiceStatus.DRAFT
    assert second.exports[0].state == ExportState.FAILED and second.exports[0].error
    retried = export_invoices([second], provider, None)
    db.session.commit()
    assert retried[0].ok, retried[0].message
    assert sorted(_ledger_totals(provider, fake)) == ["INV-0001", "INV-0002"]
    assert second.status == InvoiceStatus.EXPORTED


def test_incomplete_mapping_says_what_is_missing(app, ledger):
    provider, fake, _ = ledger
    (invoice,) = _invoices(1, customers=1)
    connection = _connect(provider, fake)
    db.session.execute(sa.delete(LedgerMapping).where(LedgerMapping.kind == "tax"))
    db.session.commit()
    db.session.refresh(connection)
    with pytest.raises(ValidationFailed, match="Tax rate Sales"):
        export_invoices([invoice], provider, None)
    assert invoice.status == InvoiceStatus.DRAFT
