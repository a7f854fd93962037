"""Shared set-up for the tests that export to the QuickBooks and Xero fakes.

``connect`` stores a connection with tokens the fake really issued (no browser dance), and
the mapping the seeded fakes need; ``make_invoices`` makes Drafts with a taxed and an
untaxed line; ``ledger_totals`` reads the fake's copies back.
"""

from datetime import date, timedelta
from decimal import Decimal

import requests
import sqlalchemy as sa

from clock import utcnow
from models import (
    AccountingConnection,
    Invoice,
    InvoiceLine,
    LedgerMapping,
    LineKind,
    Provider,
    TaxRate,
    db,
)
from tests.factories import make_customer
from tests.fakes.xero_seed import DEFAULT_TENANT_ID

# What each seeded fake offers: (income item / sales account, tax code for our 8.25 % rate,
# untaxed). QuickBooks' US company has one sales tax per invoice: its California code is
# 8.25 % in the fake's own table; its lines say TAX or NON whatever is mapped for them.
SEEDED = {Provider.QUICKBOOKS: ("1", "2", "NON"), Provider.XERO: ("200", "OUTPUT2", "NONE")}
SEEDED_GLOBAL_QBO = ("1", "3", "6")  # a UK company: 20.0% S, Exempt
RATE = Decimal("8.25")
INVOICE_TOTAL = Decimal("288.24")  # what make_invoices bills: 180.00 + 99.99 + 8.25 tax


def prepare_fake(provider: Provider, fake, tax_model: str = "us") -> None:
    """Reset ``fake``; a QuickBooks fake becomes a company of ``tax_model`` ("us" or
    "global")."""
    fake.reset()
    if provider == Provider.QUICKBOOKS:
        fake.configure(tax_model=tax_model)


def ledger_invoices(provider: Provider, fake) -> list[dict]:
    """Every invoice the fake holds, as its API would return it."""
    if provider == Provider.QUICKBOOKS:
        return fake.entities("Invoice")
    return fake.invoices()


def fake_settings(provider: Provider, fake) -> dict[str, str]:
    """The app settings that point ``provider`` at ``fake``."""
    return fake.settings() if provider == Provider.QUICKBOOKS else fake.env()


def connect(
    provider: Provider, fake, *, expires_in: timedelta = timedelta(minutes=20), mapped=True
) -> AccountingConnection:
    """A committed connection holding tokens ``fake`` issued, mapped unless told not to."""
    if provider == Provider.QUICKBOOKS:
        token, tenant = fake.tokens(), fake.realm_id
    else:
        token, tenant = fake.issue_token(), DEFAULT_TENANT_ID
    model = ""
    if provider == Provider.QUICKBOOKS:
        model = fake.store.config.tax_model  # "us" or "global" (no automated sales tax here)
    connection = AccountingConnection(
        provider=provider,
        tenant_id=tenant,
        company_name="Fake",
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        expires_at=utcnow() + expires_in,
        tax_model=model,
    )
    db.session.add(connection)
    db.session.flush()
    if mapped:
        item, tax, untaxed = SEEDED_GLOBAL_QBO if model == "global" else SEEDED[provider]
        rows = [("item", "default", item), ("tax", "none", untaxed)]
        rows += [("tax", str(rate.id), tax) for rate in db.session.scalars(sa.select(TaxRate))]
        for kind, key, value in rows:
            db.session.add(
                LedgerMapping(
                    connection_id=connection.id, kind=kind, local_key=key, external_id=value
                )
            )
    db.session.commit()
    return connection


def make_invoices(count: int, customers: int = 3) -> list[Invoice]:
    """``count`` Drafts (USD 288.24 each: 180.00 untaxed + 99.99 with 8.25 % tax)."""
    rate = TaxRate(name="Sales", percent=RATE)
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
                        tax_name="Sales", tax_percent=RATE),
        ]  # fmt: skip
        invoice.subtotal_minor, invoice.tax_minor, invoice.total_minor = 27999, 825, 28824
        invoices.append(invoice)
    db.session.add_all(invoices)
    db.session.commit()
    return invoices


def ledger_totals(provider: Provider, fake) -> dict[str, Decimal]:
    """``{invoice number: total}`` of every invoice the fake holds."""
    if provider == Provider.QUICKBOOKS:
        return {i["DocNumber"]: Decimal(str(i["TotalAmt"])) for i in fake.entities("Invoice")}
    return {i["InvoiceNumber"]: Decimal(str(i["Total"])) for i in fake.invoices()}


def revoke_at_ledger(provider: Provider, fake, refresh_token: str) -> None:
    """Revoke the token at the fake, as an admin disconnecting the app in the ledger would."""
    settings = fake_settings(provider, fake)
    prefix = provider.value.upper()
    auth = (settings[f"{prefix}_CLIENT_ID"], settings[f"{prefix}_CLIENT_SECRET"])
    url = settings[f"{prefix}_REVOKE_URL"]
    if provider == Provider.QUICKBOOKS:
        response = requests.post(url, json={"token": refresh_token}, auth=auth, timeout=5)
    else:
        response = requests.post(url, data={"token": refresh_token}, auth=auth, timeout=5)
    assert response.status_code == 200, response.text


def api_requests(provider: Provider, fake) -> list[str]:
    """``"METHOD path"`` of every accounting API request the fake has served since its reset
    (OAuth and test-control requests left out)."""
    if provider == Provider.QUICKBOOKS:
        with fake.store.lock:
            log = list(fake.store.log)
        prefix = "/v3/"
    else:
        with fake.state.lock:
            log = list(fake.state.requests)
        prefix = "/api.xro/"
    return [f"{e['method']} {e['path']}" for e in log if e["path"].startswith(prefix)]


def seed_customers(provider: Provider, fake, names: list[str]) -> None:
    """Customers the ledger already has (the MSP kept its books there before us), created
    through the API with requests of their own."""
    from integrations import quickbooks, xero

    if provider == Provider.QUICKBOOKS:
        client = quickbooks.QuickBooksClient(
            fake.api_base_url, fake.realm_id, fake.tokens()["access_token"]
        )
        items = [
            {"bId": f"s{n}", "operation": "create", "Customer": {"DisplayName": name}}
            for n, name in enumerate(names)
        ]
        assert all(r.ok for r in client.batch(items).values())
    else:
        client = xero.XeroClient(
            fake.env()["XERO_API_BASE_URL"], DEFAULT_TENANT_ID, fake.issue_token()["access_token"]
        )
        payloads = [xero.build_contact_payload(name, None) for name in names]
        for start in range(0, len(payloads), xero.MAX_ELEMENTS):
            chunk = payloads[start : start + xero.MAX_ELEMENTS]
            assert all(r.ok for r in client.create_contacts(chunk, f"seed-{start}-{len(names)}"))


def open_currencies(provider: Provider, fake, codes: set[str]) -> None:
    """Let the ledger take invoices in ``codes`` (multicurrency on; Xero subscribed)."""
    if provider == Provider.QUICKBOOKS:
        fake.configure(multicurrency=True)
        return
    with fake.state.lock:
        held = fake.state.tenants[DEFAULT_TENANT_ID].currencies
        known = {c["Code"] for c in held}
        held.extend({"Code": c, "Description": c} for c in sorted(codes - known))


def seed_foreign_invoice(provider: Provider, fake, number: str, customer: str) -> None:
    """An invoice typed into the ledger by hand, for another customer, under ``number``."""
    from integrations import quickbooks, xero

    if provider == Provider.QUICKBOOKS:
        client = quickbooks.QuickBooksClient(
            fake.api_base_url, fake.realm_id, fake.tokens()["access_token"]
        )
        made = client.create_customer({"DisplayName": customer}, request_id=f"seed-{customer}")
        lines = [quickbooks.InvoiceLine(item_id="1", unit_price=Decimal(50), tax_code="NON")]
        payload = quickbooks.build_invoice_payload(
            customer_id=made["Id"], lines=lines, doc_number=number
        )
        client.create_invoice(payload, request_id=f"seed-{number}")
        return
    client = xero.XeroClient(
        fake.env()["XERO_API_BASE_URL"], DEFAULT_TENANT_ID, fake.issue_token()["access_token"]
    )
    (contact,) = client.create_contacts([xero.build_contact_payload(customer)], f"seed-{customer}")
    line = xero.XeroLine("By hand", Decimal(1), Decimal(50), account_code="200", tax_type="NONE")
    payload = xero.build_invoice_payload(
        contact_id=contact.id, lines=[line], invoice_number=number, due_date="2026-12-01"
    )
    (result,) = client.put_invoices([payload], f"seed-{number}")
    assert result.ok, result.errors


def assert_ledgers_agree(fakes: dict[Provider, object]) -> int:
    """Every invoice recorded as exported is in its fake with the total we recorded, and that
    total is ours unless the export was recorded as "with a difference". Returns how many
    exports were checked."""
    from models import ExportState, InvoiceExport

    db.session.expire_all()
    checked = 0
    exports = db.session.scalars(
        sa.select(InvoiceExport).where(InvoiceExport.state == ExportState.EXPORTED)
    ).all()
    totals = {provider: ledger_totals(provider, fake) for provider, fake in fakes.items()}
    for export in exports:
        invoice = export.invoice
        booked = totals[export.provider].get(invoice.number)
        assert booked is not None, f"{invoice.number} is not in {export.provider.label}"
        assert booked == export.ledger_total, (invoice.number, booked, export.ledger_total)
        ours = Decimal(invoice.total_minor).scaleb(-_precision(invoice.currency))
        assert (booked != ours) == export.total_differs, (invoice.number, booked, ours)
        checked += 1
    return checked


def _precision(currency: str) -> int:
    from billing.money import precision

    return precision(currency)
