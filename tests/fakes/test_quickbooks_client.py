"""integrations/quickbooks.py against the fake QuickBooks Online server on loopback."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
import requests

from integrations import quickbooks
from integrations.ledger_errors import (
    AccessDenied,
    AuthExpired,
    LedgerError,
    LedgerUnavailable,
    RateLimited,
    ValidationRejected,
)
from integrations.quickbooks import InvoiceLine, QuickBooksClient, build_invoice_payload
from tests.fakes.quickbooks import FakeQuickBooks


@pytest.fixture(scope="module")
def fake():
    with FakeQuickBooks() as server:
        yield server


@pytest.fixture
def client(fake) -> QuickBooksClient:
    fake.reset()
    token = fake.tokens()["access_token"]
    return QuickBooksClient(fake.api_base_url, fake.realm_id, token, timeout=5)


@pytest.fixture
def customer(client) -> dict:
    return client.create_customer({"DisplayName": "Acme Ltd"}, request_id="cust-acme")


def payload(customer_id: str, number: str = "INV-2026-0001", **extra) -> dict:
    lines = [
        InvoiceLine(item_id="1", qty=Decimal("1.5"), unit_price=Decimal("33.335"), tax_code="NON"),
        {"item_id": "1", "qty": "2", "unit_price": "150.00", "description": "Managed services"},
    ]
    return build_invoice_payload(
        customer_id=customer_id, lines=lines, doc_number=number, txn_date="2026-01-31",
        due_date="2026-02-28", currency="USD", **extra,
    )  # fmt: skip


def posts(fake, entity: str) -> int:
    return fake.state()["counts"].get(f"POST /v3/company/{{realmId}}/{entity}", 0)


# --- payloads ------------------------------------------------------------------------------


def test_build_invoice_payload_is_exact_decimal():
    body = payload("58")
    first, second = body["Line"]
    assert first["Amount"] == Decimal("50.00")  # 1.5 × 33.335 = 50.0025, half-up to cents
    assert first["SalesItemLineDetail"] == {
        "ItemRef": {"value": "1"},
        "Qty": Decimal("1.5"),
        "UnitPrice": Decimal("33.335"),
        "TaxCodeRef": {"value": "NON"},
    }
    assert second["Amount"] == Decimal("300.00") and second["Description"] == "Managed services"
    assert body["CustomerRef"] == {"value": "58"} and body["CurrencyRef"] == {"value": "USD"}
    text = quickbooks.encode_json(body)
    assert '"UnitPrice":33.335' in text and '"Amount":300.00' in text
    assert json.loads(text, parse_float=Decimal)["Line"][0]["Amount"] == Decimal("50.00")


def test_payload_refuses_floats_and_accepts_dataclasses():
    @dataclass
    class OurLine:
        item_id: str
        unit_price: str
        qty: str

    body = build_invoice_payload(customer_id="1", lines=[OurLine("1", "9.99", "3")])
    assert body["Line"][0]["Amount"] == Decimal("29.97")
    with pytest.raises(TypeError):
        build_invoice_payload(customer_id="1", lines=[{"item_id": "1", "unit_price": 9.99}])
    with pytest.raises(TypeError):
        quickbooks.encode_json({"Amount": 1.5})
    with pytest.raises(ValueError):
        build_invoice_payload(customer_id="1", lines=[])


# --- reads and writes --------------------------------------------------------------------


def test_create_read_and_update_invoice(fake, client, customer):
    created = client.create_invoice(payload(customer["Id"]), request_id="inv-1")
    assert created["TotalAmt"] == Decimal("350.00") and created["Balance"] == Decimal("350.00")
    assert created["DocNumber"] == "INV-2026-0001" and created["SyncToken"] == "0"
    read = client.get_invoice(created["Id"])
    assert read["Line"][-1] == {
        "Amount": Decimal("350.0"),
        "DetailType": "SubTotalLineDetail",
        "SubTotalLineDetail": {},
    }
    update = {**payload(customer["Id"]), "Id": read["Id"], "SyncToken": read["SyncToken"]}
    update["Line"] = update["Line"][:1]
    updated = client.update_invoice(update, request_id="inv-1-u1")
    assert updated["SyncToken"] == "1" and updated["TotalAmt"] == Decimal("50.00")
    sparse = {"Id": read["Id"], "SyncToken": "1", "sparse": True, "PrivateNote": "paid by card"}
    assert client.update_invoice(sparse, request_id="inv-1-u2")["PrivateNote"] == "paid by card"
    assert client.last_trace_id
    with pytest.raises(ValueError):
        client.update_invoice(payload(customer["Id"]), request_id="x")
    with pytest.raises(ValueError):
        client.create_invoice(update, request_id="x")


def test_find_customer_exact_with_quotes_and_case(client):
    client.create_customer({"DisplayName": "Cutlery 'R Us"}, request_id="c1")
    client.create_customer({"DisplayName": "Other"}, request_id="c2")
    assert client.find_customer("Cutlery 'R Us")["DisplayName"] == "Cutlery 'R Us"
    assert client.find_customer("cutlery 'r us")["DisplayName"] == "Cutlery 'R Us"
    assert client.find_customer("Nobody") is None


def test_lookup_lists_and_company(client, monkeypatch):
    assert [i["Name"] for i in client.list_items()] == ["Services"]
    assert {t["Id"] for t in client.list_tax_codes()} == {"TAX", "NON", "2", "3", "4"}
    assert {a["AccountType"] for a in client.list_accounts()} >= {"Income"}
    assert client.company_info()["CompanyName"] == "Sandbox Company_US_1"
    monkeypatch.setattr(quickbooks, "PAGE_SIZE", 2)
    assert len(client.list_accounts()) == 3  # two pages
    assert client.query("select count(*) from Account") == {"totalCount": 3}


# --- errors carry the ledger's own words -------------------------------------------------


def test_validation_errors_keep_the_ledger_text(client, customer):
    with pytest.raises(ValidationRejected) as caught:
        client.create_customer({"DisplayName": "Acme Ltd"}, request_id="dup")
    error = caught.value
    assert (error.code, error.status, error.message) == ("6240", 400, "Duplicate Name Exists Error")
    assert error.detail == (
        "The name supplied already exists. : Another customer, vendor or employee is already "
        "using this name. Please use a different name."
    )
    assert error.text == f"{error.message}: {error.detail}" and error.trace_id
    assert error.provider == "quickbooks" and error.errors[0]["code"] == "6240"
    with pytest.raises(ValidationRejected) as unknown:
        client.get_invoice("999")
    assert unknown.value.code == "610" and unknown.value.message == "Object Not Found"
    with pytest.raises(ValidationRejected) as parse:
        client.query("select * from Customer where DisplayName = 'Cutlery 'R Us'")
    assert parse.value.code == "4000" and parse.value.detail.startswith("QueryParserError:")


def test_stale_sync_token(client, customer):
    created = client.create_invoice(payload(customer["Id"]), request_id="inv")
    stale = {"Id": created["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "x"}
    client.update_invoice(stale, request_id="u1")
    with pytest.raises(ValidationRejected) as caught:
        client.update_invoice(stale, request_id="u2")
    assert caught.value.code == "5010" and caught.value.message == "Stale Object Error"


def test_expired_and_revoked_tokens_are_auth_expired(fake, client):
    fake.advance(3601)
    with pytest.raises(AuthExpired) as caught:
        client.company_info()
    assert caught.value.status == 401 and caught.value.code == "3200"
    assert "AuthenticationFailed" in caught.value.message
    fake.configure(auth_fault_style="c")
    with pytest.raises(AuthExpired) as gateway:
        client.company_info()
    assert gateway.value.code == "AuthenticationFailed"


def test_other_realm_is_access_denied(fake):
    token = fake.tokens(realm_id="123145")["access_token"]
    other = QuickBooksClient(fake.api_base_url, fake.realm_id, token, timeout=5)
    with pytest.raises(AccessDenied) as caught:
        other.company_info()
    assert caught.value.status == 403 and caught.value.code == "3100"
    mine = QuickBooksClient(fake.api_base_url, "123145", token, timeout=5)
    assert mine.company_info()["CompanyName"] == "Sandbox Company_US_1"


def test_rate_limit_is_rate_limited_with_retry_after(fake, client):
    fake.configure(rate_limit_per_minute=2)
    client.list_items()
    client.list_items()
    with pytest.raises(RateLimited) as caught:
        client.list_items()
    assert caught.value.status == 429 and caught.value.code == "3001"
    assert 0 < caught.value.retry_after <= 60
    fake.advance(60)
    fake.configure(rate_limit_per_minute=500, send_retry_after=False)
    fake.fail_next(429)
    with pytest.raises(RateLimited) as no_header:
        client.list_items()
    assert no_header.value.retry_after is None


def test_server_failures_are_ledger_unavailable(fake, client):
    fake.fail_next(500)
    with pytest.raises(LedgerUnavailable) as fault:
        client.company_info()
    assert fault.value.status == 500 and fault.value.code == "10000"
    fake.fail_next(503)
    with pytest.raises(LedgerUnavailable) as html:
        client.company_info()
    assert html.value.status == 503 and html.value.message.startswith(
        "QuickBooks answered HTTP 503"
    )
    assert "Service Unavailable" in html.value.detail
    fake.configure(response_delay=0.3)
    slow = QuickBooksClient(fake.api_base_url, fake.realm_id, client.access_token, timeout=0.05)
    with pytest.raises(LedgerUnavailable, match="timed out"):
        slow.company_info()
    fake.wait_idle()  # the abandoned request still finishes on the server
    nowhere = QuickBooksClient("http://127.0.0.1:9/v3", "1", "token", timeout=1)
    with pytest.raises(LedgerUnavailable) as refused:
        nowhere.company_info()
    assert refused.value.status is None and isinstance(refused.value, LedgerError)


def test_lost_response_then_retry_with_same_requestid_creates_no_duplicate(fake, client, customer):
    fake.drop_next()
    with pytest.raises(LedgerUnavailable) as lost:
        client.create_invoice(payload(customer["Id"]), request_id="inv-2026-0001-v1")
    assert lost.value.status is None
    again = client.create_invoice(payload(customer["Id"]), request_id="inv-2026-0001-v1")
    assert [inv["Id"] for inv in fake.entities("Invoice")] == [again["Id"]]
    assert posts(fake, "invoice") == 2


# --- batch ---------------------------------------------------------------------------------


def invoice_items(customer_id: str, count: int) -> list[dict]:
    return [
        {"bId": f"i{n}", "operation": "create", "Invoice": payload(customer_id, f"B-{n:04d}")}
        for n in range(count)
    ]


def test_sixty_invoices_take_two_batch_requests(fake, client, customer):
    results = client.batch(invoice_items(customer["Id"], 60))
    assert len(results) == 60 and all(r.ok for r in results.values())
    assert results["i59"].entity_name == "Invoice"
    assert results["i59"].entity["DocNumber"] == "B-0059"
    assert posts(fake, "batch") == 2
    assert sum(inv["TotalAmt"] for inv in fake.entities("Invoice")) == Decimal("21000.00")


def test_batch_results_map_faults_per_bid(client, customer):
    items = invoice_items(customer["Id"], 2)
    items[1]["Invoice"]["CustomerRef"] = {"value": "404"}
    items.append({"bId": "q", "Query": "select * from Item where Name = 'Services'"})
    results = client.batch(items)
    assert results["i0"].ok and results["q"].query_response["Item"][0]["Id"] == "1"
    error = results["i1"].error
    assert isinstance(error, ValidationRejected) and not results["i1"].ok
    assert (error.code, error.message) == ("2500", "Invalid Reference Id")
    with pytest.raises(ValueError):
        client.batch([{"bId": "a"}, {"bId": "a"}])
    with pytest.raises(ValueError):
        client.batch([{"bId": "much-too-long-bid"}], request_id="r")


def test_batch_retry_after_a_lost_answer_replays_instead_of_repeating(fake, client, customer):
    fake.drop_next(path=f"/v3/company/{fake.realm_id}/batch", count=2)
    items = invoice_items(customer["Id"], 45)
    with pytest.raises(LedgerUnavailable):
        client.batch(items, request_id="batch-7")
    with pytest.raises(LedgerUnavailable):  # the replay of the first part is lost too
        client.batch(items, request_id="batch-7")
    results = client.batch(items, request_id="batch-7")
    assert len(results) == 45 and all(r.ok for r in results.values())
    assert len(fake.entities("Invoice")) == 45
    log = [
        (e["requestid"], bool(e.get("replayed")))
        for e in fake.state()["requests"]
        if e.get("requestid", "").startswith("batch-7")
    ]
    assert log == [
        ("batch-7-0", False),  # processed, answer lost
        ("batch-7-0", True),  # replayed, answer lost again
        ("batch-7-0", True),
        ("batch-7-1", False),
    ]


def test_session_is_injectable(fake):
    session = requests.Session()
    token = fake.tokens()["access_token"]
    client = QuickBooksClient(fake.api_base_url + "/", fake.realm_id, token, session=session)
    assert client.company_info()["Id"] == "1"
    entry = fake.state()["requests"][-1]
    assert entry["minorversion"] == "75" and entry["endpoint"].endswith("/companyinfo/{id}")
