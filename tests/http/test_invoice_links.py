"""The ways to a flexible invoice and to an invoice's page: the "New invoice" buttons of the
Billing and customer pages, and the invoice numbers of a batch and of a customer."""

import re
from datetime import date
from html import unescape

from models import InvoiceBatch, db
from tests.factories import make_contract, make_customer, make_invoice


def text(response) -> str:
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def test_billing_page_offers_a_new_invoice_to_admins(admin_client):
    page = text(admin_client.get("/billing"))
    assert '<a class="button" href="/invoices/new">New invoice</a>' in page
    assert page.index("New invoice") < page.index("New batch")


def test_technicians_get_no_new_invoice_button(billing_tech_client):
    customer = make_customer(name="Acme Dental")
    assert "New invoice" not in text(billing_tech_client.get("/billing"))  # only admins create one
    assert "New invoice" not in text(billing_tech_client.get(f"/customers/{customer.id}"))


def test_customer_page_new_invoice_starts_with_that_customer(admin_client):
    acme = make_customer(name="Acme Dental")
    make_contract(make_customer(name="Bistro"), name="Bistro support")
    make_contract(acme, name="Managed IT")
    page = text(admin_client.get(f"/customers/{acme.id}"))
    link = re.search(r'<a class="button" href="([^"]+)">New invoice</a>', page).group(1)
    assert link == f"/invoices/new?customer_id={acme.id}"
    form = text(admin_client.get(link))
    assert f'<option selected value="{acme.id}">Acme Dental</option>' in form
    assert "Managed IT" in form and "Bistro support" not in form  # only its contracts


def test_an_inactive_customer_gets_no_new_invoice_button(admin_client):
    gone = make_customer(name="Gone Ltd", active=False)
    page = text(admin_client.get(f"/customers/{gone.id}"))
    assert "Gone Ltd" in page and "New invoice" not in page


def test_invoice_numbers_link_to_the_invoice_from_a_batch_and_a_customer(admin_client):
    customer = make_customer(name="Acme Dental")
    batch = InvoiceBatch(
        name="March run", period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)
    )
    db.session.add(batch)
    invoice = make_invoice(customer, number="INV-0042", batch=batch)
    db.session.commit()
    link = f'<a href="/invoices/{invoice.id}">INV-0042</a>'
    assert link in text(admin_client.get(f"/batches/{batch.id}"))
    assert link in text(admin_client.get(f"/customers/{customer.id}"))
