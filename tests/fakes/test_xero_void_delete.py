"""Deleting and voiding invoices in the fake Xero by setting their Status, and payments.

Over raw HTTP, through the official SDK (xero-python ``update_invoice``) and through the app's
client (``XeroClient.set_invoice_status``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from xero_python.accounting import AccountingApi, Invoice, Invoices
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.exceptions import BadRequestException

from integrations.ledger_errors import ValidationRejected
from integrations.xero import XeroClient
from tests.fakes import xero_spec
from tests.fakes.fixtures import fake_fixtures
from tests.fakes.xero import DEFAULT_TENANT_ID, FakeXero
from tests.fakes.xero_invoices import ALLOCATED, NOT_VALID
from tests.fakes.xero_payments import EXCEEDS, NOT_AUTHORISED, PaymentRefused

fake, fresh = fake_fixtures(lambda: FakeXero())


@pytest.fixture
def api(fake):
    """``api(method, path, body=None, params=None)`` with a valid token."""
    token = fake.issue_token()["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "xero-tenant-id": DEFAULT_TENANT_ID,
        "Accept": "application/json",
    }

    def call(method, path, body=None, params=None):
        url = f"{fake.url}/api.xro/2.0/{path}"
        return requests.request(method, url, json=body, params=params, headers=headers, timeout=5)

    return call


@pytest.fixture
def client(fake) -> XeroClient:
    token = fake.issue_token()["access_token"]
    return XeroClient(fake.env()["XERO_API_BASE_URL"], DEFAULT_TENANT_ID, token, timeout=5)


@pytest.fixture
def sdk(fake) -> AccountingApi:
    """xero-python's AccountingApi on the fake."""
    body = fake.issue_token()
    token = {
        "access_token": body["access_token"],
        "refresh_token": body["refresh_token"],
        "expires_in": body["expires_in"],
        "token_type": body["token_type"],
        "scope": body["scope"].split(),
    }
    config = Configuration()
    config.oauth2_token = OAuth2Token(client_id="id", client_secret="secret")
    api_client = ApiClient(
        config, oauth2_token_getter=lambda: token, oauth2_token_saver=token.update
    )
    return AccountingApi(api_client, base_url=f"{fake.url}/api.xro/2.0")


def new_invoice(api, status: str = "DRAFT", number: str | None = None) -> dict:
    contact = api("PUT", "Contacts", {"Contacts": [{"Name": "Acme Ltd"}]}).json()
    contact_id = contact["Contacts"][0]["ContactID"] if "Contacts" in contact else None
    if contact_id is None:
        found = api("GET", "Contacts", params={"where": 'Name=="Acme Ltd"'}).json()
        contact_id = found["Contacts"][0]["ContactID"]
    line = {"Description": "Work", "Quantity": 1, "UnitAmount": "100.00", "AccountCode": "200"}
    invoice = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact_id},
        "DueDate": "2026-03-31",
        "Status": status,
        "LineItems": [{**line, "TaxType": "OUTPUT2"}],
        **({"InvoiceNumber": number} if number else {}),
    }
    made = api("PUT", "Invoices", {"Invoices": [invoice]})
    assert made.status_code == 200, made.text
    return made.json()["Invoices"][0]


def set_status(api, invoice: dict, status: str, **params) -> requests.Response:
    return api("POST", f"Invoices/{invoice['InvoiceID']}", {"Status": status}, params=params)


def messages(response: requests.Response) -> list[str]:
    assert response.status_code == 400, response.text
    return [e["Message"] for e in response.json()["Elements"][0]["ValidationErrors"]]


def shown(api, invoice: dict) -> dict:
    return api("GET", f"Invoices/{invoice['InvoiceID']}").json()["Invoices"][0]


# --- the fake over raw HTTP -----------------------------------------------------------------


def test_a_draft_or_submitted_invoice_is_deleted_and_keeps_its_number(api):
    draft, submitted = new_invoice(api), new_invoice(api, "SUBMITTED")
    deleted = set_status(api, draft, "DELETED").json()["Invoices"][0]
    assert (deleted["Status"], deleted["InvoiceNumber"], deleted["AmountDue"]) == (
        "DELETED", "INV-0001", 0.0,
    )  # fmt: skip
    assert deleted["Total"] == 115.0  # the totals stay, as on a voided invoice (spec example)
    by_body = api("POST", "Invoices", {"Invoices": [{**_id(submitted), "Status": "DELETED"}]})
    assert by_body.json()["Invoices"][0]["Status"] == "DELETED"
    assert shown(api, draft)["Status"] == "DELETED"
    listed = api("GET", "Invoices", params={"Statuses": "DELETED"}).json()["Invoices"]
    assert sorted(i["InvoiceNumber"] for i in listed) == ["INV-0001", "INV-0002"]
    reused = api("PUT", "Invoices", {"Invoices": [{**_copy(draft), "InvoiceNumber": "INV-0001"}]})
    assert messages(reused) == ["Invoice # must be unique."]
    assert new_invoice(api)["InvoiceNumber"] == "INV-0003"


def test_an_authorised_invoice_is_voided_and_then_cannot_change(api):
    authorised = new_invoice(api, "AUTHORISED", "A-1")
    voided = set_status(api, authorised, "VOIDED").json()["Invoices"][0]
    assert (voided["Status"], voided["AmountDue"], voided["Total"]) == ("VOIDED", 0.0, 115.0)
    assert shown(api, authorised)["Status"] == "VOIDED"
    for status in ("AUTHORISED", "DELETED", "VOIDED"):
        assert messages(set_status(api, authorised, status)) == [NOT_VALID]
    by_number = api("POST", "Invoices", {"Invoices": [{**_copy(authorised), "Reference": "x"}]})
    assert messages(by_number) == [NOT_VALID]  # POST matches the voided invoice by number


def test_refused_transitions(api):
    draft, authorised = new_invoice(api), new_invoice(api, "AUTHORISED")
    assert messages(set_status(api, draft, "VOIDED")) == [NOT_VALID]
    assert messages(set_status(api, authorised, "DELETED")) == [NOT_VALID]
    assert shown(api, draft)["Status"] == "DRAFT"
    element = set_status(api, draft, "VOIDED", summarizeErrors="false").json()["Invoices"][0]
    assert element["StatusAttributeString"] == "ERROR"
    assert element["ValidationErrors"] == [{"Message": NOT_VALID}]


def test_payments_show_on_the_invoice_and_block_the_void(api, fake):
    authorised = new_invoice(api, "AUTHORISED")
    part = fake.apply_payment(authorised["InvoiceID"], "15.00")
    assert (part["Status"], part["AmountPaid"], part["AmountDue"]) == (
        "AUTHORISED", Decimal("15.00"), Decimal("100.00"),
    )  # fmt: skip
    assert [p["Amount"] for p in part["Payments"]] == [Decimal("15.00")]
    assert messages(set_status(api, authorised, "VOIDED")) == [NOT_VALID, ALLOCATED]
    with pytest.raises(PaymentRefused, match=EXCEEDS):
        fake.apply_payment(authorised["InvoiceID"], "100.01")
    over_http = requests.post(
        f"{fake.url}/_fake/payment",
        json={"invoice_id": authorised["InvoiceNumber"], "amount": "100.00"},
        timeout=5,
    ).json()
    assert (over_http["Status"], over_http["AmountDue"]) == ("PAID", 0.0)
    read = shown(api, authorised)
    assert read["FullyPaidOnDate"].startswith("/Date(") and len(read["Payments"]) == 2
    assert messages(set_status(api, authorised, "VOIDED")) == [NOT_VALID, ALLOCATED]
    with pytest.raises(PaymentRefused, match=NOT_AUTHORISED):
        fake.apply_payment(new_invoice(api)["InvoiceID"], "1")
    if xero_spec.available():
        assert xero_spec.response_errors("Invoices", api("GET", "Invoices").json()) == []


# --- xero-python ----------------------------------------------------------------------------


def test_xero_python_update_invoice_deletes_voids_and_is_refused(api, sdk):
    draft, authorised = new_invoice(api), new_invoice(api, "AUTHORISED")
    deleted = sdk.update_invoice(
        DEFAULT_TENANT_ID, draft["InvoiceID"], Invoices(invoices=[Invoice(status="DELETED")])
    )
    assert (deleted.invoices[0].status, deleted.invoices[0].invoice_number) == (
        "DELETED", "INV-0001",
    )  # fmt: skip
    voided = sdk.update_invoice(
        DEFAULT_TENANT_ID, authorised["InvoiceID"], Invoices(invoices=[Invoice(status="VOIDED")])
    )
    assert voided.invoices[0].status == "VOIDED"
    assert sdk.get_invoice(DEFAULT_TENANT_ID, authorised["InvoiceID"]).invoices[0].status == (
        "VOIDED"
    )
    with pytest.raises(BadRequestException) as refused:
        sdk.update_invoice(
            DEFAULT_TENANT_ID, draft["InvoiceID"], Invoices(invoices=[Invoice(status="VOIDED")])
        )
    errors = refused.value.error_data["Elements"][0]["ValidationErrors"]
    assert errors == [{"Message": NOT_VALID}]


# --- the app's client -----------------------------------------------------------------------


def test_client_set_invoice_status(api, fake, client):
    draft, authorised, paid = (new_invoice(api, s) for s in ("DRAFT", "AUTHORISED", "AUTHORISED"))
    deleted = client.set_invoice_status(draft["InvoiceID"], "DELETED", "delete-1")
    assert deleted.ok and (deleted.id, deleted.number) == (draft["InvoiceID"], "INV-0001")
    assert deleted.entity["Status"] == "DELETED"
    voided = client.set_invoice_status(authorised["InvoiceID"], "VOIDED", "void-1")
    assert voided.entity["Status"] == "VOIDED" and voided.entity["AmountDue"] == 0
    with pytest.raises(ValidationRejected) as refused:
        client.set_invoice_status(authorised["InvoiceID"], "DELETED", "delete-2")
    assert (refused.value.message, refused.value.status) == (NOT_VALID, 400)
    fake.apply_payment(paid["InvoiceID"], "5")
    with pytest.raises(ValidationRejected) as with_payment:
        client.set_invoice_status(paid["InvoiceID"], "VOIDED", "void-2")
    assert with_payment.value.message == f"{NOT_VALID}; {ALLOCATED}"
    with pytest.raises(ValueError):
        client.set_invoice_status(paid["InvoiceID"], "PAID", "pay")
    assert client.get_invoice(draft["InvoiceID"])["Status"] == "DELETED"


def _id(invoice: dict) -> dict:
    return {"InvoiceID": invoice["InvoiceID"]}


def _copy(invoice: dict) -> dict:
    """A new invoice like ``invoice`` (same contact and number), as a client would send it."""
    keys = ("Type", "InvoiceNumber", "DueDateString")
    copied = {k: invoice[k] for k in keys}
    copied["DueDate"] = copied.pop("DueDateString")[:10]
    line = {"Description": "Work", "Quantity": 1, "UnitAmount": "1.00", "AccountCode": "200"}
    return {
        **copied,
        "Contact": {"ContactID": invoice["Contact"]["ContactID"]},
        "LineItems": [line],
    }
