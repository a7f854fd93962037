"""Admin > Taxes, Rates and Products: pages, validation, the one-default rule, deleting."""

import html
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billing.settings import get_settings
from models import (
    BillingPeriod,
    Contract,
    ContractType,
    Customer,
    Product,
    Rate,
    TaxRate,
    db,
)
from tests.factories import make_invoice, make_line


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def add_tax(name: str = "VAT", percent: str = "20", is_default: bool = False, **kw) -> TaxRate:
    tax = TaxRate(name=name, percent=Decimal(percent), is_default=is_default, **kw)
    db.session.add(tax)
    db.session.commit()
    return tax


def set_country(country: str, override: str | None = None) -> None:
    settings = get_settings()
    settings.country, settings.currency_override = country, override
    db.session.commit()


def defaults() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(TaxRate.name).where(TaxRate.is_default.is_(True))))


# --- taxes ---------------------------------------------------------------------------------


def test_tax_list_shows_rates_with_exact_percentages(admin_client):
    add_tax("Sales tax NY", "8.875", is_default=True)
    add_tax("Old VAT", "19", active=False)
    page = text(admin_client.get("/admin/taxes"))
    assert "Sales tax NY" in page and "8.875 %" in page and "Default" in page
    assert "Old VAT" in page and "19 %" in page and "Inactive" in page
    assert 'href="/admin/taxes/new"' in page


def test_create_tax_rate_stores_a_decimal(admin_client):
    page = text(admin_client.get("/admin/taxes/new"))
    assert "New tax rate" in page and 'name="percent"' in page
    response = admin_client.post(
        "/admin/taxes/new", data={"name": "NY", "percent": "8.875", "active": "y"}
    )
    assert response.status_code == 302 and response.location == "/admin/taxes"
    tax = db.session.scalar(select(TaxRate))
    assert tax.percent == Decimal("8.875") and isinstance(tax.percent, Decimal)
    assert tax.active and not tax.is_default
    assert "Tax rate NY saved." in text(admin_client.get("/admin/taxes"))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "X", "percent": "abc"}, "percent", "Enter a percentage such as 8.875."),
        ({"name": "X", "percent": "100.01"}, "percent", "Enter a percentage from 0 to 100."),
        ({"name": "X", "percent": "-1"}, "percent", "Enter a percentage from 0 to 100."),
        ({"name": "X", "percent": "1.23456"}, "percent", "Use at most 4 decimals."),
        ({"name": "X", "percent": "NaN"}, "percent", "Enter a percentage such as 8.875."),
        ({"name": "", "percent": "5"}, "name", "This field is required."),
        ({"name": "vat", "percent": "5"}, "name", "A tax rate with this name exists."),
        (
            {"name": "X", "percent": "5", "is_default": "y"},
            "is_default",
            "An inactive tax rate cannot be the default.",
        ),
    ],
)
def test_invalid_tax_rate_is_refused_and_nothing_saved(admin_client, data, field, message):
    add_tax("VAT", "20")
    response = admin_client.post("/admin/taxes/new", data=data)
    assert response.status_code == 422
    page = text(response)
    assert message in page and f'class="field has-error" id="field-{field}"' in page
    assert count(TaxRate) == 1


def test_only_one_default_tax_rate(admin_client):
    admin_client.post(
        "/admin/taxes/new", data={"name": "A", "percent": "10", "is_default": "y", "active": "y"}
    )
    assert defaults() == ["A"]
    admin_client.post(
        "/admin/taxes/new", data={"name": "B", "percent": "5", "is_default": "y", "active": "y"}
    )
    assert defaults() == ["B"]
    a = db.session.scalar(select(TaxRate).where(TaxRate.name == "A"))
    response = admin_client.post(
        f"/admin/taxes/{a.id}",
        data={"name": "A", "percent": "10", "is_default": "y", "active": "y"},
    )
    assert response.status_code == 302
    assert defaults() == ["A"]
    # Saving the default again keeps it the only one.
    admin_client.post(
        f"/admin/taxes/{a.id}",
        data={"name": "A", "percent": "11", "is_default": "y", "active": "y"},
    )
    assert defaults() == ["A"]


def test_refused_default_change_keeps_the_old_default(admin_client):
    old = add_tax("Old", "10", is_default=True)
    response = admin_client.post(
        "/admin/taxes/new", data={"name": "Old", "percent": "5", "is_default": "y", "active": "y"}
    )
    assert response.status_code == 422  # name taken: the old default must not be cleared
    assert defaults() == ["Old"] and db.session.get(TaxRate, old.id).is_default


def test_edit_page_shows_the_rate_and_deactivating_keeps_it(admin_client):
    tax = add_tax("GST", "7.5")
    page = text(admin_client.get(f"/admin/taxes/{tax.id}"))
    assert 'value="GST"' in page and 'value="7.5"' in page and "can be deleted" in page
    response = admin_client.post(f"/admin/taxes/{tax.id}", data={"name": "GST", "percent": "7.5"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(TaxRate, tax.id).active is False


def test_unused_tax_rate_can_be_deleted(admin_client):
    tax = add_tax("Temp", "1")
    response = admin_client.post(f"/admin/taxes/{tax.id}/delete")
    assert response.status_code == 302
    assert count(TaxRate) == 0
    assert "Tax rate Temp deleted." in text(admin_client.get("/admin/taxes"))


def test_used_tax_rate_cannot_be_deleted(admin_client):
    tax = add_tax("VAT", "20")
    customer = Customer(name="Bob's Bakery", currency="USD")
    db.session.add_all(
        [
            Product(name="Router", unit_price_minor=100, currency="USD", tax_rate_id=tax.id),
            Contract(
                customer=customer,
                name="Support",
                type=ContractType.HOURLY,
                billing_period=BillingPeriod.MONTHLY,
                start_date=date(2025, 1, 1),
                tax_rate_id=tax.id,
            ),
        ]
    )
    make_invoice(
        customer,
        [make_line("x", 1, tax_rate_id=tax.id)],
        number="INV-1",
        issue_date=date(2025, 1, 1),
        due_date=date(2025, 1, 31),
        subtotal_minor=0,
        total_minor=0,
    )
    page = text(admin_client.get(f"/admin/taxes/{tax.id}"))
    assert "In use by 1 contract, 1 product, 1 invoice line" in page
    response = admin_client.post(f"/admin/taxes/{tax.id}/delete")
    assert response.status_code == 409
    assert "is used by 1 contract, 1 product, 1 invoice line" in text(response)
    assert "Deactivate it instead." in text(response)
    assert count(TaxRate) == 1


def test_missing_tax_rate_is_404(admin_client):
    assert admin_client.get("/admin/taxes/999").status_code == 404
    assert admin_client.post("/admin/taxes/999/delete").status_code == 404


# --- rates ---------------------------------------------------------------------------------


def test_rates_are_priced_in_the_default_currency(admin_client):
    set_country("DE")
    page = text(admin_client.get("/admin/rates/new"))
    assert "Hourly price (EUR)" in page
    response = admin_client.post(
        "/admin/rates/new", data={"name": "Standard", "hourly_price": "1.234,50", "active": "y"}
    )
    assert response.status_code == 302 and response.location == "/admin/rates"
    rate = db.session.scalar(select(Rate))
    assert (rate.hourly_price_minor, rate.currency, rate.active) == (123450, "EUR", True)
    listing = text(admin_client.get("/admin/rates"))
    assert "Standard" in listing and "1.234,50\xa0€" in listing  # German formatting


def test_rate_edit_and_deactivate(admin_client):
    rate = Rate(name="Weekend", hourly_price_minor=18000, currency="USD")
    db.session.add(rate)
    db.session.commit()
    page = text(admin_client.get(f"/admin/rates/{rate.id}"))
    assert 'value="Weekend"' in page and 'value="180.00"' in page
    response = admin_client.post(
        f"/admin/rates/{rate.id}", data={"name": "Weekend", "hourly_price": "200"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    rate = db.session.get(Rate, rate.id)
    assert rate.hourly_price_minor == 20000 and rate.active is False
    assert "Inactive" in text(admin_client.get("/admin/rates"))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "New", "hourly_price": "12.345"}, "hourly_price", "USD amounts have at most 2"),
        ({"name": "New", "hourly_price": "lots"}, "hourly_price", "Enter an amount such as"),
        ({"name": "New", "hourly_price": "-5"}, "hourly_price", "Enter an amount of zero or more."),
        ({"name": "STANDARD", "hourly_price": "5"}, "name", "A rate with this name exists."),
        ({"name": "New", "hourly_price": ""}, "hourly_price", "This field is required."),
    ],
)
def test_invalid_rate_is_refused_and_nothing_saved(admin_client, data, field, message):
    db.session.add(Rate(name="Standard", hourly_price_minor=100, currency="USD"))
    db.session.commit()
    response = admin_client.post("/admin/rates/new", data=data)
    assert response.status_code == 422
    page = text(response)
    assert message in page and f'class="field has-error" id="field-{field}"' in page
    assert count(Rate) == 1


# --- products ------------------------------------------------------------------------------


def product_form(**overrides) -> dict:
    data = {
        "name": "Firewall appliance",
        "sku": "FW-100",
        "description": "Small office firewall",
        "category": "Hardware",
        "unit_price": "499.00",
        "taxable": "y",
        "tax_rate_id": "",
        "active": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_create_product_with_a_tax_rate(admin_client):
    tax = add_tax("VAT", "20")
    page = text(admin_client.get("/admin/products/new"))
    assert "New product" in page and "VAT (20 %)" in page and "Unit price (USD)" in page
    response = admin_client.post("/admin/products/new", data=product_form(tax_rate_id=str(tax.id)))
    assert response.status_code == 302 and response.location == "/admin/products"
    product = db.session.scalar(select(Product))
    assert (product.name, product.sku, product.category) == (
        "Firewall appliance",
        "FW-100",
        "Hardware",
    )
    assert (product.unit_price_minor, product.currency) == (49900, "USD")
    assert product.taxable and product.tax_rate_id == tax.id and product.active


def test_products_in_a_currency_without_decimals(admin_client):
    set_country("JP")
    ok = admin_client.post("/admin/products/new", data=product_form(unit_price="1500"))
    assert ok.status_code == 302
    product = db.session.scalar(select(Product))
    assert (product.unit_price_minor, product.currency) == (1500, "JPY")
    refused = admin_client.post(
        "/admin/products/new", data=product_form(sku="X", unit_price="15.5")
    )
    assert refused.status_code == 422 and "JPY amounts have at most 0 decimals." in text(refused)


def test_empty_sku_is_none_and_many_products_may_have_none(admin_client):
    for name in ("Cable", "Adapter"):
        response = admin_client.post("/admin/products/new", data=product_form(name=name, sku=""))
        assert response.status_code == 302
    assert list(db.session.scalars(select(Product.sku))) == [None, None]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"sku": "fw-old"}, "sku", "Another product has this SKU."),
        ({"unit_price": "4.999"}, "unit_price", "USD amounts have at most 2 decimals."),
        ({"name": ""}, "name", "This field is required."),
        ({"taxable": None, "tax_rate_id": "TAX"}, "tax_rate_id", "A product that is not taxable"),
        ({"tax_rate_id": "999"}, "tax_rate_id", "Not a valid choice"),
        ({"tax_rate_id": "abc"}, "tax_rate_id", "“abc” is not one of its options"),
    ],
)
def test_invalid_product_is_refused_and_nothing_saved(admin_client, overrides, field, message):
    tax = add_tax("VAT", "20")
    db.session.add(Product(name="Old", sku="FW-OLD", unit_price_minor=1, currency="USD"))
    db.session.commit()
    if overrides.get("tax_rate_id") == "TAX":
        overrides = {**overrides, "tax_rate_id": str(tax.id)}  # never mutate the parameter
    response = admin_client.post("/admin/products/new", data=product_form(**overrides))
    assert response.status_code == 422
    page = text(response)
    assert message in page and f'class="field has-error" id="field-{field}"' in page
    assert count(Product) == 1


def test_inactive_tax_rate_is_not_offered_for_new_products(admin_client):
    tax = add_tax("Old VAT", "16", active=False)
    assert "Old VAT" not in text(admin_client.get("/admin/products/new"))
    response = admin_client.post("/admin/products/new", data=product_form(tax_rate_id=str(tax.id)))
    assert response.status_code == 422 and count(Product) == 0


def test_product_list_searches_name_and_sku(admin_client):
    db.session.add_all(
        [
            Product(
                name="Firewall appliance", sku="FW-100", unit_price_minor=49900, currency="USD"
            ),
            Product(name="Monitor 27 inch", sku="MON-27", unit_price_minor=25000, currency="USD"),
            Product(name="50% off setup", sku=None, unit_price_minor=0, currency="USD"),
        ]
    )
    db.session.commit()
    everything = text(admin_client.get("/admin/products"))
    assert "Firewall appliance" in everything and "Monitor 27 inch" in everything
    assert "$499.00" in everything
    by_name = text(admin_client.get("/admin/products?q=firewall"))
    assert "Firewall appliance" in by_name and "Monitor 27 inch" not in by_name
    by_sku = text(admin_client.get("/admin/products?q=mon-2"))
    assert "Monitor 27 inch" in by_sku and "Firewall appliance" not in by_sku
    assert 'value="mon-2"' in by_sku
    literal = text(admin_client.get("/admin/products?q=%25"))  # "%" is a character, not a wildcard
    assert "50% off setup" in literal and "Firewall appliance" not in literal
    none = text(admin_client.get("/admin/products?q=zzz"))
    assert "No product's name or SKU contains “zzz”." in none


def test_product_edit_and_deactivate(admin_client):
    product = Product(name="Switch", sku="SW-8", unit_price_minor=8999, currency="USD")
    db.session.add(product)
    db.session.commit()
    page = text(admin_client.get(f"/admin/products/{product.id}"))
    assert 'value="Switch"' in page and 'value="89.99"' in page and 'value="SW-8"' in page
    response = admin_client.post(
        f"/admin/products/{product.id}",
        data=product_form(name="Switch 8 port", sku="SW-8", unit_price="95", active=None),
    )
    assert response.status_code == 302
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert product.name == "Switch 8 port" and product.unit_price_minor == 9500
    assert product.active is False


def test_technicians_get_403_on_the_catalog(tech_client):
    for url in ("/admin/taxes", "/admin/taxes/new", "/admin/rates", "/admin/products"):
        assert tech_client.get(url).status_code == 403
    assert (
        tech_client.post("/admin/taxes/new", data={"name": "X", "percent": "1"}).status_code == 403
    )
    assert count(TaxRate) == 0
