"""Voiding and deleting invoices in the fake QBO, and payments that block both.

Over raw HTTP, through the official SDK (python-quickbooks ``Invoice.void``/``Invoice.delete``)
and through the app's client (``QuickBooksClient.void_invoice``/``delete_invoice``).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests
from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks import exceptions as qbe
from quickbooks.objects.invoice import Invoice

from integrations.ledger_errors import ValidationRejected
from integrations.quickbooks import QuickBooksClient
from tests.fakes.fixtures import fake_fixtures
from tests.fakes.qbo_faults import QboFault
from tests.fakes.quickbooks import FakeQuickBooks

LINKED = (  # [unverified] code 6000 and this wording are the fake's choice
    "Business Validation Error: Invoice {id} cannot be {done} because it is linked to a payment "
    "(Payment Id {pay}). Delete or void the payment first."
)


fake, fresh = fake_fixtures(lambda: FakeQuickBooks())


@pytest.fixture
def token(fake) -> str:
    return fake.tokens()["access_token"]


@pytest.fixture
def client(fake, token) -> QuickBooksClient:
    return QuickBooksClient(fake.api_base_url, fake.realm_id, token, timeout=5)


@pytest.fixture
def qb(fake, monkeypatch) -> QuickBooks:
    """python-quickbooks on the fake, with tokens minted by the fake (no OAuth dance)."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake is plain http
    tokens = fake.tokens()
    auth = AuthClient("id", "secret", "http://127.0.0.1/cb", environment=fake.discovery_url)
    auth.access_token, auth.refresh_token = tokens["access_token"], tokens["refresh_token"]
    client = QuickBooks(
        auth_client=auth,
        refresh_token=tokens["refresh_token"],
        company_id=fake.realm_id,
        minorversion=75,
    )
    client.api_url_v3 = client.sandbox_api_url_v3 = fake.api_base_url
    return client


def call(fake, token: str, path: str, body: dict, **params) -> requests.Response:
    url = f"{fake.api_base_url}/company/{fake.realm_id}/{path}"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = json.dumps(body, default=str)  # Decimals read back from the fake go out as text
    return requests.post(url, data=data, params=params, headers=headers, timeout=5)


def read(fake, token: str, invoice_id: str) -> requests.Response:
    url = f"{fake.api_base_url}/company/{fake.realm_id}/invoice/{invoice_id}"
    return requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)


def decoded(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    return json.loads(response.text, parse_float=Decimal)


def error(response: requests.Response) -> dict:
    assert response.status_code == 400, response.text
    return response.json()["Fault"]["Error"][0]


def new_invoice(fake, token: str, **fields) -> dict:
    found = fake.entities("Customer")
    customer = (
        found[0]
        if found
        else decoded(call(fake, token, "customer", {"DisplayName": "Acme Ltd"}))["Customer"]
    )
    line = {
        "DetailType": "SalesItemLineDetail",
        "Amount": "300.00",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 2, "UnitPrice": "150.00"},
    }
    body = {"CustomerRef": {"value": customer["Id"]}, "Line": [line], **fields}
    return decoded(call(fake, token, "invoice", body))["Invoice"]


def ident(invoice: dict, sync_token: str | None = None) -> dict:
    return {"Id": invoice["Id"], "SyncToken": sync_token or invoice["SyncToken"]}


# --- the fake over raw HTTP -----------------------------------------------------------------


def test_void_zeroes_the_invoice_keeps_id_and_number_and_bumps_sync_token(fake, token):
    created = new_invoice(fake, token, DocNumber="INV-7")
    voided = decoded(call(fake, token, "invoice", ident(created), operation="void"))["Invoice"]
    assert (voided["Id"], voided["DocNumber"], voided["SyncToken"]) == (created["Id"], "INV-7", "1")
    assert voided["TotalAmt"] == voided["Balance"] == voided["TxnTaxDetail"]["TotalTax"] == 0
    assert [ln["Amount"] for ln in voided["Line"]] == [0, 0]
    assert voided["Line"][0]["SalesItemLineDetail"]["Qty"] == 0
    assert voided["PrivateNote"] == "Voided" and voided["LinkedTxn"] == []
    assert decoded(read(fake, token, created["Id"]))["Invoice"] == voided
    noted = new_invoice(fake, token, PrivateNote="Jan 2026")
    again = decoded(call(fake, token, "invoice", ident(noted), operation="void"))["Invoice"]
    assert again["PrivateNote"] == "Voided - Jan 2026"  # prepended; the separator [unverified]


def test_delete_answers_the_deleted_stub_and_the_invoice_is_gone(fake, token):
    created = new_invoice(fake, token)
    answer = decoded(call(fake, token, "invoice", ident(created), operation="delete"))
    assert list(answer) == ["Invoice", "time"]
    assert answer["Invoice"] == {"status": "Deleted", "domain": "QBO", "Id": created["Id"]}
    assert error(read(fake, token, created["Id"]))["code"] == "610"
    assert fake.entities("Invoice") == []


def test_void_and_delete_need_the_current_sync_token(fake, token):
    created = new_invoice(fake, token)
    fake.edit_in_ledger("Invoice", created["Id"], PrivateNote="typed in QBO")
    for operation in ("void", "delete"):
        stale = error(call(fake, token, "invoice", ident(created), operation=operation))
        assert (stale["code"], stale["Message"]) == ("5010", "Stale Object Error")
        missing = error(call(fake, token, "invoice", {"Id": created["Id"]}, operation=operation))
        assert (missing["code"], missing["element"]) == ("2020", "SyncToken")
        unknown = error(
            call(fake, token, "invoice", {"Id": "404", "SyncToken": "0"}, operation=operation)
        )
        assert unknown["code"] == "610"
    assert fake.entities("Invoice")[0]["TotalAmt"] == Decimal("300.00")


def test_a_payment_lowers_the_balance_links_and_bumps_the_sync_token(fake, token):
    created = new_invoice(fake, token)
    paid = fake.apply_payment(created["Id"], "100.00")
    assert (paid["Balance"], paid["TotalAmt"], paid["SyncToken"]) == (
        Decimal("200.00"), Decimal("300.00"), "1",
    )  # fmt: skip
    payment_id = fake.entities("Payment")[0]["Id"]
    assert paid["LinkedTxn"] == [{"TxnId": payment_id, "TxnType": "Payment"}]
    over_http = requests.post(
        f"{fake.url}/_fake/payment", json={"invoice_id": created["Id"], "amount": 250}, timeout=5
    ).json()["Invoice"]
    assert (over_http["Balance"], over_http["SyncToken"]) == (0, "2")
    assert len(over_http["LinkedTxn"]) == 2
    assert fake.entities("Payment")[1]["UnappliedAmt"] == Decimal("50")  # QBO takes overpayments
    stale = {"Id": created["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "ours"}
    assert error(call(fake, token, "invoice", stale))["code"] == "5010"
    with pytest.raises(ValueError):
        fake.apply_payment(created["Id"], "1.00")  # nothing left to pay
    with pytest.raises(QboFault):
        fake.apply_payment("404", "1.00")


def test_an_invoice_with_a_payment_can_be_neither_voided_nor_deleted(fake, token):
    created = new_invoice(fake, token)
    paid = fake.apply_payment(created["Id"], "100.00")
    payment_id = paid["LinkedTxn"][0]["TxnId"]
    for operation, done in (("void", "voided"), ("delete", "deleted")):
        refused = error(call(fake, token, "invoice", ident(paid), operation=operation))
        assert refused["code"] == "6000"
        assert refused["Message"] == (
            "A business validation error has occurred while processing your request"
        )
        assert refused["Detail"] == LINKED.format(id=created["Id"], done=done, pay=payment_id)
    assert fake.entities("Invoice")[0]["Balance"] == Decimal("200.00")
    fake.configure(refuse_linked_void=False)
    voided = decoded(call(fake, token, "invoice", ident(paid), operation="void"))["Invoice"]
    assert (voided["Balance"], voided["LinkedTxn"]) == (0, [])


def test_an_update_after_a_payment_keeps_it(fake, token):
    created = new_invoice(fake, token)
    paid = fake.apply_payment(created["Id"], "100.00")
    sparse = {**ident(paid), "sparse": True, "PrivateNote": "ours"}
    updated = decoded(call(fake, token, "invoice", sparse))["Invoice"]
    assert (updated["Balance"], updated["LinkedTxn"]) == (Decimal("200.00"), paid["LinkedTxn"])
    full = {**ident(updated), "CustomerRef": created["CustomerRef"], "Line": created["Line"][:1]}
    rewritten = decoded(call(fake, token, "invoice", full))["Invoice"]
    assert (rewritten["Balance"], rewritten["LinkedTxn"]) == (Decimal("200.00"), paid["LinkedTxn"])


def test_batch_delete_and_void(fake, token):
    first, second, third = (new_invoice(fake, token) for _ in range(3))
    items = [
        {"bId": "v", "operation": "update", "optionsData": "void", "Invoice": ident(first)},
        {"bId": "d", "operation": "delete", "Invoice": ident(second)},
        {"bId": "s", "operation": "delete", "Invoice": ident(third, "7")},
    ]
    answers = decoded(call(fake, token, "batch", {"BatchItemRequest": items}))
    by_bid = {a["bId"]: a for a in answers["BatchItemResponse"]}
    assert (by_bid["v"]["Invoice"]["TotalAmt"], by_bid["v"]["Invoice"]["SyncToken"]) == (0, "1")
    assert by_bid["d"]["Invoice"] == {"status": "Deleted", "domain": "QBO", "Id": second["Id"]}
    assert by_bid["s"]["Fault"]["Error"][0]["code"] == "5010"
    assert sorted(i["Id"] for i in fake.entities("Invoice")) == sorted([first["Id"], third["Id"]])


# --- python-quickbooks ----------------------------------------------------------------------


def test_python_quickbooks_voids_and_deletes(fake, token, qb):
    voidable, deletable, paid = (new_invoice(fake, token) for _ in range(3))
    answer = Invoice.get(voidable["Id"], qb=qb).void(qb=qb)
    assert answer["Invoice"]["PrivateNote"] == "Voided"
    shown = Invoice.get(voidable["Id"], qb=qb)
    assert (shown.TotalAmt, shown.Balance, shown.SyncToken) == (0, 0, "1")
    stale = Invoice.get(deletable["Id"], qb=qb)
    fake.edit_in_ledger("Invoice", deletable["Id"], PrivateNote="typed in QBO")
    with pytest.raises(qbe.QuickbooksException) as caught:
        stale.delete(qb=qb)
    assert caught.value.error_code == 5010
    deleted = Invoice.get(deletable["Id"], qb=qb).delete(qb=qb)
    assert deleted["Invoice"]["status"] == "Deleted"
    with pytest.raises(qbe.ObjectNotFoundException):
        Invoice.get(deletable["Id"], qb=qb)
    fake.apply_payment(paid["Id"], "10.00")
    with pytest.raises(qbe.QuickbooksException) as refused:
        Invoice.get(paid["Id"], qb=qb).void(qb=qb)
    assert refused.value.error_code == 6000 and "linked to a payment" in refused.value.detail


# --- the app's client -----------------------------------------------------------------------


def test_client_void_and_delete_return_the_entity_and_replay_by_request_id(fake, token, client):
    voidable, deletable = new_invoice(fake, token), new_invoice(fake, token)
    voided = client.void_invoice(voidable["Id"], voidable["SyncToken"], "void-1")
    assert (voided["Id"], voided["TotalAmt"], voided["SyncToken"]) == (voidable["Id"], 0, "1")
    assert client.void_invoice(voidable["Id"], "0", "void-1") == voided  # replayed, not redone
    assert fake.entities("Invoice")[0]["SyncToken"] == "1"
    deleted = client.delete_invoice(deletable["Id"], deletable["SyncToken"], "delete-1")
    assert deleted == {"status": "Deleted", "domain": "QBO", "Id": deletable["Id"]}
    with pytest.raises(ValueError):
        client.delete_invoice(voidable["Id"], "", "delete-2")


def test_client_refusals_keep_quickbooks_words(fake, token, client):
    created = new_invoice(fake, token)
    with pytest.raises(ValidationRejected) as stale:
        client.void_invoice(created["Id"], "3", "void-stale")
    assert (stale.value.code, stale.value.message) == ("5010", "Stale Object Error")
    paid = fake.apply_payment(created["Id"], "1.00")
    for method in (client.void_invoice, client.delete_invoice):
        with pytest.raises(ValidationRejected) as refused:
            method(created["Id"], paid["SyncToken"], f"{method.__name__}-paid")
        assert refused.value.code == "6000" and refused.value.status == 400
        assert "linked to a payment" in refused.value.text
    assert fake.entities("Invoice")[0]["Balance"] == Decimal("299.00")
