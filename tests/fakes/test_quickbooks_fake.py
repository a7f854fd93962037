"""Conformance of the fake QuickBooks Online server, driven by independent clients.

python-quickbooks + intuit-oauth (Intuit's own OAuth library) and Authlib talk to the fake as
they would to Intuit; raw ``requests`` checks the exact wire shapes Intuit documents.

How the official libraries are pointed at the fake, without patching anything:
- intuitlib ``AuthClient(environment=<URL>)`` takes any URL as its discovery document; the fake
  serves one whose endpoints are all on the fake.
- python-quickbooks has no base-URL setting, but ``api_url_v3``/``sandbox_api_url_v3`` are plain
  class attributes, so the test sets them on its ``QuickBooks`` instance.
- requests-oauthlib (used by python-quickbooks for API calls) refuses ``http://`` unless
  ``OAUTHLIB_INSECURE_TRANSPORT`` is set, its documented switch for local testing.

Note: python-quickbooks maps Fault codes by range (2000-4999 -> ValidationException); codes 5010
and 6240 fall outside every range it knows and arrive as its base ``QuickbooksException``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks import exceptions as qbe
from quickbooks.batch import batch_create
from quickbooks.objects.account import Account
from quickbooks.objects.base import Ref
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.tax import TxnTaxDetail
from quickbooks.objects.taxcode import TaxCode
from quickbooks.objects.taxrate import TaxRate
from quickbooks.objects.vendor import Vendor

from tests.fakes.fixtures import fake_fixtures
from tests.fakes.qbo_faults import QboFault
from tests.fakes.qbo_seed import (
    GLOBAL_TAX_CODE_RATES,
    GLOBAL_TAX_CODES,
    US_TAX_CODE_RATES,
    US_TAX_CODES,
    US_TAX_RATES,
)
from tests.fakes.quickbooks import FakeQuickBooks

CLIENT_ID, CLIENT_SECRET = "conformance-client", "conformance-secret"
REDIRECT_URI = "http://127.0.0.1:5000/admin/accounting/quickbooks/callback"
SCOPE = "com.intuit.quickbooks.accounting"
REPO_ROOT = Path(__file__).resolve().parents[2]


fake, fresh = fake_fixtures(
    lambda: FakeQuickBooks(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
)


def authorize(url: str) -> dict[str, str]:
    """Follow the authorize redirect by hand; the query of the callback URL."""
    response = requests.get(url, allow_redirects=False, timeout=5)
    assert response.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


@pytest.fixture
def auth_client(fake, monkeypatch) -> AuthClient:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    client = AuthClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, environment=fake.discovery_url)
    callback = authorize(client.get_authorization_url([Scopes.ACCOUNTING]))
    assert callback["state"] == client.state_token
    client.get_bearer_token(callback["code"], realm_id=callback["realmId"])
    return client


@pytest.fixture
def qb(fake, auth_client) -> QuickBooks:
    client = QuickBooks(
        auth_client=auth_client,
        refresh_token=auth_client.refresh_token,
        company_id=auth_client.realm_id,
        minorversion=75,
    )
    client.api_url_v3 = client.sandbox_api_url_v3 = fake.api_base_url
    return client


def customer(name: str) -> Customer:
    obj = Customer()
    obj.DisplayName = name
    return obj


def invoice(customer_id: str, qty="2", price="150.00", amount="300.00", tax="NON") -> Invoice:
    detail = SalesItemLineDetail()
    detail.ItemRef = Ref()
    detail.ItemRef.value = "1"
    detail.Qty, detail.UnitPrice = Decimal(qty), Decimal(price)
    detail.TaxCodeRef = Ref()
    detail.TaxCodeRef.value = tax
    line = SalesItemLine()
    line.Amount, line.SalesItemLineDetail = Decimal(amount), detail
    obj = Invoice()
    obj.CustomerRef = Ref()
    obj.CustomerRef.value = customer_id
    obj.Line = [line]
    return obj


def raw(fake, token: str, method: str, path: str, headers=None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **(headers or {})}
    url = f"{fake.api_base_url}/company/{fake.realm_id}/{path}"
    return requests.request(method, url, headers=headers, timeout=5, **kwargs)


# --- python-quickbooks + intuit-oauth ---------------------------------------------------


def test_intuitlib_reads_the_discovery_document(fake, auth_client):
    assert auth_client.auth_endpoint == f"{fake.url}/connect/oauth2"
    assert auth_client.token_endpoint == f"{fake.url}/oauth2/v1/tokens/bearer"
    assert auth_client.revoke_endpoint == f"{fake.url}/v2/oauth2/tokens/revoke"
    assert auth_client.realm_id == fake.realm_id
    assert auth_client.expires_in == 3600 and auth_client.x_refresh_token_expires_in > 0


def test_customer_save_filter_then_duplicate_name(qb):
    saved = customer("Cutlery 'R Us").save(qb=qb)
    assert saved.Id == "1" and saved.SyncToken == "0"
    found = Customer.filter(DisplayName="Cutlery 'R Us", qb=qb)
    assert [c.Id for c in found] == [saved.Id]
    with pytest.raises(qbe.QuickbooksException) as caught:
        customer("Cutlery 'R Us").save(qb=qb)
    assert caught.value.error_code == 6240
    assert caught.value.message == "Duplicate Name Exists Error"
    assert caught.value.detail.startswith("The name supplied already exists.")


def test_invoice_saved_twice_with_one_requestid_is_one_invoice(fake, qb):
    cust = customer("Acme Ltd").save(qb=qb)
    body = invoice(cust.Id).to_json()
    first = qb.create_object("Invoice", body, request_id="export-inv-1001")
    again = qb.create_object("Invoice", body, request_id="export-inv-1001")
    assert again == first  # byte-identical replay, "time" included
    assert len(fake.entities("Invoice")) == 1
    saved = invoice(cust.Id).save(qb=qb, request_id="export-inv-1001")
    assert saved.Id == first["Invoice"]["Id"]
    assert len(fake.entities("Invoice")) == 1


def test_invoice_computed_fields(fake, qb):
    cust = customer("Acme Ltd").save(qb=qb)
    unsaved = invoice(cust.Id, qty="3", price="33.33", amount="99.99", tax="TAX")
    unsaved.TxnTaxDetail = TxnTaxDetail()  # python-quickbooks also sends "TotalTax": 0
    unsaved.TxnTaxDetail.TxnTaxCodeRef = Ref()
    unsaved.TxnTaxDetail.TxnTaxCodeRef.value = US_TAX_CODES["state"]  # 8.25 %
    saved = unsaved.save(qb=qb)
    assert [ln.DetailType for ln in saved.Line] == ["SalesItemLineDetail", "SubTotalLineDetail"]
    assert saved.Line[0].Id == "1" and saved.Line[0].LineNum == 1
    assert Decimal(str(saved.Line[1].Amount)) == Decimal("99.99")
    assert Decimal(str(saved.TxnTaxDetail.TotalTax)) == Decimal("8.25")  # 99.99 * 8.25% = 8.249
    assert Decimal(str(saved.TotalAmt)) == Decimal("108.24") == Decimal(str(saved.Balance))
    assert saved.CustomerRef.name == "Acme Ltd" and saved.DocNumber == "1001"


def test_unescaped_quote_in_query_is_4000(qb):
    with pytest.raises(qbe.ValidationException) as caught:
        Customer.where("DisplayName = 'Cutlery 'R Us'", qb=qb)
    assert caught.value.error_code == 4000
    assert caught.value.message == "Error parsing query"
    assert caught.value.detail.startswith('QueryParserError: Encountered " <IDENTIFIER> "R ""')


def test_stale_sync_token_is_5010(qb):
    cust = customer("Acme Ltd").save(qb=qb)
    created = invoice(cust.Id).save(qb=qb)
    copy_a, copy_b = Invoice.get(created.Id, qb=qb), Invoice.get(created.Id, qb=qb)
    copy_a.PrivateNote = "first"
    assert copy_a.save(qb=qb).SyncToken == "1"
    copy_b.PrivateNote = "second"
    with pytest.raises(qbe.QuickbooksException) as caught:
        copy_b.save(qb=qb)
    assert caught.value.error_code == 5010 and caught.value.message == "Stale Object Error"


def test_batch_create_mixed_valid_and_invalid(fake, qb):
    customer("Taken Name").save(qb=qb)
    result = batch_create([customer("New One"), customer("Taken Name"), customer("New Two")], qb=qb)
    assert sorted(c.DisplayName for c in result.successes) == ["New One", "New Two"]
    assert [(f.Error[0].code, f.original_object.DisplayName) for f in result.faults] == [
        ("6240", "Taken Name")
    ]
    bad_ref = batch_create([invoice("999"), invoice("2")], qb=qb)
    assert [f.Error[0].code for f in bad_ref.faults] == ["2500"]
    assert len(bad_ref.successes) == 1


def test_reads_lists_and_company_info(fake, qb):
    assert [i.Name for i in Item.all(qb=qb)] == ["Services"]  # "SELECT *, Sku FROM Item"
    assert sorted(t.Id for t in TaxCode.all(qb=qb)) == ["2", "3", "4", "NON", "TAX"]
    income = Account.filter(AccountType="Income", qb=qb)
    assert {a.Name for a in income} >= {"Sales of Product Income"}
    assert CompanyInfo.get(fake.realm_id, qb=qb).CompanyName == "Sandbox Company_US_1"
    assert Customer.count(qb=qb) == 0
    with pytest.raises(qbe.ObjectNotFoundException):
        Invoice.get("4242", qb=qb)


def test_python_quickbooks_global_model_preferences_and_vendors(fake, qb):
    fake.configure(tax_model="global", home_currency="GBP")
    cust = customer("Acme Ltd").save(qb=qb)
    saved = invoice(cust.Id, tax=GLOBAL_TAX_CODES["standard"]).save(qb=qb)  # 300.00 at 20 %
    assert Decimal(str(saved.TxnTaxDetail.TotalTax)) == Decimal("60.00")
    assert Decimal(str(saved.TotalAmt)) == Decimal("360.00")
    assert saved.TxnTaxDetail.TaxLine[0].TaxLineDetail.TaxRateRef.value == "1"
    prefs = Preferences.get(qb=qb)
    assert prefs.CurrencyPrefs.HomeCurrency.value == "GBP"
    assert prefs.TaxPrefs.PartnerTaxEnabled is False
    assert sorted(r.Name for r in TaxRate.all(qb=qb)) == ["0.0% Z", "20.0% S", "5.0% R", "Exempt"]
    vendor = Vendor()
    vendor.DisplayName = "Acme Ltd"
    with pytest.raises(qbe.QuickbooksException) as caught:
        vendor.save(qb=qb)
    assert caught.value.error_code == 6240
    vendor.DisplayName = "Acme Supplies"
    assert vendor.save(qb=qb).Id == "1"


def test_expired_access_token_gives_the_401_fault(fake, qb, auth_client):
    fake.advance(3601)
    with pytest.raises(qbe.AuthorizationException) as caught:
        Customer.all(qb=qb)
    assert caught.value.error_code == 401
    assert "3200" in caught.value.detail and "AuthenticationFailed" in caught.value.detail
    response = raw(fake, auth_client.access_token, "GET", "companyinfo/" + fake.realm_id)
    assert response.status_code == 401 and response.headers["intuit_tid"]


def test_intuitlib_refresh_rotates_and_revoke_disconnects(fake, auth_client, qb):
    old_refresh = auth_client.refresh_token
    auth_client.refresh()
    assert auth_client.refresh_token != old_refresh
    with pytest.raises(AuthClientError) as caught:
        auth_client.refresh(refresh_token=old_refresh)
    assert caught.value.status_code == 400 and b"invalid_grant" in caught.value.content
    assert auth_client.revoke() is True
    response = raw(fake, auth_client.access_token, "GET", "companyinfo/" + fake.realm_id)
    assert response.status_code == 401


# --- Authlib (what the app uses for OAuth) ------------------------------------------------


def authlib_session() -> OAuth2Session:
    return OAuth2Session(CLIENT_ID, CLIENT_SECRET, scope=SCOPE, redirect_uri=REDIRECT_URI)


def test_authlib_code_flow_refresh_rotation_and_revoke(fake):
    urls = fake.settings()
    session = authlib_session()
    url, state = session.create_authorization_url(urls["QUICKBOOKS_AUTHORIZE_URL"])
    location = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    assert location.startswith(REDIRECT_URI + "?code=")
    token = session.fetch_token(
        urls["QUICKBOOKS_ACCESS_TOKEN_URL"], authorization_response=location, state=state
    )
    assert token["token_type"] == "bearer" and token["expires_in"] == 3600
    assert token["expires_at"] and "id_token" not in token
    assert parse_qs(urlsplit(location).query)["realmId"] == [fake.realm_id]

    with pytest.raises(OAuthError) as reused:  # a code is single-use
        session.fetch_token(
            urls["QUICKBOOKS_ACCESS_TOKEN_URL"], authorization_response=location, state=state
        )
    assert reused.value.error == "invalid_grant"

    refreshed = authlib_session().refresh_token(
        urls["QUICKBOOKS_ACCESS_TOKEN_URL"], refresh_token=token["refresh_token"]
    )
    assert refreshed["refresh_token"] != token["refresh_token"]
    with pytest.raises(OAuthError) as old:
        authlib_session().refresh_token(
            urls["QUICKBOOKS_ACCESS_TOKEN_URL"], refresh_token=token["refresh_token"]
        )
    assert old.value.error == "invalid_grant"

    form_revoke = authlib_session().revoke_token(
        urls["QUICKBOOKS_REVOKE_URL"], token=refreshed["refresh_token"]
    )
    assert form_revoke.status_code == 400  # Intuit documents a JSON body only

    # Authlib's revoke_token() always form-encodes its body, so the JSON revocation goes
    # through the same session as a plain POST (as billing.ledgers.connections does with
    # requests).
    response = authlib_session().post(
        urls["QUICKBOOKS_REVOKE_URL"],
        json={"token": refreshed["refresh_token"]},
        auth=(CLIENT_ID, CLIENT_SECRET),
        withhold_token=True,
    )
    assert response.status_code == 200 and response.content == b""
    with pytest.raises(OAuthError):
        authlib_session().refresh_token(
            urls["QUICKBOOKS_ACCESS_TOKEN_URL"], refresh_token=refreshed["refresh_token"]
        )
    assert (
        raw(fake, refreshed["access_token"], "GET", "query?query=select * from Item").status_code
        == 401
    )


def test_form_encoded_revocation_when_configured(fake):
    fake.configure(revoke_accepts_form=True)  # whether Intuit accepts it is unverified
    tokens = fake.tokens()
    response = authlib_session().revoke_token(
        fake.settings()["QUICKBOOKS_REVOKE_URL"], token=tokens["refresh_token"]
    )
    assert response.status_code == 200
    assert raw(fake, tokens["access_token"], "GET", "item/1").status_code == 401


def test_authorize_denial_and_rejected_requests(fake):
    urls = fake.settings()
    session = authlib_session()
    url, state = session.create_authorization_url(urls["QUICKBOOKS_AUTHORIZE_URL"])
    assert authorize(url + "&deny=1") == {"error": "access_denied", "state": state}
    outside = OAuth2Session(
        CLIENT_ID, CLIENT_SECRET, scope=SCOPE, redirect_uri="https://evil.test/cb"
    )
    bad_url, _ = outside.create_authorization_url(urls["QUICKBOOKS_AUTHORIZE_URL"])
    assert requests.get(bad_url, allow_redirects=False, timeout=5).status_code == 400
    code = authorize(url)["code"]
    elsewhere = OAuth2Session(
        CLIENT_ID, CLIENT_SECRET, redirect_uri="http://localhost:9999/other"
    )  # a code is bound to its redirect_uri
    with pytest.raises(OAuthError) as mismatch:
        elsewhere.fetch_token(urls["QUICKBOOKS_ACCESS_TOKEN_URL"], code=code)
    assert mismatch.value.error == "invalid_grant"
    wrong = OAuth2Session(CLIENT_ID, "not-the-secret", redirect_uri=REDIRECT_URI)
    with pytest.raises(OAuthError) as bad_client:
        wrong.fetch_token(urls["QUICKBOOKS_ACCESS_TOKEN_URL"], code=authorize(url)["code"])
    assert bad_client.value.error == "invalid_client"


def test_token_endpoint_accepts_body_credentials_and_codes_expire(fake):
    urls = fake.settings()
    url, _ = authlib_session().create_authorization_url(urls["QUICKBOOKS_AUTHORIZE_URL"])
    post = OAuth2Session(
        CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT_URI,
        token_endpoint_auth_method="client_secret_post",
    )  # fmt: skip
    assert post.fetch_token(urls["QUICKBOOKS_ACCESS_TOKEN_URL"], code=authorize(url)["code"])
    late = authorize(url)["code"]
    fake.advance(fake.store.config.code_ttl + 1)
    with pytest.raises(OAuthError) as expired:
        authlib_session().fetch_token(urls["QUICKBOOKS_ACCESS_TOKEN_URL"], code=late)
    assert expired.value.error == "invalid_grant"


# --- wire shapes with plain requests -------------------------------------------------------


def test_fault_shapes_and_validation_codes(fake):
    token = fake.tokens()["access_token"]
    missing = raw(fake, token, "POST", "invoice", json={"Line": []})
    assert missing.status_code == 400 and missing.headers["intuit_tid"]
    error = missing.json()["Fault"]["Error"][0]
    assert missing.json()["Fault"]["type"] == "ValidationFault"
    assert error["code"] == "2020" and error["Detail"].startswith("Required parameter")
    raw(fake, token, "POST", "customer", json={"DisplayName": "Acme"})
    line = {
        "DetailType": "SalesItemLineDetail",
        "Amount": 10,
        "SalesItemLineDetail": {"ItemRef": {"value": "77"}},
    }
    bad_item = raw(
        fake, token, "POST", "invoice", json={"CustomerRef": {"value": "1"}, "Line": [line]}
    )
    assert bad_item.json()["Fault"]["Error"][0]["code"] == "2500"
    line["SalesItemLineDetail"]["ItemRef"]["value"] = "1"
    body = {"CustomerRef": {"value": "1"}, "DocNumber": "INV-7", "Line": [line]}
    assert raw(fake, token, "POST", "invoice", json=body).status_code == 200
    duplicate = raw(fake, token, "POST", "invoice", json=body).json()["Fault"]["Error"][0]
    assert duplicate["code"] == "6140" and "DocNumber=INV-7" in duplicate["Detail"]
    allowed = raw(
        fake, token, "POST", "invoice", json=body, params={"include": "allowduplicatedocnum"}
    )
    assert allowed.status_code == 200
    unknown = raw(fake, token, "GET", "invoice/999").json()["Fault"]["Error"][0]
    assert (unknown["code"], unknown["Message"]) == ("610", "Object Not Found")


def test_items_and_line_amounts_are_validated(fake):
    token = fake.tokens()["access_token"]
    missing = raw(fake, token, "POST", "item", json={"Name": "Backup", "Type": "Service"})
    assert missing.json()["Fault"]["Error"][0]["Detail"] == (
        "Required parameter IncomeAccountRef is missing in the request"
    )
    item = {"Name": "Backup", "Type": "Service", "IncomeAccountRef": {"value": "79"}}
    created = raw(fake, token, "POST", "item", json=item).json()["Item"]
    assert created["IncomeAccountRef"] == {"value": "79", "name": "Sales of Product Income"}
    assert raw(fake, token, "POST", "item", json=item).json()["Fault"]["Error"][0]["code"] == "6240"
    raw(fake, token, "POST", "customer", json={"DisplayName": "Acme"})
    detail = {"ItemRef": {"value": created["Id"]}, "Qty": "3", "UnitPrice": "0.10"}
    line = {"DetailType": "SalesItemLineDetail", "Amount": "0.31", "SalesItemLineDetail": detail}
    body = {"CustomerRef": {"value": "1"}, "Line": [line]}
    mismatch = raw(fake, token, "POST", "invoice", json=body).json()["Fault"]["Error"][0]
    assert mismatch["Message"] == "Amount is not equal to UnitPrice * Qty"
    line["Amount"] = "0.30"
    assert raw(fake, token, "POST", "invoice", json=body).json()["Invoice"]["TotalAmt"] == 0.3


@pytest.mark.parametrize(
    ("rotation", "invalidate_old", "rotates", "old_still_works"),
    [
        ("always_rotate", True, True, False),
        ("always_rotate", False, True, True),
        ("rotate_every_24h", True, False, True),
        ("never", True, False, True),
    ],
)
def test_refresh_rotation_policies(fake, rotation, invalidate_old, rotates, old_still_works):
    fake.configure(rotation=rotation, invalidate_old_refresh=invalidate_old)
    token_url = fake.settings()["QUICKBOOKS_ACCESS_TOKEN_URL"]
    first = fake.tokens()["refresh_token"]
    second = authlib_session().refresh_token(token_url, refresh_token=first)
    assert (second["refresh_token"] != first) is rotates
    assert second["x_refresh_token_expires_in"] == 8726400
    try:
        authlib_session().refresh_token(token_url, refresh_token=first)
        worked = True
    except OAuthError:
        worked = False
    assert worked is old_still_works


def test_concurrent_requests_over_the_limit_get_429(fake):
    fake.configure(concurrent_limit=1, response_delay=0.2)
    token = fake.tokens()["access_token"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(lambda _: raw(fake, token, "GET", "item/1").status_code, [1, 2]))
    fake.wait_idle()
    assert statuses == [200, 429]


def test_sparse_update_and_inactive_customers(fake):
    token = fake.tokens()["access_token"]
    created = raw(fake, token, "POST", "customer", json={"DisplayName": "Gone Ltd"}).json()
    sparse = {"Id": created["Customer"]["Id"], "SyncToken": "0", "sparse": True, "Active": False}
    updated = raw(fake, token, "POST", "customer", json=sparse).json()["Customer"]
    assert updated["SyncToken"] == "1" and updated["DisplayName"] == "Gone Ltd"
    query = "select * from Customer where DisplayName = 'Gone Ltd'"
    assert raw(fake, token, "GET", "query", params={"query": query}).json()["QueryResponse"] == {}
    inactive = raw(fake, token, "GET", "query", params={"query": query + " and Active = false"})
    assert len(inactive.json()["QueryResponse"]["Customer"]) == 1


def test_query_subset(fake):
    token = fake.tokens()["access_token"]
    for name in ("Alpha", "Beta", "Gamma"):
        raw(fake, token, "POST", "customer", json={"DisplayName": name})

    def run(text):
        headers = {"Content-Type": "application/text"}
        return raw(fake, token, "POST", "query", data=text, headers=headers).json()

    page = run("SELECT * FROM Customer ORDERBY DisplayName DESC STARTPOSITION 2 MAXRESULTS 1")
    assert [c["DisplayName"] for c in page["QueryResponse"]["Customer"]] == ["Beta"]
    assert page["QueryResponse"]["startPosition"] == 2 and page["QueryResponse"]["maxResults"] == 1
    found = run("select * from customer where DisplayName in ('Alpha', 'Gamma') and Id > '1'")
    assert [c["DisplayName"] for c in found["QueryResponse"]["Customer"]] == ["Gamma"]
    like = run("select count(*) from Customer where DisplayName like '%a%'")
    assert like["QueryResponse"] == {"totalCount": 3}
    for bad in (
        "select * from Customer where DisplayName = 'A' or Id = '1'",
        "",
        "select Id from Item",
    ):
        assert run(bad)["Fault"]["Error"][0]["code"] == "4000"


def test_rate_limit_is_per_realm_per_minute_with_a_settable_clock(fake):
    fake.configure(rate_limit_per_minute=3)
    token = fake.tokens()["access_token"]
    statuses = [raw(fake, token, "GET", "item/1").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = raw(fake, token, "GET", "item/1")
    error = throttled.json()["Fault"]["Error"][0]
    assert error["code"] == "3001" and "ThrottleExceeded" in error["Message"]
    assert throttled.headers["Retry-After"] == "60"
    fake.configure(retry_after_seconds=None)  # the seconds until the window frees instead
    assert 1 <= int(raw(fake, token, "GET", "item/1").headers["Retry-After"]) <= 60
    fake.advance(61)
    assert raw(fake, token, "GET", "item/1").status_code == 200


def test_batch_limits_and_shapes(fake):
    token = fake.tokens()["access_token"]
    items = [
        {"bId": f"b{n}", "operation": "create", "Customer": {"DisplayName": f"C{n}"}}
        for n in range(31)
    ]
    too_many = raw(fake, token, "POST", "batch", json={"BatchItemRequest": items})
    assert too_many.status_code == 400
    empty = raw(fake, token, "POST", "batch", json={"BatchItemRequest": []}).json()
    assert empty["Fault"]["Error"][0]["Detail"] == "Batch Request is Empty"
    mixed = [items[0], {"bId": "q", "Query": "select * from Customer"}, {**items[0], "bId": "dup"}]
    answer = raw(fake, token, "POST", "batch", json={"BatchItemRequest": mixed}).json()
    by_bid = {r["bId"]: r for r in answer["BatchItemResponse"]}
    assert by_bid["b0"]["Customer"]["DisplayName"] == "C0"
    assert by_bid["q"]["QueryResponse"] == {}  # items do not see what the batch created
    assert by_bid["dup"]["Fault"]["Error"][0]["code"] == "6240" and "time" in answer
    fake.configure(batch_limit_per_minute=1)
    again = raw(fake, token, "POST", "batch", json={"BatchItemRequest": [items[5]]})
    assert again.status_code == 429


def test_control_endpoints_over_http(fake):
    token = fake.tokens()["access_token"]
    control = f"{fake.url}/_fake"
    assert requests.post(f"{control}/fail-next", params={"status": 503}, timeout=5).ok
    assert raw(fake, token, "GET", "item/1").status_code == 503
    requests.post(f"{control}/fail-next", params={"status": 500}, timeout=5)
    failed = raw(fake, token, "GET", "item/1")
    assert failed.status_code == 500 and failed.json()["Fault"]["Error"][0]["code"] == "10000"
    requests.post(f"{control}/drop-next", timeout=5)
    with pytest.raises(requests.ConnectionError):
        raw(fake, token, "POST", "customer", json={"DisplayName": "Lost"})
    state = requests.get(f"{control}/state", timeout=5).json()
    assert [c["DisplayName"] for c in state["realms"][fake.realm_id]["Customer"]] == ["Lost"]
    assert state["counts"]["POST /v3/company/{realmId}/customer"] == 1
    assert state["requests"][-1]["dropped"] is True
    assert requests.post(f"{control}/config", json={"nope": 1}, timeout=5).status_code == 400
    assert requests.post(f"{control}/config", json={"access_token_ttl": 10}, timeout=5).ok
    short = requests.post(f"{control}/tokens", timeout=5).json()["access_token"]
    requests.post(f"{control}/clock", params={"advance": 11}, timeout=5)
    assert raw(fake, short, "GET", "item/1").status_code == 401
    assert requests.post(f"{control}/reset", timeout=5).ok
    assert fake.store.config.access_token_ttl == 3600 and fake.entities("Customer") == []


def test_standalone_server_prints_its_settings():
    command = [sys.executable, "-m", "tests.fakes.quickbooks", "--port", "0",
               "--client-id", "ID", "--client-secret", "SECRET"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    try:
        lines = [process.stdout.readline().strip() for _ in range(7)]
        settings = dict(line.split("=", 1) for line in lines[1:])
        assert settings["QUICKBOOKS_CLIENT_ID"] == "ID"
        assert settings["QUICKBOOKS_API_BASE_URL"].endswith("/v3")
        origin = settings["QUICKBOOKS_AUTHORIZE_URL"].removesuffix("/connect/oauth2")
        discovery = requests.get(f"{origin}/.well-known/openid_configuration", timeout=5).json()
        assert discovery["token_endpoint"] == settings["QUICKBOOKS_ACCESS_TOKEN_URL"]
        assert discovery["revocation_endpoint"] == settings["QUICKBOOKS_REVOKE_URL"]
    finally:
        process.terminate()
        process.wait(timeout=5)


# --- tax models, names, edits in QuickBooks and validation (§2.2) -----------------------


@pytest.fixture
def token(fake) -> str:
    return fake.tokens()["access_token"]


def decoded(response: requests.Response) -> dict:
    return json.loads(response.text, parse_float=Decimal)


def fault(response: requests.Response) -> dict:
    assert response.status_code == 400, response.text
    return response.json()["Fault"]["Error"][0]


def create(fake, token: str, entity: str, body: dict, **params) -> requests.Response:
    return raw(fake, token, "POST", entity, json=body, params=params)


def query(fake, token: str, text: str) -> dict:
    return decoded(raw(fake, token, "GET", "query", params={"query": text}))["QueryResponse"]


def line(amount: str, tax: str | None = None, qty: str | None = None, price: str | None = None):
    detail: dict = {"ItemRef": {"value": "1"}}
    if tax:
        detail["TaxCodeRef"] = {"value": tax}
    if qty is not None:
        detail.update(Qty=qty, UnitPrice=price)
    return {"DetailType": "SalesItemLineDetail", "Amount": amount, "SalesItemLineDetail": detail}


def new_customer(fake, token: str, name: str = "Acme Ltd", **fields) -> str:
    response = create(fake, token, "customer", {"DisplayName": name, **fields})
    return decoded(response)["Customer"]["Id"]


def new_invoice(fake, token: str, lines: list, **fields) -> requests.Response:
    found = [c["Id"] for c in fake.entities("Customer") if c["DisplayName"] == "Acme Ltd"]
    customer_id = found[0] if found else new_customer(fake, token)
    body = {"CustomerRef": {"value": customer_id}, "Line": lines, **fields}
    return create(fake, token, "invoice", body)


def test_company_info_and_preferences_follow_the_configuration(fake, token):
    prefs = decoded(raw(fake, token, "GET", "preferences"))["Preferences"]
    assert prefs["TaxPrefs"] == {"UsingSalesTax": True, "PartnerTaxEnabled": False}
    assert prefs["CurrencyPrefs"] == {
        "MultiCurrencyEnabled": False,
        "HomeCurrency": {"value": "USD"},
    }
    assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is True
    fake.configure(automated_sales_tax=True, multicurrency=True, custom_txn_numbers=False)
    [queried] = query(fake, token, "select * from Preferences")["Preferences"]
    assert queried["TaxPrefs"]["PartnerTaxEnabled"] is True
    assert queried["CurrencyPrefs"]["MultiCurrencyEnabled"] is True
    assert queried["SalesFormsPrefs"]["CustomTxnNumbers"] is False

    def country() -> str:
        info = decoded(raw(fake, token, "GET", f"companyinfo/{fake.realm_id}"))["CompanyInfo"]
        return info["Country"]

    assert country() == "US"
    fake.configure(tax_model="global")
    assert country() == "GB"
    fake.configure(country="CA")
    assert country() == "CA"
    with pytest.raises(ValueError):
        fake.configure(tax_model="uk")
    with pytest.raises(KeyError, match="replaced"):
        fake.configure(tax_rates={"TAX": "10"})


def test_us_model_seeds_pseudo_codes_sales_tax_codes_and_rates(fake, token):
    codes = {c["Id"]: c for c in query(fake, token, "select * from TaxCode")["TaxCode"]}
    assert sorted(codes) == ["2", "3", "4", "NON", "TAX"]
    assert codes["TAX"]["Taxable"] is True and codes["NON"]["Taxable"] is False
    combined = codes[US_TAX_CODES["combined"]]
    assert combined["TaxGroup"] is True and combined["Name"] == "Combined: Austin"
    parts = [d["TaxRateRef"]["value"] for d in combined["SalesTaxRateList"]["TaxRateDetail"]]
    rates = {
        r["Id"]: r["RateValue"] for r in query(fake, token, "select * from TaxRate")["TaxRate"]
    }
    assert rates == {rate_id: percent for rate_id, (_, percent, _) in US_TAX_RATES.items()}
    assert [rates[p] for p in parts] == [Decimal("6.25"), Decimal("2")]
    assert dict(US_TAX_CODE_RATES) == {
        "2": Decimal("8.25"),
        "3": Decimal("2"),
        "4": Decimal("8.25"),
    }
    agencies = query(fake, token, "select * from TaxAgency")["TaxAgency"]
    assert len(agencies) == 3


def test_us_lines_take_only_tax_or_non(fake, token):
    numeric = fault(new_invoice(fake, token, [line("10.00", tax=US_TAX_CODES["state"])]))
    assert numeric["code"] == "6000"
    assert numeric["Message"] == (
        "A business validation error has occurred while processing your request"
    )
    assert numeric["Detail"] == (
        "Business Validation Error: Tax code 2 is not valid for a line in a US company; "
        "use TAX or NON"
    )
    assert fault(new_invoice(fake, token, [line("10.00", tax="99")]))["code"] == "2500"
    txn_pseudo = {"TxnTaxCodeRef": {"value": "TAX"}}
    pseudo = fault(new_invoice(fake, token, [line("10.00", "TAX")], TxnTaxDetail=txn_pseudo))
    assert pseudo["code"] == "6000" and "TxnTaxCodeRef must be a sales tax code" in pseudo["Detail"]
    unknown = {"TxnTaxCodeRef": {"value": "77"}}
    assert (
        fault(new_invoice(fake, token, [line("1.00", "TAX")], TxnTaxDetail=unknown))["code"]
        == "2500"
    )


def test_us_tax_is_the_txn_code_rate_on_tax_lines_and_ignores_the_client_total(fake, token):
    lines = [line("99.99", "TAX", "3", "33.33"), line("50.00", "NON")]

    def taxed(code: str | None) -> dict:
        sent = {"TotalTax": "999.99", "TaxLine": [{"Amount": "999.99"}]}
        if code:
            sent["TxnTaxCodeRef"] = {"value": code}
        body = {"CustomerRef": {"value": cid}, "Line": lines, "TxnTaxDetail": sent}
        return decoded(create(fake, token, "invoice", body))["Invoice"]

    cid = new_customer(fake, token)
    county = taxed(US_TAX_CODES["county"])  # 99.99 x 2 % = 1.9998
    assert county["TxnTaxDetail"]["TotalTax"] == Decimal("2.00")
    assert county["TxnTaxDetail"]["TxnTaxCodeRef"] == {"value": "3"}
    assert county["TotalAmt"] == Decimal("151.99") == county["Balance"]
    combined = taxed(US_TAX_CODES["combined"])  # 99.99 x 8.25 % = 8.249175
    detail = combined["TxnTaxDetail"]
    assert detail["TotalTax"] == Decimal("8.25") and combined["TotalAmt"] == Decimal("158.24")
    assert [(t["Amount"], t["TaxLineDetail"]["TaxPercent"]) for t in detail["TaxLine"]] == [
        (Decimal("6.25"), Decimal("6.25")),
        (Decimal("2.00"), Decimal("2")),
    ]
    assert detail["TaxLine"][0]["TaxLineDetail"]["NetAmountTaxable"] == Decimal("99.99")
    untaxed = taxed(None)  # TAX lines but no sales tax code: no tax
    assert untaxed["TxnTaxDetail"]["TotalTax"] == 0 and untaxed["TotalAmt"] == Decimal("149.99")
    lines[:] = [line("0.20", "TAX")]  # 6.25 % -> 0.0125, 2 % -> 0.004; 8.25 % -> 0.0165
    once = taxed(US_TAX_CODES["combined"])["TxnTaxDetail"]
    assert once["TotalTax"] == Decimal("0.02")
    assert sum(t["Amount"] for t in once["TaxLine"]) == Decimal("0.02")
    fake.configure(tax_rounding="per_rate")
    assert taxed(US_TAX_CODES["combined"])["TxnTaxDetail"]["TotalTax"] == Decimal("0.01")


def test_automated_sales_tax_computes_its_own_tax_and_ignores_the_txn_code(fake, token):
    fake.configure(automated_sales_tax=True)
    sent = {"TxnTaxCodeRef": {"value": US_TAX_CODES["county"]}, "TotalTax": "1.00"}
    lines = [line("60.00", "TAX"), line("40.00", "NON")]
    created = decoded(new_invoice(fake, token, lines, TxnTaxDetail=sent))["Invoice"]
    detail = created["TxnTaxDetail"]
    assert fake.store.config.ast_rate == Decimal("8.875")
    assert detail["TotalTax"] == Decimal("5.33")  # 60.00 x 8.875 % = 5.325, half up
    assert "TxnTaxCodeRef" not in detail
    assert detail["TaxLine"][0]["TaxLineDetail"]["TaxPercent"] == Decimal("8.875")
    assert created["TotalAmt"] == Decimal("105.33")


def test_global_model_taxes_each_line_code_once_per_code(fake, token):
    config = requests.post(f"{fake.url}/_fake/config", json={"tax_model": "global"}, timeout=5)
    assert config.json()["tax_model"] == "global"  # and the tax codes are reseeded
    codes = query(fake, token, "select * from TaxCode")["TaxCode"]
    assert sorted(c["Id"] for c in codes) == ["3", "4", "5", "6"]
    assert dict(GLOBAL_TAX_CODE_RATES) == {
        "3": Decimal("20"), "4": Decimal("5"), "5": Decimal("0"), "6": Decimal("0"),
    }  # fmt: skip
    assert decoded(raw(fake, token, "GET", "item/1"))["Item"]["Name"] == "Services"
    standard, reduced = GLOBAL_TAX_CODES["standard"], GLOBAL_TAX_CODES["reduced"]
    lines = [
        line("10.01", standard), line("10.02", standard),  # 20.03 x 20 % = 4.006, not 2.00 + 2.00
        line("10.10", reduced),  # 0.505, half up
        line("7.00", GLOBAL_TAX_CODES["zero"]),
    ]  # fmt: skip
    sent = {"TxnTaxCodeRef": {"value": standard}, "TotalTax": "0"}
    created = decoded(new_invoice(fake, token, lines, TxnTaxDetail=sent))["Invoice"]
    detail = created["TxnTaxDetail"]
    assert detail["TotalTax"] == Decimal("4.52") and "TxnTaxCodeRef" not in detail
    assert [t["Amount"] for t in detail["TaxLine"]] == [
        Decimal("4.01"), Decimal("0.51"), Decimal("0"),
    ]  # fmt: skip
    assert created["TotalAmt"] == Decimal("41.65") and created["GlobalTaxCalculation"] == (
        "TaxExcluded"
    )
    pseudo = fault(new_invoice(fake, token, [line("1.00", "TAX")]))
    assert (pseudo["code"], pseudo["Message"]) == ("2500", "Invalid Reference Id")
    missing = fault(new_invoice(fake, token, [line("1.00")]))
    assert missing["code"] == "6000" and missing["Detail"] == (
        "Business Validation Error: Make sure all your transactions have a VAT rate before you "
        "save."
    )
    inclusive = new_invoice(
        fake, token, [line("1.00", standard)], GlobalTaxCalculation="TaxInclusive"
    )
    assert fault(inclusive)["code"] == "2010"


def test_display_names_are_unique_across_customers_vendors_and_employees(fake, token):
    assert fake.add_name("Vendor", "Northwind Traders")["DisplayName"] == "Northwind Traders"
    assert fake.add_name("Employee", "Jordan Lee")["FamilyName"] == "Lee"
    for taken in ("northwind traders", "Jordan Lee"):
        error = fault(create(fake, token, "customer", {"DisplayName": taken}))
        assert (error["code"], error["Message"]) == ("6240", "Duplicate Name Exists Error")
    employee = create(fake, token, "employee", {"GivenName": "Sam", "FamilyName": "Ray"})
    assert decoded(employee)["Employee"]["DisplayName"] == "Sam Ray"
    assert fault(create(fake, token, "employee", {"Title": "Dr"}))["code"] == "2020"
    assert create(fake, token, "vendor", {"DisplayName": "Contoso"}).status_code == 200
    cid = new_customer(fake, token, "Acme Ltd")
    for name in ("Contoso", "Sam Ray", "Northwind Traders"):  # renaming is checked too
        rename = {"Id": cid, "SyncToken": "0", "sparse": True, "DisplayName": name}
        assert fault(create(fake, token, "customer", rename))["code"] == "6240"
    rename = {"Id": cid, "SyncToken": "0", "sparse": True, "DisplayName": "Acme Limited"}
    assert decoded(create(fake, token, "customer", rename))["Customer"]["SyncToken"] == "1"
    assert fault(create(fake, token, "vendor", {"DisplayName": "Acme Limited"}))["code"] == "6240"
    vendors = query(fake, token, "select * from Vendor where DisplayName in ('Contoso', 'X')")
    assert [v["DisplayName"] for v in vendors["Vendor"]] == ["Contoso"]
    assert len(query(fake, token, "select * from Employee")["Employee"]) == 2
    with pytest.raises(QboFault) as again:
        fake.add_name("Vendor", "Acme Limited")
    assert again.value.errors[0]["code"] == "6240"
    control = f"{fake.url}/_fake/name"
    added = requests.post(control, json={"kind": "Vendor", "DisplayName": "Fabrikam"}, timeout=5)
    assert added.status_code == 200 and added.json()["Vendor"]["Id"] == "3"
    duplicate = requests.post(
        control, json={"kind": "Employee", "DisplayName": "Fabrikam"}, timeout=5
    )
    assert duplicate.json()["Fault"]["Error"][0]["code"] == "6240"
    wrong_kind = requests.post(control, json={"kind": "Customer", "DisplayName": "Z"}, timeout=5)
    assert wrong_kind.status_code == 400


def test_names_cannot_contain_a_colon_tab_or_newline(fake, token):
    error = fault(create(fake, token, "customer", {"DisplayName": "Acme:Ltd"}))
    assert (error["code"], error["element"]) == ("6000", "DisplayName")
    assert error["Detail"] == (
        "Business Validation Error: DisplayName cannot contain a colon (:); QuickBooks uses ':' "
        "to separate sub-customer names. Supplied value:Acme:Ltd"
    )
    assert fault(create(fake, token, "customer", {"DisplayName": "Tab\tLtd"}))["code"] == "6000"
    given = fault(create(fake, token, "customer", {"GivenName": "A:B", "DisplayName": "AB"}))
    assert given["element"] == "GivenName"
    assert fault(create(fake, token, "vendor", {"DisplayName": "Sup:plier"}))["code"] == "6000"
    parent = new_customer(fake, token, "Acme Ltd")
    rename = {"Id": parent, "SyncToken": "0", "sparse": True, "DisplayName": "Acme: Ltd"}
    assert fault(create(fake, token, "customer", rename))["code"] == "6000"
    site = create(
        fake, token, "customer", {"DisplayName": "Site B", "ParentRef": {"value": parent}}
    )
    assert decoded(site)["Customer"]["FullyQualifiedName"] == "Acme Ltd:Site B"


def test_edit_in_quickbooks_bumps_sync_token_and_makes_the_old_one_stale(fake, token):
    created = decoded(new_invoice(fake, token, [line("10.00")]))["Invoice"]
    fake.advance(5)
    edited = fake.edit_in_ledger(
        "Invoice", created["Id"], CustomerMemo={"value": "Thank you"}, PrivateNote="typed in QBO"
    )
    assert edited["SyncToken"] == "1" and edited["CustomerMemo"] == {"value": "Thank you"}
    assert edited["MetaData"]["CreateTime"] == created["MetaData"]["CreateTime"]
    assert edited["MetaData"]["LastUpdatedTime"] > created["MetaData"]["LastUpdatedTime"]
    stale = {"Id": created["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "ours"}
    error = fault(create(fake, token, "invoice", stale))
    assert (error["code"], error["Message"]) == ("5010", "Stale Object Error")
    over_http = requests.post(
        f"{fake.url}/_fake/edit",
        json={"entity": "Invoice", "id": created["Id"], "fields": {"SalesTermRef": {"value": "3"}}},
        timeout=5,
    )
    assert over_http.json()["Invoice"]["SyncToken"] == "2"
    read = decoded(raw(fake, token, "GET", f"invoice/{created['Id']}"))["Invoice"]
    assert read["SalesTermRef"] == {"value": "3"} and read["PrivateNote"] == "typed in QBO"
    assert "PrivateNote" not in fake.edit_in_ledger("Invoice", created["Id"], PrivateNote=None)
    with pytest.raises(QboFault) as refused:  # QBO's own rules hold for its users too
        fake.edit_in_ledger("Invoice", created["Id"], DocNumber="X" * 22)
    assert refused.value.errors[0]["code"] == "2050"
    with pytest.raises(QboFault) as missing:
        fake.edit_in_ledger("Invoice", "404", PrivateNote="x")
    assert missing.value.errors[0]["code"] == "610"


def test_sparse_update_keeps_ledger_edits_and_full_update_clears_them(fake, token):
    lines = [line("300.00", "NON", "2", "150.00")]
    created = decoded(new_invoice(fake, token, lines, PrivateNote="ours"))["Invoice"]
    fake.edit_in_ledger("Invoice", created["Id"], CustomerMemo={"value": "Thank you"})
    sparse = {"Id": created["Id"], "SyncToken": "1", "sparse": True, "PrivateNote": "updated"}
    kept = decoded(create(fake, token, "invoice", sparse))["Invoice"]
    assert kept["CustomerMemo"] == {"value": "Thank you"} and kept["PrivateNote"] == "updated"
    assert kept["TotalAmt"] == Decimal("300.00") and kept["DocNumber"] == created["DocNumber"]
    full = {"Id": created["Id"], "SyncToken": "2", "CustomerRef": created["CustomerRef"]}
    full["Line"] = lines  # and nothing else: CustomerMemo and PrivateNote are left out
    replaced = decoded(create(fake, token, "invoice", full))["Invoice"]
    assert replaced["SyncToken"] == "3"
    assert "CustomerMemo" not in replaced and "PrivateNote" not in replaced


@pytest.mark.parametrize(
    ("qty", "price", "amount", "rounding", "accepted"),
    [
        ("1.5", "15001", "22502", "half_up", False),
        ("1.5", "15001", "22501.50", "half_up", True),
        ("0.333", "25.00", "8.33", "half_up", True),  # 8.325 rounds half up
        ("0.333", "25.00", "8.32", "half_up", False),
        ("0.333", "25.00", "8.325", "half_up", False),  # Amount itself is not rounded
        ("0.333", "25.00", "8.32", "half_even", True),
        ("0.333", "25.00", "8.33", "half_even", False),
    ],
)
def test_line_amount_must_equal_unit_price_times_qty(
    fake, token, qty, price, amount, rounding, accepted
):
    fake.configure(line_amount_rounding=rounding)
    response = new_invoice(fake, token, [line(amount, "NON", qty, price)])
    if accepted:
        assert decoded(response)["Invoice"]["TotalAmt"] == Decimal(amount)
    else:
        error = fault(response)
        assert error["code"] == "6070"
        assert error["Message"] == "Amount is not equal to UnitPrice * Qty"


def test_doc_number_longer_than_21_characters_is_refused(fake, token):
    error = fault(new_invoice(fake, token, [line("1.00")], DocNumber="X" * 22))
    assert (error["code"], error["element"]) == ("2050", "DocNumber")
    assert error["Detail"].endswith("Max:21 supplied length:22")
    ok = new_invoice(fake, token, [line("1.00")], DocNumber="X" * 21)
    assert decoded(ok)["Invoice"]["DocNumber"] == "X" * 21


def test_foreign_currency_needs_multicurrency(fake, token):
    eur = {"value": "EUR"}
    refused = fault(new_invoice(fake, token, [line("1.00")], CurrencyRef=eur))
    assert refused["code"] == "6000" and "multicurrency is off" in refused["Detail"]
    assert (
        fault(create(fake, token, "customer", {"DisplayName": "Euro", "CurrencyRef": eur}))["code"]
        == "6000"
    )
    fake.configure(multicurrency=True)
    client = decoded(create(fake, token, "customer", {"DisplayName": "Euro", "CurrencyRef": eur}))
    assert client["Customer"]["CurrencyRef"] == {"value": "EUR", "name": "Euro"}
    body = {"CustomerRef": {"value": client["Customer"]["Id"]}, "Line": [line("100.00")],
            "CurrencyRef": eur, "ExchangeRate": "1.10"}  # fmt: skip
    in_euro = decoded(create(fake, token, "invoice", body))["Invoice"]
    assert in_euro["CurrencyRef"]["value"] == "EUR" and in_euro["HomeTotalAmt"] == Decimal("110")
    del body["CurrencyRef"]  # the customer's currency by default
    assert decoded(create(fake, token, "invoice", body))["Invoice"]["CurrencyRef"]["value"] == "EUR"
    mismatch = fault(create(fake, token, "invoice", {**body, "CurrencyRef": {"value": "USD"}}))
    assert mismatch["code"] == "6000" and "does not match the currency EUR" in mismatch["Detail"]


def test_requestid_is_remembered_for_a_day_then_forgotten(fake, token):
    ttl = fake.store.config.requestid_ttl
    assert ttl == 86400
    cid = new_customer(fake, token)
    body = {"CustomerRef": {"value": cid}, "DocNumber": "INV-7", "Line": [line("1.00")]}
    first = create(fake, token, "invoice", body, requestid="export-inv-7")
    fake.advance(ttl - 60)
    token = fake.tokens()["access_token"]  # the first one has expired meanwhile
    again = create(fake, token, "invoice", body, requestid="export-inv-7")
    assert again.content == first.content and len(fake.entities("Invoice")) == 1
    fake.advance(61)
    token = fake.tokens()["access_token"]
    late = fault(create(fake, token, "invoice", body, requestid="export-inv-7"))
    assert late["code"] == "6140" and "DocNumber=INV-7" in late["Detail"]


def test_exporter_queries_by_doc_numbers_ids_and_display_names(fake, token):
    for name in ("Alpha", "Beta", "Gamma"):
        cid = new_customer(fake, token, name)
        body = {"CustomerRef": {"value": cid}, "DocNumber": name[0], "Line": [line("1.00")]}
        assert create(fake, token, "invoice", body).status_code == 200
    by_number = query(
        fake, token, "select * from Invoice where DocNumber in ('A','B') MAXRESULTS 1000"
    )
    assert sorted(i["DocNumber"] for i in by_number["Invoice"]) == ["A", "B"]
    assert by_number["maxResults"] == 2
    by_id = query(fake, token, "select * from Invoice where Id in ('1','2')")
    assert sorted(i["Id"] for i in by_id["Invoice"]) == ["1", "2"]
    names = query(
        fake, token, "select * from Customer where DisplayName in ('Alpha', 'gamma', 'Nobody')"
    )
    assert sorted(c["DisplayName"] for c in names["Customer"]) == ["Alpha", "Gamma"]
