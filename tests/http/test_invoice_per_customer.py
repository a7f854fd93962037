"""One invoice per customer: a customer setting that puts all its contracts on one invoice, a
section per contract, tax per rate over the whole invoice (issue 12, item 7)."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from models import BillingPeriod, ContractCharge, ContractType, Invoice, db
from tests.factories import make_contract, make_customer, make_tax_rate

NOV = date(2026, 11, 1)


@pytest.fixture
def app_config():
    return {"BILLING_TODAY": "2026-12-03"}


def _customer_with_two_retainers(grouping: str):
    """Two $1.05 monthly retainers at 10 %: 11 cents of tax each when billed apart (10.5
    rounded half-up), 21 cents on one invoice (21.0)."""
    vat = make_tax_rate(name="Sales tax", percent=Decimal("10"))
    customer = make_customer(name="Alder Street Bakery", invoice_grouping=grouping)
    for name in ("Managed IT", "Backup"):
        make_contract(customer, name=name, type=ContractType.RETAINER, start_date=NOV,
                      billing_period=BillingPeriod.MONTHLY, quantity=Decimal(1),
                      unit_price_minor=105, tax_rate=vat, taxable=True)  # fmt: skip
    return customer


def _bill(runner):
    result = runner.invoke(
        args=["batches", "create", "--start", "2026-11-01", "--end", "2026-11-30"]
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_the_setting_is_on_the_customer_form(admin_client):
    customer = make_customer(name="Bright Vets")
    page = admin_client.get(f"/customers/{customer.id}/edit").get_data(as_text=True)
    assert "One invoice for all its contracts (a section per contract)" in page
    form = {"name": "Bright Vets", "billing_emails": "ap@bright-vets.com", "currency": "USD",
            "active": "y", "invoice_grouping": "customer"}  # fmt: skip
    saved = admin_client.post(f"/customers/{customer.id}/edit", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    db.session.expire_all()
    assert customer.invoice_grouping == "customer"
    form["invoice_grouping"] = "weekly"
    refused = admin_client.post(f"/customers/{customer.id}/edit", data=form)
    assert refused.status_code == 422
    assert "Choose how this customer" in refused.get_data(as_text=True)


def test_one_invoice_per_contract_is_the_default(runner):
    _customer_with_two_retainers("contract")
    assert "2 invoices saved" in _bill(runner)
    taxes = sorted(db.session.scalars(sa.select(Invoice.tax_minor)))
    assert taxes == [11, 11]


def test_one_invoice_per_customer_has_a_section_per_contract_and_tax_over_it(admin_client, runner):
    _customer_with_two_retainers("customer")
    builder = admin_client.get("/batches/new?start=2026-11-01&end=2026-11-30").get_data(
        as_text=True
    )
    assert 'data-figure="invoices">1<' in builder and "$2.31" in builder  # 2.10 + 0.21
    assert "1 invoice saved" in _bill(runner)
    (invoice,) = db.session.scalars(sa.select(Invoice)).all()
    assert invoice.contract_id is None
    assert (invoice.subtotal_minor, invoice.tax_minor, invoice.total_minor) == (210, 21, 231)
    charges = db.session.scalars(sa.select(ContractCharge.invoice_id)).all()
    assert charges == [invoice.id, invoice.id]  # each contract's period charged on it
    page = admin_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    for name in ("Managed IT", "Backup"):
        assert f"{name} · 01 Nov 2026 – 30 Nov 2026" in page
    pdf = admin_client.get(f"/invoices/{invoice.id}/pdf").get_data()
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    assert "Managed IT · 01 Nov 2026 – 30 Nov 2026" in text and "Backup · 01 Nov" in text
