"""Ids beyond the id columns (2**31 on PostgreSQL, 2**63 on SQLite) and non-ASCII digits, in a
path, a query string or a form field (#13, items 1 and 3): a 404 for a path, the form again with
the reason beside the field (422) for a form, nothing saved; never a 5xx."""

import html
import re

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from billing.settings import get_settings
from models import (
    Contract,
    ContractRate,
    ContractService,
    ContractType,
    Expense,
    Invoice,
    InvoiceBatch,
    InvoiceStatus,
    Product,
    Ticket,
    TimeEntry,
    db,
)
from tests.factories import (
    make_contract,
    make_customer,
    make_invoice,
    make_product,
    make_rate,
    make_tax_rate,
    make_ticket,
)
from tests.http.test_admin_settings import valid_form

HX = {"HX-Request": "true"}
# Past PostgreSQL's int4, past SQLite's int8, a digit int() refuses, a digit int() reads as 3.
BAD_IDS = ["2147483648", "99999999999999999999", "²", "٣"]
FORM_MESSAGE = "is not one of its options"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def error_beside(page: str, field: str) -> str:
    """The error shown beside ``field`` (the ``_form_macros.field`` markup), or ""."""
    match = re.search(rf'<small class="error" id="{re.escape(field)}-error">([^<]*)</small>', page)
    return match.group(1) if match else ""


# --- path ids -------------------------------------------------------------------------------


def _path(rule, value: str) -> str:
    """``rule`` with every ``<int:...>`` given ``value`` and any other argument a plain word."""
    ints = {name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)}
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<[^>]*:?{name}>", value if name in ints else "quickbooks", path)
    return path


def _int_rules(app: Flask) -> list:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(conv, IntegerConverter) for conv in rule._converters.values())
    ]


def test_every_route_with_an_id_answers_404_for_an_id_beyond_the_column(app, admin_client):
    rules = _int_rules(app)
    assert len(rules) > 40, [r.rule for r in rules]  # the walk really covers the app
    converters = {type(c) for r in rules for c in r._converters.values()}
    assert IntegerConverter not in converters  # every <int:...> is the bounded one
    failures = []
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for value in BAD_IDS:
                response = admin_client.open(_path(rule, value), method=method)
                if response.status_code != 404:
                    failures.append(f"{method} {_path(rule, value)}: {response.status_code}")
    assert failures == []


def test_the_largest_id_still_reaches_the_view(admin_client):
    ticket = make_ticket(title="Printer jam")
    assert "Printer jam" in text(admin_client.get(f"/tickets/{ticket.id}"))
    missing = admin_client.get("/tickets/2147483647")
    assert missing.status_code == 404 and "There is no ticket #2147483647." in text(missing)


# --- form ids -------------------------------------------------------------------------------


def _ticket_new(bad):
    contract = make_contract()
    data = {"customer_id": contract.customer_id, "contract_id": contract.id, "title": "X"}
    return "/tickets/new", data, Ticket


def _contract_new(bad):
    data = {
        "customer_id": str(make_customer().id),
        "name": "Support",
        "type": ContractType.HOURLY.value,
        "start_date": "2026-01-01",
        "billing_period": "monthly",
        "primary_rate_id": str(make_rate().id),
        "tax_rate_id": str(make_tax_rate().id),
        "active": "y",
    }
    return "/contracts/new", data, Contract


def _rate_add(bad):
    contract = make_contract()
    return f"/contracts/{contract.id}/rates", {"rate_id": make_rate().id}, ContractRate


def _service_add(bad):
    contract = make_contract(type=ContractType.RETAINER)
    data = {"product_id": make_product().id, "quantity": "1"}
    return f"/contracts/{contract.id}/services", data, ContractService


def _time_add(bad):
    ticket = make_ticket()
    data = {"work_date": "2026-03-02", "duration": "1:00", "billable": "y"}
    return (
        f"/tickets/{ticket.id}/time",
        {f"time-entry-new-{k}": v for k, v in data.items()},
        TimeEntry,
    )


def _expense_add(bad):
    ticket = make_ticket()
    data = {"expense_date": "2026-03-02", "description": "Cable", "quantity": "1"}
    data["unit_price"] = "5.00"
    return (
        f"/tickets/{ticket.id}/expenses",
        {f"expense-new-{k}": v for k, v in data.items()},
        Expense,
    )


def _product_new(bad):
    data = {"name": "Firewall", "unit_price": "10.00", "taxable": "y", "active": "y"}
    return "/admin/products/new", data, Product


def _invoice_new(bad):
    contract = make_contract()
    data = {"customer_id": contract.customer_id, "contract_id": contract.id}
    data |= {"issue_date": "2026-04-01", "due_date": ""}
    return "/invoices/new", data, Invoice


FORM_CASES = [
    ("customer_id", _ticket_new),
    ("contract_id", _ticket_new),
    ("customer_id", _contract_new),
    ("tax_rate_id", _contract_new),
    ("primary_rate_id", _contract_new),
    ("rate_id", _rate_add),
    ("product_id", _service_add),
    ("time-entry-new-technician_id", _time_add),
    ("time-entry-new-rate_id", _time_add),
    ("expense-new-product_id", _expense_add),
    ("tax_rate_id", _product_new),
    ("customer_id", _invoice_new),
    ("contract_id", _invoice_new),
]


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize(("field", "case"), FORM_CASES, ids=lambda v: getattr(v, "__name__", v))
def test_a_form_id_that_is_not_one_is_422_beside_its_field(admin_client, field, case, bad):
    url, data, model = case(bad)
    before = count(model)
    response = admin_client.post(url, data={**data, field: bad})
    page = text(response)
    assert response.status_code == 422, page[:2000]
    assert error_beside(page, field) == f"Choose from the list: “{bad}” {FORM_MESSAGE}.", page
    assert count(model) == before


@pytest.mark.parametrize("bad", BAD_IDS)
def test_editing_a_ticket_with_a_bad_customer_id_changes_nothing(admin_client, bad):
    ticket = make_ticket(title="Before")
    customer_id = ticket.customer_id
    response = admin_client.post(
        f"/tickets/{ticket.id}/edit",
        data={"customer_id": bad, "contract_id": ticket.contract_id, "title": "After"},
    )
    assert response.status_code == 422
    assert FORM_MESSAGE in error_beside(text(response), "customer_id")
    db.session.expire_all()
    assert (ticket.title, ticket.customer_id) == ("Before", customer_id)


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_bad_id_in_an_htmx_form_comes_back_in_the_fragment(admin_client, bad):
    contract = make_contract()
    response = admin_client.post(
        f"/contracts/{contract.id}/rates", data={"rate_id": bad}, headers=HX
    )
    assert response.status_code == 422 and "<html" not in text(response)
    assert FORM_MESSAGE in error_beside(text(response), "rate_id")


# --- query-string ids that preselect a choice ----------------------------------------------


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_bad_id_meant_to_preselect_a_choice_preselects_nothing(admin_client, bad):
    ticket = make_ticket()
    customer = ticket.customer
    urls = [
        f"/tickets/new?customer={bad}",
        f"/tickets/contracts?customer_id={bad}",
        f"/contracts/new?customer={bad}",
        f"/contracts/fields?type=hourly&contract={bad}&customer_id={bad}",
        f"/invoices/new?customer_id={bad}",
        f"/tickets/{ticket.id}/expenses/price?expense-new-product_id={bad}",
    ]
    for url in urls:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert f'<option selected value="{customer.id}"' not in text(response), url


# --- ids picked on the Billing page and in the batch builder ------------------------------


@pytest.fixture
def draft(app):
    return make_invoice(make_customer(name="Acme"))


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize(
    "url",
    [
        "/invoices/bulk/pdf",
        "/invoices/bulk/send",
        "/invoices/bulk/export?to=quickbooks",
        "/billing/bulk/status",
    ],
)
def test_bulk_actions_refuse_an_id_that_is_not_one(admin_client, draft, url, bad):
    data = {"ids": [str(draft.id), bad], "status": "paid", "next": "/billing"}
    response = admin_client.post(url, data=data)
    assert response.status_code == 422
    assert f"“{bad}” is not an invoice id." in text(response)
    db.session.expire_all()
    assert draft.status is InvoiceStatus.DRAFT and not draft.exports


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_comma_separated_bad_id_is_refused_too(admin_client, draft, bad):
    response = admin_client.post("/invoices/bulk/pdf", data={"ids": f"{draft.id},{bad}"})
    assert response.status_code == 422 and f"“{bad}” is not an invoice id." in text(response)


@pytest.mark.parametrize("bad", BAD_IDS)
def test_the_batch_builder_refuses_a_customer_that_is_not_an_id(admin_client, bad):
    make_ticket()
    period = {"start": "2026-01-01", "end": "2026-01-31", "customer": bad}
    for url in ("/batches/new", "/batches/summary"):
        response = admin_client.get(url, query_string=period)
        assert response.status_code == 422, url
        assert f"“{bad}” is not a customer id." in text(response), url
    saved = admin_client.post("/batches", data=period)
    assert saved.status_code == 422 and f"“{bad}” is not a customer id." in text(saved)
    picked = {**period, "customer": "", "picked": "1", "ticket": bad}
    ticked = admin_client.post("/batches", data=picked)
    assert ticked.status_code == 422 and f"“{bad}” is not a ticket id." in text(ticked)
    assert count(InvoiceBatch) == 0 and count(Invoice) == 0


def test_a_good_customer_id_still_filters_the_batch_builder(admin_client):
    ticket = make_ticket()
    response = admin_client.get(
        "/batches/new",
        query_string={"start": "2026-01-01", "end": "2026-01-31", "customer": ticket.customer_id},
    )
    assert response.status_code == 200 and "is not a customer id" not in text(response)


# --- a number stored in an id-sized column ---------------------------------------------------


@pytest.mark.parametrize("number", ["2147483648", "99999999999999999999"])
def test_next_invoice_number_beyond_the_column_is_422_and_nothing_saved(admin_client, number):
    response = admin_client.post(
        "/admin/settings", data=valid_form(company_name="Not saved", next_invoice_number=number)
    )
    assert response.status_code == 422
    expected = "Enter at most 2,147,483,647."
    assert error_beside(text(response), "next_invoice_number") == expected
    db.session.expire_all()
    assert get_settings().company_name != "Not saved"


@pytest.mark.parametrize("typed", ["٣٠", "3²", "1e3", "--5"])
def test_payment_terms_in_other_digits_are_refused_beside_the_field(admin_client, typed):
    response = admin_client.post(
        "/admin/settings", data=valid_form(company_name="Not saved", payment_terms_days=typed)
    )
    assert response.status_code == 422
    expected = f"Enter a whole number such as 30: “{typed}” is not one."
    assert error_beside(text(response), "payment_terms_days") == expected
    db.session.expire_all()
    assert get_settings().company_name != "Not saved"
