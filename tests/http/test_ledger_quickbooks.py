"""Through the app's routes, against the QuickBooks fake: the US and global tax models, edits
made in QuickBooks, names it refuses, and totals it books differently from ours."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from billing.money import div_half_up
from models import (
    AccountingConnection,
    ExportState,
    Invoice,
    InvoiceExport,
    InvoiceLine,
    LedgerMapping,
    LineKind,
    Provider,
    TaxRate,
    db,
)
from tests.factories import make_customer, make_invoice
from tests.ledgers import (
    INVOICE_TOTAL,
    api_requests,
    connect,
    ledger_invoices,
    ledger_totals,
    make_invoices,
    prepare_fake,
)

pytestmark = pytest.mark.usefixtures("ledgers_agree")

QBO = Provider.QUICKBOOKS


@pytest.fixture
def app_config(qbo):
    prepare_fake(QBO, qbo)
    return qbo.settings()


def _export(client, invoices) -> str:
    ids = [str(i.id) for i in invoices]
    response = client.post("/invoices/bulk/export", data={"to": "quickbooks", "ids": ids})
    assert response.status_code == 302
    return client.get(response.location).get_data(as_text=True)


def _export_of(invoice_id: int) -> InvoiceExport | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(InvoiceExport).where(InvoiceExport.invoice_id == invoice_id))


def _two_rate_invoice(state: TaxRate, city: TaxRate) -> Invoice:
    """USD 100.00 at each rate; our tax once per rate."""
    lines = [
        InvoiceLine(kind=LineKind.PRODUCT, description=name, quantity=Decimal(1),
                    unit_price_minor=10000, amount_minor=10000, position=n, tax_rate_id=rate.id,
                    tax_name=rate.name, tax_percent=rate.percent)
        for n, (name, rate) in enumerate([("Laptop", state), ("Dock", city)])
    ]  # fmt: skip
    tax = sum(div_half_up(10000 * int(rate.percent * 100), 10000) for rate in (state, city))
    customer = make_customer(name="Austin Dental")
    return make_invoice(customer, lines, number="INV-0100", tax_minor=tax, total_minor=20000 + tax)


def _rates() -> tuple[TaxRate, TaxRate]:
    state, city = TaxRate(name="Texas", percent=Decimal("6.25")), TaxRate(name="Austin", percent=2)
    db.session.add_all([state, city])
    db.session.commit()
    return state, city


def _map(connection: AccountingConnection, taxes: dict, untaxed: str | None = None) -> None:
    """The income item "Services" and ``taxes`` ({our rate: QuickBooks code})."""
    rows = [("item", "default", "1"), *(("tax", str(k), v) for k, v in taxes.items())]
    if untaxed:
        rows.append(("tax", "none", untaxed))
    for kind, key, value in rows:
        db.session.add(LedgerMapping(connection_id=connection.id, kind=kind, local_key=key,
                                     external_id=value))  # fmt: skip
    db.session.commit()


def test_us_company_two_rates_to_two_codes_are_refused_before_sending(admin_client, qbo):
    state, city = _rates()
    invoice = _two_rate_invoice(state, city)
    _map(connect(QBO, qbo, mapped=False), {state.id: "2", city.id: "3"})
    page = _export(admin_client, [invoice])
    assert "QuickBooks (US) charges one sales tax per invoice" in page
    assert "Austin (2 %), Texas (6.25 %)" in page and "combined rate" in page
    assert "Nothing was sent" in page
    assert ledger_invoices(QBO, qbo) == []
    assert _export_of(invoice.id).state == ExportState.FAILED


def test_us_company_two_rates_mapped_to_a_combined_code_go_as_one_sales_tax(admin_client, qbo):
    state, city = _rates()
    invoice = _two_rate_invoice(state, city)
    _map(connect(QBO, qbo, mapped=False), {state.id: "4", city.id: "4"})  # Combined: Austin
    page = _export(admin_client, [invoice])
    assert "1 invoice exported to QuickBooks Online" in page
    (copy,) = ledger_invoices(QBO, qbo)
    assert copy["TxnTaxDetail"]["TxnTaxCodeRef"]["value"] == "4"
    codes = {line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in copy["Line"][:-1]}
    assert codes == {"TAX"}  # a US line says TAX or NON, never a rate
    # QuickBooks charged 8.25 % of 200.00 on its own: 16.50; we charge 6.25 + 2.00 = 8.25
    assert ledger_totals(QBO, qbo) == {"INV-0100": Decimal("216.50")}
    export = _export_of(invoice.id)
    assert export.has_difference and export.ledger_total == Decimal("216.50")


def test_global_company_two_rates_keep_a_code_per_line(admin_client, qbo):
    prepare_fake(QBO, qbo, "global")
    standard, reduced = TaxRate(name="VAT", percent=20), TaxRate(name="VAT reduced", percent=5)
    db.session.add_all([standard, reduced])
    db.session.commit()
    invoice = _two_rate_invoice(standard, reduced)
    _map(connect(QBO, qbo, mapped=False), {standard.id: "3", reduced.id: "4"}, untaxed="6")
    page = _export(admin_client, [invoice])
    assert "1 invoice exported to QuickBooks Online" in page
    (copy,) = ledger_invoices(QBO, qbo)
    codes = [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in copy["Line"][:-1]]
    assert codes == ["3", "4"] and "TxnTaxCodeRef" not in copy["TxnTaxDetail"]
    assert ledger_totals(QBO, qbo) == {"INV-0100": Decimal("225.00")}
    assert not _export_of(invoice.id).has_difference


def test_a_difference_is_shown_on_the_invoice_and_listed_on_the_billing_page(admin_client, qbo):
    (invoice,) = make_invoices(1, customers=1)
    connection = connect(QBO, qbo)
    taxes = sa.select(LedgerMapping).where(LedgerMapping.kind == "tax")
    rate = db.session.scalar(taxes.where(LedgerMapping.local_key != "none"))
    rate.external_id = "3"  # Travis County, 2 %: QuickBooks charges 2.00 where we charge 8.25
    db.session.commit()
    flashed = _export(admin_client, [invoice])  # the count does not hide it
    assert "INV-0001: Exported to QuickBooks Online" in flashed
    assert "Exported with a difference: QuickBooks Online booked $281.99" in flashed
    page = admin_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Exported with a difference" in page
    said = " ".join(page.split())  # QuickBooks charged 2 % of 99.99: 2.00, we 8.25
    assert (
        "booked <strong>$281.99</strong> where this invoice says <strong>$288.24</strong>" in said
    )
    listed = admin_client.get("/billing?export=difference").get_data(as_text=True)
    assert "INV-0001" in listed
    other = make_invoice(number="INV-0900")  # never exported
    assert other.number not in admin_client.get("/billing?export=difference").get_data(as_text=True)
    connection_id = connection.id
    assert db.session.get(AccountingConnection, connection_id).tax_model == "us"


def test_an_edit_in_quickbooks_does_not_make_re_exports_fail_and_is_kept(admin_client, qbo):
    (invoice,) = make_invoices(1, customers=1)
    connect(QBO, qbo)
    _export(admin_client, [invoice])
    ledger_id = _export_of(invoice.id).external_id
    qbo.edit_in_ledger("Invoice", ledger_id, CustomerMemo={"value": "PO 4471 from the client"})
    qbo.edit_in_ledger("Invoice", ledger_id, PrivateNote="Checked by the bookkeeper")
    page = _export(admin_client, [invoice])
    assert "1 invoice exported to QuickBooks Online" in page, page
    (copy,) = ledger_invoices(QBO, qbo)
    assert copy["SyncToken"] == "3"  # two edits there, then ours
    assert copy["CustomerMemo"] == {"value": "PO 4471 from the client"}  # a sparse update
    assert copy["PrivateNote"] == "Checked by the bookkeeper"
    assert ledger_totals(QBO, qbo) == {"INV-0001": INVOICE_TOTAL}


def test_a_name_taken_by_a_vendor_fails_only_that_customers_invoices(admin_client, qbo):
    invoices = make_invoices(3, customers=3)  # Client 0, Client 1, Client 2
    connect(QBO, qbo)
    qbo.add_name("Vendor", "Client 1")
    page = _export(admin_client, invoices)
    assert "2 invoices exported to QuickBooks Online" in page
    assert "INV-0002: Its customer Client 1 could not be exported" in page
    assert "unique across all three" in page and "Map items and taxes" in page
    assert set(ledger_totals(QBO, qbo)) == {"INV-0001", "INV-0003"}
    # The admin picks the ledger customer by hand on the mapping page; then it goes.
    other = next(c for c in qbo.entities("Customer") if c["DisplayName"] == "Client 0")
    customer_id = invoices[1].customer_id
    form = {"item__default": "1", "tax__none": "", f"customer__{customer_id}": other["Id"]}
    rate_id = invoices[0].lines[1].tax_rate_id
    form[f"tax__{rate_id}"] = "2"
    saved = admin_client.post("/admin/accounting/quickbooks/mapping", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    page = _export(admin_client, [invoices[1]])
    assert "1 invoice exported to QuickBooks Online" in page
    copy = next(c for c in ledger_invoices(QBO, qbo) if c["DocNumber"] == "INV-0002")
    assert copy["CustomerRef"]["value"] == other["Id"]


def test_names_and_numbers_quickbooks_cannot_take_are_refused_before_sending(admin_client, qbo):
    invoices = make_invoices(3, customers=3)
    invoices[0].customer.name = "Acme: Head Office"
    invoices[2].number = "INV-2026-11-LONG-00001"  # 22 characters
    db.session.commit()
    connect(QBO, qbo)
    page = _export(admin_client, invoices)
    assert "1 invoice exported to QuickBooks Online" in page
    assert "does not allow &#39;:&#39; in a customer name (Acme: Head Office)" in page
    assert "at most 21 characters; INV-2026-11-LONG-00001 has 22" in page
    assert set(ledger_totals(QBO, qbo)) == {"INV-0002"}
    sent = " ".join(str(c.get("DisplayName")) for c in qbo.entities("Customer"))
    assert "Acme" not in sent
    assert all("query" in r or "batch" in r for r in api_requests(QBO, qbo))


def test_a_throttle_asking_for_a_minute_fails_clearly_and_changes_nothing(admin_client, qbo):
    (invoice,) = make_invoices(1, customers=1)
    connect(QBO, qbo)
    qbo.fail_next(429, path=f"/v3/company/{qbo.realm_id}/query", retry_after="60")
    page = _export(admin_client, [invoice])
    assert "QuickBooks Online is limiting how fast it accepts requests and asked to wait 60 s" in (
        page
    )
    assert "Nothing was changed" in page and ledger_invoices(QBO, qbo) == []


def test_automated_sales_tax_is_detected_at_export_and_its_figure_compared(admin_client, qbo):
    """A connection made before the tax model was known: the first export reads it. With
    automated sales tax QuickBooks works the tax out itself; no tax code is mapped or sent."""
    qbo.configure(automated_sales_tax=True)  # QuickBooks charges its own 8.875 %
    (invoice,) = make_invoices(1, customers=1)
    connection = connect(QBO, qbo, mapped=False)
    connection.tax_model = ""
    _map(connection, {})
    page = _export(admin_client, [invoice])
    assert "1 invoice exported to QuickBooks Online" in page, page
    db.session.expire_all()
    assert db.session.get(AccountingConnection, connection.id).tax_model == "us_ast"
    (copy,) = ledger_invoices(QBO, qbo)
    assert "TxnTaxCodeRef" not in copy["TxnTaxDetail"]
    assert ledger_totals(QBO, qbo) == {"INV-0001": Decimal("288.86")}  # 99.99 x 8.875 %
    assert _export_of(invoice.id).has_difference


def test_a_name_freed_in_quickbooks_is_not_met_by_a_replayed_refusal(admin_client, qbo):
    (invoice,) = make_invoices(1, customers=1)
    connect(QBO, qbo)
    vendor = qbo.add_name("Vendor", "Client 0")
    assert "unique across all three" in _export(admin_client, [invoice])
    qbo.edit_in_ledger("Vendor", vendor["Id"], DisplayName="Client 0 (supplier)")
    page = _export(admin_client, [invoice])
    assert "1 invoice exported to QuickBooks Online" in page
    assert ledger_totals(QBO, qbo) == {"INV-0001": INVOICE_TOTAL}
