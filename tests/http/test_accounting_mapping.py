"""Admin > Accounting > Mapping: dropdowns from the ledger, checked choices, and exports that
use them line by line."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import AccountingConnection, LedgerMapping, LineKind, Provider, db
from tests.factories import make_customer, make_invoice, make_line, make_product, make_tax_rate
from tests.ledgers import connect

pytestmark = pytest.mark.usefixtures("ledgers_agree")


@pytest.fixture
def app_config(qbo, xero):
    qbo.reset()
    xero.reset()
    return {**qbo.settings(), **xero.env()}


def _mapped() -> dict[str, tuple[str, str]]:
    rows = db.session.scalars(sa.select(LedgerMapping))
    return {f"{m.kind}:{m.local_key}": (m.external_id, m.external_name) for m in rows}


def test_xero_mapping_lists_what_xero_has_and_saves_all_or_nothing(admin_client, xero):
    tax = make_tax_rate(name="GST", percent=Decimal(15))
    product = make_product(name="Firewall")
    connect(Provider.XERO, xero, mapped=False)
    accounting = admin_client.get("/admin/accounting").get_data(as_text=True)
    assert "Map before exporting: Sales account for every line, GST (15 %)" in accounting
    page = admin_client.get("/admin/accounting/xero/mapping").get_data(as_text=True)
    for offered in ("210 Managed Services Revenue", "15% GST on Income (15 %)", "LABOUR Labour"):
        assert offered in page
    for not_offered in ("299 Old Sales", "090 Business Bank", "15% GST on Expenses"):
        assert not_offered not in page  # archived, not income, purchases only
    for ours in ("GST (15 %)", "Lines without tax", "Firewall: Xero item", "Block hours"):
        assert ours in page

    good = {
        "item__default": "200",
        f"tax__{tax.id}": "OUTPUT2",
        "tax__none": "NONE",
        f"product__{product.id}": "210",
        f"item_code__{product.id}": "LABOUR",
    }
    missing = admin_client.post("/admin/accounting/xero/mapping", data={**good, "tax__none": ""})
    assert missing.status_code == 422
    html = missing.get_data(as_text=True)
    assert 'id="tax__none-error">Choose what Xero should use: every export needs it.' in html
    gone = admin_client.post(
        "/admin/accounting/xero/mapping", data={**good, f"product__{product.id}": "299"}
    )
    assert gone.status_code == 422
    assert "Xero no longer offers this; choose another." in gone.get_data(as_text=True)
    assert _mapped() == {}  # nothing saved half-way

    saved = admin_client.post("/admin/accounting/xero/mapping", data=good)
    assert saved.status_code == 302
    assert _mapped()[f"product:{product.id}"] == ("210", "210 Managed Services Revenue")
    assert _mapped()[f"item_code:{product.id}"] == ("LABOUR", "LABOUR Labour")
    assert "Mapping complete." in admin_client.get("/admin/accounting").get_data(as_text=True)

    # Clearing an optional row removes it; the required ones stay.
    admin_client.post(
        "/admin/accounting/xero/mapping", data={**good, f"item_code__{product.id}": ""}
    )
    assert f"item_code:{product.id}" not in _mapped() and "item:default" in _mapped()


def test_xero_export_uses_the_product_account_and_item_code(admin_client, xero):
    tax = make_tax_rate(name="GST", percent=Decimal(15))
    product = make_product(name="Firewall")
    connect(Provider.XERO, xero, mapped=False)
    admin_client.post(
        "/admin/accounting/xero/mapping",
        data={
            "item__default": "200",
            f"tax__{tax.id}": "OUTPUT2",
            "tax__none": "NONE",
            f"product__{product.id}": "210",
            f"item_code__{product.id}": "LABOUR",
        },
    )
    customer = make_customer(name="Harbour Dental", currency="NZD")
    firewall = make_line(
        "Firewall", 10000, kind=LineKind.PRODUCT, product_id=product.id, tax_rate_id=tax.id,
        tax_name="GST", tax_percent=Decimal(15), position=0,
    )  # fmt: skip
    lines = [firewall, make_line("Onboarding", 15000, position=1)]
    invoice = make_invoice(
        customer, lines, number="INV-0042", issue_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2), tax_minor=1500, total_minor=26500,
    )  # fmt: skip
    response = admin_client.post(f"/invoices/{invoice.id}/export", data={"to": "xero"})
    assert "exported to Xero" in admin_client.get(response.location).get_data(as_text=True)
    (copy,) = xero.invoices()
    lines = {line["Description"]: line for line in copy["LineItems"]}
    assert (lines["Firewall"]["AccountCode"], lines["Firewall"]["ItemCode"]) == ("210", "LABOUR")
    assert lines["Firewall"]["TaxType"] == "OUTPUT2"
    assert (lines["Onboarding"]["AccountCode"], lines["Onboarding"]["TaxType"]) == ("200", "NONE")
    assert Decimal(str(copy["Total"])) == Decimal("265.00")


def test_quickbooks_mapping_lists_items_and_tax_codes(admin_client, qbo):
    """A US company: each of our rates maps to a sales tax code (the invoice's one sales tax);
    TAX and NON are what lines say by themselves, so they are not offered."""
    qbo.reset()
    tax = make_tax_rate(name="Sales tax", percent=Decimal("8.25"))
    connect(Provider.QUICKBOOKS, qbo, mapped=False)
    page = admin_client.get("/admin/accounting/quickbooks/mapping").get_data(as_text=True)
    assert "Income item for every line" in page
    assert "US sales tax: one rate per invoice" in page
    assert '<option value="1">Services</option>' in page
    assert '<option value="2">California</option>' in page
    assert '<option value="4">Combined: Austin</option>' in page
    assert '<option value="TAX">' not in page and '<option value="NON">' not in page
    assert "Lines without tax" not in page  # a US line says NON by itself
    data = {"item__default": "1", f"tax__{tax.id}": "2"}
    saved = admin_client.post("/admin/accounting/quickbooks/mapping", data=data)
    assert saved.status_code == 302
    assert _mapped() == {"item:default": ("1", "Services"), f"tax:{tax.id}": ("2", "California")}


def test_a_global_quickbooks_company_maps_a_code_per_rate_and_for_untaxed_lines(admin_client, qbo):
    qbo.reset()
    qbo.configure(tax_model="global")
    tax = make_tax_rate(name="VAT", percent=Decimal("20"))
    connect(Provider.QUICKBOOKS, qbo, mapped=False)
    page = admin_client.get("/admin/accounting/quickbooks/mapping").get_data(as_text=True)
    assert "a tax code per line" in page and "Lines without tax" in page
    assert '<option value="3">20.0% S</option>' in page and '<option value="TAX">' not in page
    data = {"item__default": "1", f"tax__{tax.id}": "3", "tax__none": "6"}
    assert admin_client.post("/admin/accounting/quickbooks/mapping", data=data).status_code == 302
    assert _mapped()["tax:none"] == ("6", "Exempt")
    db.session.expire_all()
    assert db.session.scalar(sa.select(AccountingConnection.tax_model)) == "global"


def test_the_mapping_page_says_when_the_connection_must_be_made_again(admin_client, xero):
    connection = connect(Provider.XERO, xero)
    connection.needs_reconnect = True
    db.session.commit()
    response = admin_client.get("/admin/accounting/xero/mapping")
    assert response.status_code == 409
    assert "needs to be reconnected in Admin &gt; Accounting" in response.get_data(as_text=True)


def test_without_a_connection_the_mapping_page_sends_you_to_connect(admin_client):
    response = admin_client.get("/admin/accounting/quickbooks/mapping")
    assert response.status_code == 302
    page = admin_client.get(response.location).get_data(as_text=True)
    assert "Connect QuickBooks Online first; then map." in page


def test_technicians_cannot_see_or_change_the_mapping(tech_client, xero):
    connect(Provider.XERO, xero)
    assert tech_client.get("/admin/accounting/xero/mapping").status_code == 403
    response = tech_client.post("/admin/accounting/xero/mapping", data={"item__default": "210"})
    assert response.status_code == 403
    assert _mapped()["item:default"] == ("200", "")
