"""Seeing billing is a permission (issue #13, item 10): off for technicians unless an admin
allows it; admins always see billing. With it, a technician reads invoices but changes nothing."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from blueprints.auth.access import BILLING_BLUEPRINTS, BILLING_ENDPOINTS
from models import (
    BulkJob,
    Invoice,
    InvoiceBatch,
    InvoiceStatus,
    TicketStatus,
    User,
    db,
)
from tests.conftest import log_in
from tests.factories import make_customer, make_invoice, make_line, make_ticket

REFUSAL = "Billing (invoices, batches and their amounts) is not open to you"
# What a technician allowed to see billing may do there: read. Everything else is admins'.
READ_ONLY = {
    "invoices.detail",
    "invoices.logo",
    "invoices.pdf",
    "invoices.einvoice",
    "invoices.bulk_einvoices",
    "invoices.bulk_pdf",
    "invoices.bulk_job",
    "invoices.bulk_job_next",
    "invoices.bulk_job_zip",
    "batches.index",
    "batches.detail",
    "main.billing",
    "main.billing_totals",
    "credit_notes.index",
    "credit_notes.detail",
    "credit_notes.pdf",
    "credit_notes.einvoice",
    "reports.receivables",
    "reports.receivables_csv",
    "reports.receivables_invoices",
    "reports.statement",
    "reports.statement_pdf",
    "reports.statement_csv_view",
}


@pytest.fixture
def book(app, admin):
    """A customer with a billed ticket, a batch, an invoice of 4,321.09 with a line, and a job
    of the admin's."""
    customer = make_customer(name="Acme Dental")
    batch = InvoiceBatch(
        name="March 2026", period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)
    )
    db.session.add(batch)
    db.session.flush()
    ticket = make_ticket(status=TicketStatus.CLOSED, title="Billed printer fix")
    ticket.batch_id = batch.id
    line = make_line("Onboarding", 432109, position=0)
    invoice = make_invoice(customer, [line], number="INV-7777", batch_id=batch.id)
    job = BulkJob(id="a" * 32, user_id=admin.id, action="pdf", invoice_ids=[invoice.id])
    db.session.add(job)
    db.session.commit()
    return {"customer": customer, "batch": batch, "ticket": ticket, "invoice": invoice,
            "line": line, "job": job}  # fmt: skip


def billing_urls(app, book) -> list[tuple[str, str, str]]:
    """``(endpoint, method, url)`` of every billing view, path arguments filled with real ids."""
    values = {
        "invoice_id": book["invoice"].id,
        "line_id": book["line"].id,
        "batch_id": book["batch"].id,
        "job_id": book["job"].id,
    }
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            blueprint = rule.endpoint.partition(".")[0]
            if blueprint not in BILLING_BLUEPRINTS and rule.endpoint not in BILLING_ENDPOINTS:
                continue
            url = rule.build({name: values.get(name, 1) for name in rule.arguments})[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, method, url))
    return found


def test_every_billing_view_is_403_in_words_for_a_technician(app, tech_client, book):
    urls = billing_urls(app, book)
    endpoints = {endpoint for endpoint, _, _ in urls}
    # the walk covers the invoices and batches blueprints and the Billing page's own views
    assert {"invoices.detail", "invoices.pdf", "invoices.bulk_pdf", "invoices.bulk_send",
            "invoices.bulk_export", "invoices.line_edit", "invoices.bulk_job_zip",
            "batches.index", "batches.detail", "batches.new", "main.billing",
            "main.billing_totals", "main.bulk_status"} <= endpoints  # fmt: skip
    assert len(urls) > 30
    form = {"ids": [str(book["invoice"].id)], "to": "xero", "status": "sent"}
    for endpoint, method, url in urls:
        response = tech_client.open(url, method=method, data=form if method == "POST" else None)
        assert response.status_code == 403, (endpoint, method, url, response.status_code)
        assert REFUSAL in response.get_data(as_text=True), (endpoint, url)
    # nothing happened on the way
    invoice = db.session.get(Invoice, book["invoice"].id)
    assert invoice.status == InvoiceStatus.DRAFT and len(invoice.lines) == 1
    assert db.session.get(BulkJob, "a" * 32).done == 0
    assert db.session.scalar(sa.select(sa.func.count(InvoiceBatch.id))) == 1


def test_htmx_refusal_is_a_fragment_for_the_flash_area(tech_client, book):
    response = tech_client.get("/billing", headers={"HX-Request": "true"})
    assert response.status_code == 403 and response.headers["HX-Retarget"] == "#flash"
    assert REFUSAL in response.get_data(as_text=True)


def _nav(page: str) -> str:
    return re.search(r'<nav aria-label="Main".*?</nav>', page, re.S).group(0)


def test_a_technician_sees_no_billing_link_invoice_or_amount(tech_client, book):
    home = tech_client.get("/")
    assert home.status_code == 302 and home.location == "/tickets"
    ticket, customer = book["ticket"], book["customer"]
    pages = {
        url: tech_client.get(url)
        for url in (
            "/tickets",
            f"/tickets/{ticket.id}",
            "/customers",
            f"/customers/{customer.id}",
            "/contracts",
        )  # fmt: skip
    }
    for url, response in pages.items():
        page = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "Billing</a>" not in _nav(page) and "/billing" not in page, url
        assert "INV-7777" not in page and "4,321.09" not in page, url
        assert "/invoices/" not in page and "/batches/" not in page, url
    ticket_page = pages[f"/tickets/{ticket.id}"].get_data(as_text=True)
    assert "Billed by batch March 2026." in " ".join(ticket_page.split())  # the name, no link
    assert ">Tickets</a>" in _nav(ticket_page)


def test_an_admin_grants_it_and_the_technician_then_reads_billing(app, admin, technician, book):
    admin_client = log_in(app.test_client(), admin)
    form = admin_client.get(f"/admin/users/{technician.id}").get_data(as_text=True)
    assert 'name="can_see_billing"' in form and "checked" not in _checkbox(form)
    response = admin_client.post(
        f"/admin/users/{technician.id}",
        data={"name": technician.name, "role": "technician", "active": "y",
              "can_see_billing": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, technician.id).can_see_billing
    assert "checked" in _checkbox(
        admin_client.get(f"/admin/users/{technician.id}").get_data(as_text=True)
    )
    assert "Sees billing" in admin_client.get("/admin/users").get_data(as_text=True)

    tech = log_in(app.test_client(), db.session.get(User, technician.id))
    assert tech.get("/").location == "/billing"
    billing = tech.get("/billing").get_data(as_text=True)
    assert "Billing</a>" in _nav(billing) and "INV-7777" in billing and "4,321.09" in billing
    invoice = book["invoice"]
    assert "INV-7777" in tech.get(f"/customers/{book['customer'].id}").get_data(as_text=True)
    assert tech.get(f"/invoices/{invoice.id}").status_code == 200
    assert tech.get(f"/invoices/{invoice.id}/pdf").data.startswith(b"%PDF")
    assert "Credit notes" in tech.get("/billing/credit-notes").get_data(as_text=True)
    assert "Receivables" in tech.get("/reports/receivables").get_data(as_text=True)
    assert f'href="/batches/{book["batch"].id}"' in tech.get(
        f"/tickets/{book['ticket'].id}"
    ).get_data(as_text=True)
    # reading only: every other billing view stays admins' (the admin's job is not theirs)
    form = {"ids": [str(invoice.id)], "to": "xero", "status": "sent"}
    for endpoint, method, url in billing_urls(app, book):
        if endpoint in READ_ONLY and "bulk_job" not in endpoint:
            continue
        response = tech.open(url, method=method, data=form if method == "POST" else None)
        assert response.status_code == 403, (endpoint, method, url, response.status_code)
    for url in ("/admin/settings", "/contracts/new", "/admin/rates"):
        assert tech.get(url).status_code == 403, url
    db.session.expire_all()
    stored = db.session.get(Invoice, invoice.id)
    assert stored.status == InvoiceStatus.DRAFT and stored.total_minor == 432109
    assert db.session.get(BulkJob, "a" * 32).done == 0


def _checkbox(page: str) -> str:
    return re.search(r'<input[^>]*name="can_see_billing"[^>]*>', page).group(0)


def test_a_new_user_can_be_given_billing_and_admins_always_have_it(app, admin, admin_client):
    response = admin_client.post(
        "/admin/users/new",
        data={"email": "bea@example.com", "name": "Bea", "role": "technician",
              "password": "a long enough password", "can_see_billing": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    bea = db.session.scalar(sa.select(User).where(User.email == "bea@example.com"))
    assert bea.can_see_billing and bea.sees_billing
    admin_client.post(
        "/admin/users/new",
        data={"email": "cy@example.com", "name": "Cy", "role": "technician",
              "password": "a long enough password"},
    )  # fmt: skip
    cy = db.session.scalar(sa.select(User).where(User.email == "cy@example.com"))
    assert not cy.can_see_billing and not cy.sees_billing  # off by default
    # an admin without the flag still sees everything
    assert not admin.can_see_billing and admin.sees_billing
    assert admin_client.get("/").location == "/billing"
    page = admin_client.get("/billing").get_data(as_text=True)
    assert "Billing</a>" in _nav(page)
    assert admin_client.get("/batches/new").status_code == 200
