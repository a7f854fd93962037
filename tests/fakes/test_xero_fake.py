"""Conformance of the fake Xero, driven by independent clients and checked against Xero's spec.

The official SDK (xero-python) and Authlib talk to the fake as they would to Xero; raw
``requests`` checks exact wire shapes; bodies are validated against ``xero_accounting.yaml``.

How xero-python is pointed at the fake, without patching its code:
- ``AccountingApi(api_client, base_url=<fake>/api.xro/2.0)`` and ``IdentityApi(api_client,
  base_url=<fake>)``: both constructors take the base URL.
- Tokens come from the ``oauth2_token_getter``/``saver`` callbacks of ``ApiClient``; the
  ``Configuration`` gets its own ``OAuth2Token`` (its metaclass would otherwise hand every later
  ``Configuration(...)`` a copy of the first one's arguments).
- ``TokenApi``'s refresh and revoke URLs are class attributes: monkeypatched to the fake.
- Its urllib3 pool retries a 429 after sleeping ``Retry-After`` (urllib3's default ``Retry``);
  to see the 429 itself the ``sdk`` fixture turns that off (``test_sdk_honours_retry_after``
  shows the default at work).
"""

from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from urllib3.util import Retry
from xero_python.accounting import AccountingApi, Contact, Contacts, Invoice, Invoices, LineItem
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.exceptions import ApiException, BadRequestException, RateLimitException
from xero_python.identity import IdentityApi

from tests.conftest import STRICT
from tests.fakes import xero_spec
from tests.fakes.fixtures import fake_fixtures
from tests.fakes.xero import DEFAULT_TENANT_ID, FakeXero

CLIENT_ID, CLIENT_SECRET = "conformance-client", "conformance-secret"
REDIRECT = "http://127.0.0.1:8765/callback"  # never followed: the tests read the Location
# Granular: the fake's app is new (created on or after 2 March 2026) unless told otherwise.
SCOPE = "openid profile email offline_access accounting.invoices accounting.contacts"
DUPLICATE = (
    "The contact name Buzz Lightyear is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)
# Under MSP_TEST_STRICT (CI) a missing spec is a failure, never a skip.
needs_spec = pytest.mark.skipif(
    not xero_spec.available() and not STRICT, reason="xero_accounting.yaml absent"
)


fake, fresh = fake_fixtures(lambda: FakeXero(client_id=CLIENT_ID, client_secret=CLIENT_SECRET))


@pytest.fixture
def sdk(fake):
    """xero-python's AccountingApi and IdentityApi on the fake, with a fresh token."""
    holder = {"token": _sdk_token(fake.issue_token())}
    config = Configuration()
    config.oauth2_token = OAuth2Token(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    client = ApiClient(
        config,
        oauth2_token_getter=lambda: holder["token"],
        oauth2_token_saver=lambda token: holder.update(token=token),
    )
    client.rest_client.pool_manager.connection_pool_kw["retries"] = Retry(
        3, respect_retry_after_header=False
    )
    return SimpleNamespace(
        client=client,
        holder=holder,
        accounting=AccountingApi(client, base_url=f"{fake.url}/api.xro/2.0"),
        identity=IdentityApi(client, base_url=fake.url),
    )


def _sdk_token(body: dict) -> dict:
    keys = ("access_token", "refresh_token", "expires_in", "token_type", "id_token")
    return {**{k: body.get(k) for k in keys}, "scope": body["scope"].split()}


def _last_json(sdk) -> dict:
    return json.loads(sdk.client.last_response.data)


def _invoice(contact_id: str, number: str | None = None) -> Invoice:
    return Invoice(
        type="ACCREC",
        contact=Contact(contact_id=contact_id),
        date=date(2026, 1, 31),
        due_date=date(2026, 2, 28),
        invoice_number=number,
        reference="Jan 2026 MSP",
        status="AUTHORISED",
        line_items=[
            LineItem(
                description="Managed services",
                quantity=2.0,
                unit_amount=150.0,
                account_code="200",
                tax_type="OUTPUT2",
            )
        ],
    )


def _contact_id(sdk, name: str = "Acme Ltd") -> str:
    created = sdk.accounting.create_contacts(
        DEFAULT_TENANT_ID, Contacts(contacts=[Contact(name=name)])
    )
    return created.contacts[0].contact_id


@needs_spec
def test_spec_file_is_the_one_the_contract_read():
    """The spec file is byte-for-byte the one the fake was written against."""
    assert xero_spec.sha256() == xero_spec.SPEC_SHA256


@needs_spec
def test_create_contacts_twice_gives_bad_request_with_the_spec_error_body(sdk):
    """Duplicate name: BadRequestException, body valid as #/components/schemas/Error."""
    contacts = Contacts(
        contacts=[Contact(name="Buzz Lightyear", email_address="buzz@example.test")]
    )
    created = sdk.accounting.create_contacts(DEFAULT_TENANT_ID, contacts)
    assert created.contacts[0].name == "Buzz Lightyear"
    assert xero_spec.response_errors("Contacts", _last_json(sdk)) == []
    with pytest.raises(BadRequestException) as caught:
        sdk.accounting.create_contacts(DEFAULT_TENANT_ID, contacts)
    body = caught.value.error_data
    assert xero_spec.response_errors("Error", json.loads(caught.value.body)) == []
    assert (body["ErrorNumber"], body["Type"]) == (10, "ValidationException")
    assert body["Message"] == "A validation exception occurred"
    element = body["Elements"][0]
    assert element["HasValidationErrors"] is True
    assert element["ValidationErrors"] == [{"Message": DUPLICATE}]


def test_get_contacts_where_search_term_and_archived(sdk):
    """The where subset, searchTerm and includeArchived, through the SDK's parameters."""
    for name in ("Acme Ltd", "Acme Holdings", "Beta & Co"):
        _contact_id(sdk, name)
    api = sdk.accounting
    exact = api.get_contacts(DEFAULT_TENANT_ID, where='Name=="Acme Ltd"')
    assert [c.name for c in exact.contacts] == ["Acme Ltd"]
    both = api.get_contacts(DEFAULT_TENANT_ID, where='Name.StartsWith("Acme") AND Name!="x"')
    assert sorted(c.name for c in both.contacts) == ["Acme Holdings", "Acme Ltd"]
    found = api.get_contacts(DEFAULT_TENANT_ID, search_term="beta")
    assert [c.name for c in found.contacts] == ["Beta & Co"]
    beta = found.contacts[0]
    archived = Contacts(contacts=[Contact(contact_id=beta.contact_id, contact_status="ARCHIVED")])
    api.update_or_create_contacts(DEFAULT_TENANT_ID, archived)
    assert len(api.get_contacts(DEFAULT_TENANT_ID).contacts) == 2
    assert len(api.get_contacts(DEFAULT_TENANT_ID, include_archived=True).contacts) == 3


@needs_spec
def test_create_invoices_response_validates_against_the_spec(sdk):
    """PUT /Invoices: typed by the SDK, valid as #/components/schemas/Invoices, totals right."""
    contact_id = _contact_id(sdk)
    result = sdk.accounting.create_invoices(
        DEFAULT_TENANT_ID, Invoices(invoices=[_invoice(contact_id)])
    )
    body = _last_json(sdk)
    assert xero_spec.response_errors("Invoices", body) == []
    invoice = result.invoices[0]
    assert invoice.invoice_number == "INV-0001"
    assert (invoice.sub_total, invoice.total_tax, invoice.total) == (300, 45, 345)
    assert invoice.date == date(2026, 1, 31)
    raw = body["Invoices"][0]
    assert raw["Date"] == "/Date(1769817600000+0000)/"
    assert raw["LineItems"][0]["Quantity"] == 2 and raw["StatusAttributeString"] == "OK"
    assert body["Status"] == "OK" and body["DateTimeUTC"].startswith("/Date(")


def test_summarize_errors_false_returns_200_with_error_element(sdk):
    """A duplicate InvoiceNumber: 200, that element ERROR with Xero's message, the other OK."""
    contact_id = _contact_id(sdk)
    api = sdk.accounting
    api.create_invoices(DEFAULT_TENANT_ID, Invoices(invoices=[_invoice(contact_id, "INV-1001")]))
    batch = Invoices(invoices=[_invoice(contact_id, "INV-1001"), _invoice(contact_id, "INV-1002")])
    result = api.create_invoices(DEFAULT_TENANT_ID, batch, summarize_errors=False)
    if xero_spec.available():
        assert xero_spec.response_errors("Invoices", _last_json(sdk)) == []
    duplicate, fresh = result.invoices
    assert duplicate.status_attribute_string == "ERROR"
    assert [e.message for e in duplicate.validation_errors] == ["Invoice # must be unique."]
    assert fresh.status_attribute_string == "OK"
    with pytest.raises(BadRequestException) as caught:
        api.create_invoices(
            DEFAULT_TENANT_ID, Invoices(invoices=[_invoice(contact_id, "INV-1001")])
        )
    assert caught.value.error_data["Elements"][0]["HasErrors"] is True


def test_idempotency_key_replay_creates_one_invoice(sdk, fake):
    """The same Idempotency-Key replays the first answer; a different body with it is refused."""
    contact_id = _contact_id(sdk)
    api, invoices = sdk.accounting, Invoices(invoices=[_invoice(contact_id)])
    first = api.create_invoices(DEFAULT_TENANT_ID, invoices, idempotency_key="export-42")
    again = api.create_invoices(DEFAULT_TENANT_ID, invoices, idempotency_key="export-42")
    assert first.invoices[0].invoice_id == again.invoices[0].invoice_id
    assert len(fake.invoices()) == 1
    other = Invoices(invoices=[_invoice(contact_id, "INV-9999")])
    with pytest.raises(BadRequestException):
        api.create_invoices(DEFAULT_TENANT_ID, other, idempotency_key="export-42")
    fake.advance(361)
    api.create_invoices(DEFAULT_TENANT_ID, invoices, idempotency_key="export-42")
    assert len(fake.invoices()) == 2


def test_sixty_one_calls_in_a_minute_give_429(sdk, fake):
    """The 61st call: RateLimitException, Retry-After and X-Rate-Limit-Problem: minute."""
    for _ in range(60):
        sdk.accounting.get_organisations(DEFAULT_TENANT_ID)
    headers = sdk.client.last_response.getheaders()
    assert headers["X-MinLimit-Remaining"] == "0"
    assert headers["X-DayLimit-Remaining"] == "4940"
    with pytest.raises(RateLimitException) as caught:
        sdk.accounting.get_organisations(DEFAULT_TENANT_ID)
    assert caught.value.rate_limit == "minute"
    assert 1 <= int(caught.value.headers["Retry-After"]) <= 60
    fake.advance(60)
    assert sdk.accounting.get_organisations(DEFAULT_TENANT_ID).organisations


def test_sdk_honours_retry_after(fake, sdk):
    """With urllib3's default retries the SDK waits Retry-After and repeats the call itself."""
    sdk.client.rest_client.pool_manager.connection_pool_kw["retries"] = Retry.DEFAULT
    sdk.client.rest_client.pool_manager.clear()
    fake.fail_next(429, retry_after=0)
    assert sdk.accounting.get_organisations(DEFAULT_TENANT_ID).organisations
    assert fake.count("GET /Organisation") == 2


def test_day_limit_gives_429_day(fake, sdk):
    """Past the daily allowance the problem is ``day`` (limits are settings of the fake)."""
    fake.config.update({"day_limit": 2})
    sdk.accounting.get_currencies(DEFAULT_TENANT_ID)
    sdk.accounting.get_currencies(DEFAULT_TENANT_ID)
    with pytest.raises(RateLimitException) as caught:
        sdk.accounting.get_currencies(DEFAULT_TENANT_ID)
    assert caught.value.rate_limit == "day"


def test_get_connections_shape(sdk, fake):
    """IdentityApi.get_connections: the §1.2 fields, ISO dates with seven fractional digits."""
    second = fake.add_tenant("Second Org Ltd")
    sdk.holder["token"] = _sdk_token(fake.issue_token())
    connections = sdk.identity.get_connections()
    assert {c.tenant_id for c in connections} == {DEFAULT_TENANT_ID, second}
    raw = json.loads(sdk.client.last_response.data)
    assert set(raw[0]) == {
        "id",
        "authEventId",
        "tenantId",
        "tenantType",
        "tenantName",
        "createdDateUtc",
        "updatedDateUtc",
    }
    assert raw[0]["tenantType"] == "ORGANISATION"
    assert len(raw[0]["createdDateUtc"].split(".")[1]) == 7


def test_expired_token_gives_the_401_body(sdk, fake):
    """After 30 minutes: 401 with Xero's problem body and a TokenExpired detail."""
    fake.advance(1801)
    with pytest.raises(ApiException) as caught:
        sdk.accounting.get_invoices(DEFAULT_TENANT_ID)
    assert caught.value.status == 401
    body = json.loads(caught.value.body)
    assert set(body) == {"Type", "Title", "Status", "Detail", "Instance", "Extensions"}
    assert (body["Type"], body["Title"], body["Status"]) == (None, "Unauthorized", 401)
    assert body["Detail"].startswith("TokenExpired: token expired at ")


def test_tenant_and_scope_guards(fake):
    """403 for a missing or unconnected tenant; 401 AuthorizationUnsuccessful without scope."""
    api = f"{fake.url}/api.xro/2.0/Invoices"
    token = fake.issue_token(scope="offline_access accounting.contacts")["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    missing = requests.get(api, headers=headers, timeout=5)
    assert missing.status_code == 403 and missing.json()["Title"] == "Forbidden"
    unknown = requests.get(api, headers={**headers, "xero-tenant-id": "nope"}, timeout=5)
    assert unknown.json()["Detail"] == "AuthenticationUnsuccessful"
    headers["xero-tenant-id"] = DEFAULT_TENANT_ID
    scoped = requests.get(api, headers=headers, timeout=5)
    assert (scoped.status_code, scoped.json()["Detail"]) == (401, "AuthorizationUnsuccessful")
    garbage = requests.get(api, headers={**headers, "Authorization": "Bearer x"}, timeout=5)
    assert garbage.json()["Detail"] == "AuthenticationUnsuccessful"
    assert scoped.headers["Xero-Correlation-Id"]


# --- OAuth 2.0 with Authlib and xero-python's TokenApi (§1.2) -------------------------------


def _session(**kwargs) -> OAuth2Session:
    return OAuth2Session(CLIENT_ID, CLIENT_SECRET, scope=SCOPE, redirect_uri=REDIRECT, **kwargs)


def _consent(fake, session: OAuth2Session, **params) -> str:
    url, _ = session.create_authorization_url(f"{fake.url}/identity/connect/authorize", **params)
    answer = requests.get(url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def _connect(fake, session: OAuth2Session | None = None, **params) -> dict:
    session = session or _session()
    location = _consent(fake, session, **params)
    return session.fetch_token(f"{fake.url}/connect/token", authorization_response=location)


def _connections(fake, access_token: str, path: str = "/connections") -> requests.Response:
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    return requests.get(f"{fake.url}{path}", headers=headers, timeout=5)


def test_authlib_code_flow(fake):
    """Authorize auto-approves back to the redirect URI with code and state; the code is
    exchanged once (Basic auth) for the §1.2 token; a second exchange is invalid_grant."""
    session = _session()
    location = _consent(fake, session, state="st-1")
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(REDIRECT + "?") and query["state"] == ["st-1"]
    token = session.fetch_token(f"{fake.url}/connect/token", authorization_response=location)
    assert (token["expires_in"], token["token_type"]) == (1800, "Bearer")
    assert token["refresh_token"] and token["id_token"] and token["scope"] == SCOPE
    assert _connections(fake, token["access_token"]).json()[0]["tenantId"] == DEFAULT_TENANT_ID
    with pytest.raises(OAuthError) as caught:
        session.fetch_token(f"{fake.url}/connect/token", authorization_response=location)
    assert caught.value.error == "invalid_grant"


def test_code_is_bound_to_redirect_uri_and_expires(fake):
    """A code used with another redirect URI, or after its lifetime, is invalid_grant."""
    token_url = f"{fake.url}/connect/token"
    location = _consent(fake, _session())
    other = OAuth2Session(CLIENT_ID, CLIENT_SECRET, redirect_uri="http://127.0.0.1:9/other")
    with pytest.raises(OAuthError, match="invalid_grant"):
        other.fetch_token(token_url, authorization_response=location)
    location = _consent(fake, _session())
    fake.advance(fake.config.code_ttl + 1)
    with pytest.raises(OAuthError, match="invalid_grant"):
        _session().fetch_token(token_url, authorization_response=location)


def test_token_endpoint_accepts_body_credentials_and_checks_them(fake):
    """client_secret_post works as well as Basic; a wrong secret is invalid_client."""
    assert _connect(fake, _session(token_endpoint_auth_method="client_secret_post"))
    location = _consent(fake, _session())
    wrong = OAuth2Session(CLIENT_ID, "wrong", redirect_uri=REDIRECT)
    with pytest.raises(OAuthError) as caught:
        wrong.fetch_token(f"{fake.url}/connect/token", authorization_response=location)
    assert caught.value.error == "invalid_client"


def test_pkce_verifier_is_checked(fake):
    """With a S256 challenge the exchange needs the matching code_verifier."""
    verifier = "v" * 64
    session = _session(code_challenge_method="S256")
    token_url = f"{fake.url}/connect/token"
    location = _consent(fake, session, code_verifier=verifier)
    token = session.fetch_token(token_url, authorization_response=location, code_verifier=verifier)
    assert token["access_token"]
    location = _consent(fake, session, code_verifier=verifier)
    with pytest.raises(OAuthError, match="invalid_grant"):
        session.fetch_token(token_url, authorization_response=location, code_verifier="x" * 64)


def test_authorize_refusals(fake):
    """deny=1 and a bad scope go back with an error; a bad client or redirect URI does not."""
    denied = parse_qs(urlsplit(_consent(fake, _session(), state="s", deny="1")).query)
    assert denied == {"error": ["access_denied"], "state": ["s"]}
    bad_scope = OAuth2Session(CLIENT_ID, CLIENT_SECRET, scope="nope", redirect_uri=REDIRECT)
    assert "error=invalid_scope" in _consent(fake, bad_scope)
    authorize = f"{fake.url}/identity/connect/authorize"
    for client_id, redirect in (("stranger", REDIRECT), (CLIENT_ID, "https://evil.test/cb")):
        params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect}
        page = requests.get(authorize, params={**params, "scope": SCOPE}, timeout=5)
        assert page.status_code == 400 and "Location" not in page.headers


def test_refresh_rotation_with_grace_period(fake):
    """Each refresh rotates; the old token still works for 30 minutes, then invalid_grant."""
    token_url = f"{fake.url}/connect/token"
    session = _session()
    old = _connect(fake, session)["refresh_token"]
    new = session.refresh_token(token_url, refresh_token=old)
    assert new["refresh_token"] != old and new["access_token"]
    fake.advance(29 * 60)
    assert session.refresh_token(token_url, refresh_token=old)["access_token"]
    fake.advance(2 * 60)
    answer = requests.post(
        token_url,
        data={"grant_type": "refresh_token", "refresh_token": old},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=5,
    )
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_grant"})
    assert session.refresh_token(token_url, refresh_token=new["refresh_token"])["access_token"]


def test_xero_python_refreshes_and_revokes(fake, sdk, monkeypatch):
    """TokenApi (client_secret_post) refreshes an expiring token by itself, and revokes."""
    monkeypatch.setattr(TokenApi, "refresh_token_url", f"{fake.url}/connect/token")
    monkeypatch.setattr(TokenApi, "revoke_token_url", f"{fake.url}/connect/revocation")
    first = sdk.holder["token"]
    sdk.holder["token"] = {**first, "expires_at": 1.0}
    assert sdk.accounting.get_organisations(DEFAULT_TENANT_ID).organisations
    assert sdk.holder["token"]["refresh_token"] != first["refresh_token"]
    sdk.client.revoke_oauth2_token()
    assert _connections(fake, sdk.holder["token"]["access_token"]).status_code == 401
    assert fake.snapshot()["connections"] == []


def test_authlib_revoke_ends_refresh_and_connections(fake):
    """Revocation (form body) kills the app's tokens and removes its connections."""
    session = _session()
    token = _connect(fake, session)
    session.revoke_token(f"{fake.url}/connect/revocation", token=token["refresh_token"])
    with pytest.raises(OAuthError, match="invalid_grant"):
        session.refresh_token(f"{fake.url}/connect/token", refresh_token=token["refresh_token"])
    assert _connections(fake, token["access_token"]).json()["Detail"] == (
        "AuthenticationUnsuccessful"
    )


def test_several_tenants_connections_and_disconnect(fake):
    """Seeded organisations all connect; authEventId filters; DELETE disconnects one."""
    seeded = requests.post(
        f"{fake.url}/_fake/tenants",
        json={"tenants": [{"tenantName": "Second Ltd"}, {"tenantName": "Third Ltd"}]},
        timeout=5,
    ).json()
    assert len(seeded) == 3
    token = _connect(fake)["access_token"]
    found = _connections(fake, token, "/Connections").json()
    assert sorted(c["tenantName"] for c in found) == [
        "Demo Company (NZ)",
        "Second Ltd",
        "Third Ltd",
    ]
    event = found[0]["authEventId"]
    assert len(_connections(fake, token, f"/connections?authEventId={event}").json()) == 3
    assert _connections(fake, token, "/connections?authEventId=other").json() == []
    second = next(c for c in found if c["tenantName"] == "Second Ltd")
    url = f"{fake.url}/connections/{second['id']}"
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.delete(url, headers=auth, timeout=5).status_code == 204
    assert requests.delete(url, headers=auth, timeout=5).status_code == 404
    headers = {**auth, "xero-tenant-id": second["tenantId"], "Accept": "application/json"}
    api = f"{fake.url}/api.xro/2.0/Organisation"
    assert requests.get(api, headers=headers, timeout=5).status_code == 403


def test_discovery_document_and_signed_id_token(fake):
    """The OIDC discovery document validates (Authlib); the ID token verifies against JWKS."""
    from authlib.oidc.discovery import OpenIDProviderMetadata
    from joserfc import jwt
    from joserfc.jwk import KeySet

    doc = requests.get(f"{fake.url}/.well-known/openid-configuration", timeout=5).json()
    OpenIDProviderMetadata(doc).validate()
    assert doc["token_endpoint"] == f"{fake.url}/connect/token"
    id_token = _connect(fake, nonce="n-123")["id_token"]
    keys = KeySet.import_key_set(requests.get(doc["jwks_uri"], timeout=5).json())
    claims = jwt.decode(id_token, keys).claims
    assert (claims["aud"], claims["nonce"], claims["iss"]) == (CLIENT_ID, "n-123", fake.url)


# --- Our request bodies against the spec --------------------------------------------------


@needs_spec
def test_our_payloads_validate_against_the_spec():
    """build_invoice_payload/build_contact_payload bodies are valid, strictly (no unknown or
    read-only field), as #/components/schemas/Invoices and Contacts."""
    from decimal import Decimal

    from integrations.xero import (
        XeroLine,
        build_contact_payload,
        build_invoice_payload,
        encode_json,
    )

    invoice = build_invoice_payload(
        contact_id="430fa14a-f945-44d3-9f97-5df5e28441b8",
        invoice_number="INV-1001",
        reference="Jan 2026 MSP",
        date=date(2026, 1, 31),
        due_date="2026-02-28",
        currency_code="NZD",
        lines=[
            XeroLine("Managed services", Decimal(2), Decimal("150.00"), account_code="200"),
            {
                "description": "Labour",
                "quantity": Decimal("1.25"),
                "unit_amount": Decimal("120.0000"),
                "item_code": "LABOUR",
                "tax_type": "OUTPUT2",
                "discount_amount": Decimal("10.00"),
            },
        ],
        invoice_id="ed255415-e141-4150-aab7-89c3bbbb851c",
    )
    wire = json.loads(encode_json({"Invoices": [invoice]}))
    assert xero_spec.request_errors("Invoices", wire) == []
    contacts = json.loads(encode_json({"Contacts": [build_contact_payload("Acme", "a@b.test")]}))
    assert xero_spec.request_errors("Contacts", contacts) == []
    wire["Invoices"][0]["Total"] = 1
    wire["Invoices"][0]["LineAmountType"] = "Exclusive"
    assert len(xero_spec.request_errors("Invoices", wire)) == 2


# --- Accounting API behaviour over raw HTTP ------------------------------------------------


@pytest.fixture
def api(fake):
    """``api(method, path, body=None, params=None, headers=None)`` with a valid token."""
    token = fake.issue_token()["access_token"]

    def call(method, path, body=None, params=None, headers=None):
        sent = {
            "Authorization": f"Bearer {token}",
            "xero-tenant-id": DEFAULT_TENANT_ID,
            "Accept": "application/json",
            **(headers or {}),
        }
        url = f"{fake.url}/api.xro/2.0/{path}"
        return requests.request(method, url, json=body, params=params, headers=sent, timeout=5)

    return call


def _new_contact(api, name: str = "Acme Ltd") -> str:
    return api("PUT", "Contacts", {"Contacts": [{"Name": name}]}).json()["Contacts"][0]["ContactID"]


def _put(api, *invoices, **params) -> requests.Response:
    return api("PUT", "Invoices", {"Invoices": list(invoices)}, params=params)


def _line(amount: str, tax_type: str = "OUTPUT2", quantity: str = "1", **extra) -> dict:
    line = {"Description": "Work", "Quantity": quantity, "UnitAmount": amount}
    return {**line, "AccountCode": "200", "TaxType": tax_type, **extra}


def _totals(invoice: dict) -> tuple[str, str, str]:
    return tuple(str(invoice[k]) for k in ("SubTotal", "TotalTax", "Total"))


def test_tax_maths_for_each_line_amount_type(api):
    """Exclusive, Inclusive and NoTax totals, per-line rounding, exact decimals on the wire."""
    contact = {"ContactID": _new_contact(api)}
    exclusive = {
        "Type": "ACCREC",
        "Contact": contact,
        "LineItems": [_line("150.00", quantity="2"), _line("99.99", "TAX001")],
    }
    inclusive = {**exclusive, "LineAmountTypes": "Inclusive", "LineItems": [_line("115")]}
    no_tax = {**exclusive, "LineAmountTypes": "NoTax", "LineItems": [_line("80")]}
    answer = _put(api, exclusive, inclusive, no_tax)
    assert '"Quantity":2.0000' in answer.text and '"UnitAmount":150.00' in answer.text
    made = answer.json()["Invoices"]
    assert _totals(made[0]) == ("399.99", "54.0", "453.99")
    assert [x["TaxAmount"] for x in made[0]["LineItems"]] == [45.0, 9.0]
    assert _totals(made[1]) == ("100.0", "15.0", "115.0")
    assert _totals(made[2]) == ("80.0", "0.0", "80.0")
    assert made[2]["LineItems"][0]["TaxType"] == "NONE"


def test_discounts_item_defaults_and_tax_rounding_setting(api, fake):
    """DiscountAmount lowers LineAmount; ItemCode fills the line; rounding once per rate."""
    contact = {"ContactID": _new_contact(api)}
    lines = [_line("100", DiscountAmount="10"), {"ItemCode": "MSP", "Quantity": 1}]
    made = _put(api, {"Type": "ACCREC", "Contact": contact, "LineItems": lines}).json()
    discounted, item = made["Invoices"][0]["LineItems"]
    assert (discounted["LineAmount"], made["Invoices"][0]["TotalDiscount"]) == (90.0, 10.0)
    assert (item["UnitAmount"], item["AccountCode"], item["Item"]["Code"]) == (150.0, "210", "MSP")
    cents = [_line("0.10") for _ in range(3)]
    per_line = _put(api, {"Type": "ACCREC", "Contact": contact, "LineItems": cents}).json()
    assert per_line["Invoices"][0]["TotalTax"] == 0.06
    fake.config.update({"tax_rounding": "rate"})
    per_rate = _put(api, {"Type": "ACCREC", "Contact": contact, "LineItems": cents}).json()
    assert per_rate["Invoices"][0]["TotalTax"] == 0.05


def test_status_workflow_and_updates(api):
    """DRAFT by default; POST updates by InvoiceID; the allowed and refused transitions."""
    contact = {"ContactID": _new_contact(api)}
    draft = _put(api, {"Type": "ACCREC", "Contact": contact, "LineItems": [_line("10")]})
    invoice = draft.json()["Invoices"][0]
    assert (invoice["Status"], invoice["InvoiceNumber"]) == ("DRAFT", "INV-0001")
    ident = {"InvoiceID": invoice["InvoiceID"]}

    def post(**fields):
        return api("POST", "Invoices", {"Invoices": [{**ident, **fields}]})

    assert post(Status="AUTHORISED").json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "Due Date is required."}
    ]
    updated = post(Status="AUTHORISED", DueDate="2026-03-01", LineItems=[_line("20")])
    assert updated.json()["Invoices"][0]["Total"] == 23.0
    assert updated.json()["Invoices"][0]["InvoiceID"] == invoice["InvoiceID"]
    back = post(Status="DRAFT").json()["Elements"][0]["ValidationErrors"][0]["Message"]
    assert back == "Invoice status cannot be changed from AUTHORISED to DRAFT."
    voided = post(Status="VOIDED").json()["Invoices"][0]
    assert (voided["Status"], voided["AmountDue"]) == ("VOIDED", 0.0)
    assert post(Reference="x").status_code == 400
    paid = _put(api, {"Type": "ACCREC", "Contact": contact, "Status": "PAID"})
    assert paid.status_code == 400


def test_summarize_errors_saves_nothing_unless_configured(api, fake):
    """summarizeErrors=true with one bad element: nothing stored (setting: store the valid)."""
    good = {"Type": "ACCREC", "Contact": {"ContactID": _new_contact(api)}}
    bad = {"Type": "ACCREC", "Contact": {}}
    assert _put(api, good, bad).status_code == 400
    assert fake.invoices() == []
    fake.config.update({"summarize_saves_valid": True, "summarize_elements": "all"})
    refused = _put(api, good, bad).json()
    assert [e["HasErrors"] for e in refused["Elements"]] == [False, True]
    assert len(fake.invoices()) == 1


def test_numbering_upsert_by_number_and_lookups(api):
    """Auto numbers skip taken ones; POST matches an ACCREC InvoiceNumber; GET by id or number,
    InvoiceNumbers, Statuses, where with Guid/DateTime, and lines only when paged."""
    contact_id = _new_contact(api)
    base = {"Type": "ACCREC", "Contact": {"ContactID": contact_id}, "Date": "2026-01-15"}
    _put(api, {**base, "InvoiceNumber": "INV-0002"})
    assert _put(api, base).json()["Invoices"][0]["InvoiceNumber"] == "INV-0001"
    assert _put(api, base).json()["Invoices"][0]["InvoiceNumber"] == "INV-0003"
    same = api("POST", "Invoices", {"Invoices": [{**base, "InvoiceNumber": "INV-0002"}]})
    by_number = api("GET", "Invoices/INV-0002").json()["Invoices"][0]
    assert same.json()["Invoices"][0]["InvoiceID"] == by_number["InvoiceID"]
    assert api("GET", f"Invoices/{by_number['InvoiceID']}").json()["Invoices"][0]["LineItems"] == []
    listed = api("GET", "Invoices", params={"InvoiceNumbers": "INV-0001,INV-0003"}).json()
    assert sorted(i["InvoiceNumber"] for i in listed["Invoices"]) == ["INV-0001", "INV-0003"]
    assert "LineItems" not in listed["Invoices"][0]
    where = f'Contact.ContactID==Guid("{contact_id}") && Date>=DateTime(2026,01,01)'
    paged = api("GET", "Invoices", params={"where": where, "page": 1, "pageSize": 2}).json()
    assert paged["pagination"] == {"page": 1, "pageSize": 2, "pageCount": 2, "itemCount": 3}
    assert "LineItems" in paged["Invoices"][0]
    assert api("GET", "Invoices", params={"Statuses": "AUTHORISED"}).json()["Invoices"] == []
    assert api("GET", "Invoices/nope").status_code == 404


def test_validation_messages_of_the_contract(api):
    """Unknown account and tax type, unidentifiable contact: Xero's wording (§3.2, §3.3)."""
    contact = {"ContactID": _new_contact(api)}
    lines = [_line("10", AccountCode="999"), _line("10", "XYZ")]
    errors = _put(api, {"Type": "ACCREC", "Contact": contact, "LineItems": lines}).json()
    messages = [e["Message"] for e in errors["Elements"][0]["ValidationErrors"]]
    assert messages == [
        "Account code '999' is not a valid code for this document.",
        "The TaxType code 'XYZ' does not exist or cannot be used for this type of transaction.",
    ]
    nameless = _put(api, {"Type": "ACCREC", "Contact": {"EmailAddress": "x@y.test"}}).json()
    if xero_spec.available():
        assert xero_spec.response_errors("Error", nameless) == []
    assert nameless["Elements"][0]["ValidationErrors"][0]["Message"].startswith(
        "The Contact must contain at least 1 of the following elements"
    )
    by_name = _put(api, {"Type": "ACCREC", "Contact": {"Name": "Brand New Ltd"}}).json()
    assert by_name["Invoices"][0]["Contact"]["Name"] == "Brand New Ltd"
    bad_json = api("PUT", "Invoices", headers={"Content-Type": "application/json"}, body=None)
    assert bad_json.json()["Type"] == "PostDataInvalidException"


def test_contacts_upsert_paging_and_query_errors(api):
    """POST updates by ContactID; pages of contacts; a where outside the subset is a 400."""
    contact_id = _new_contact(api)
    for name in ("B Co", "C Co"):
        _new_contact(api, name)
    update = {"Contacts": [{"ContactID": contact_id, "EmailAddress": "ap@acme.test"}]}
    assert api("POST", "Contacts", update).json()["Contacts"][0]["EmailAddress"] == "ap@acme.test"
    assert api("POST", f"Contacts/{contact_id}", {"Contacts": [{"Name": "Acme 2"}]}).ok
    page = api("GET", "Contacts", params={"page": 2, "pageSize": 2, "order": "Name DESC"}).json()
    assert [c["Name"] for c in page["Contacts"]] == ["Acme 2"] and page["pagination"]["page"] == 2
    for where in ('Name.IndexOf("A")==0', 'Name=="unterminated', "Nope==1"):
        refused = api("GET", "Contacts", params={"where": where})
        assert (refused.status_code, refused.json()["Type"]) == (400, "QueryParseException")
    assert api("GET", "Contacts", params={"where": 'Name.Contains("co")'}).json()["Contacts"]


@needs_spec
def test_lookups_through_the_sdk_validate(sdk):
    """Accounts (with where), TaxRates, Items, Organisation, Currencies: typed and spec-valid."""
    api = sdk.accounting
    revenue = api.get_accounts(DEFAULT_TENANT_ID, where='Status=="ACTIVE" AND Type=="REVENUE"')
    assert {a.code for a in revenue.accounts} == {"200", "210", "260", "270"}
    assert xero_spec.response_errors("Accounts", _last_json(sdk)) == []
    rates = {t.tax_type: t for t in api.get_tax_rates(DEFAULT_TENANT_ID).tax_rates}
    assert rates["OUTPUT2"].effective_rate == 15 and rates["OUTPUT2"].can_apply_to_revenue
    assert xero_spec.response_errors("TaxRates", _last_json(sdk)) == []
    assert {i.code for i in api.get_items(DEFAULT_TENANT_ID).items} >= {"MSP", "LABOUR"}
    assert xero_spec.response_errors("Items", _last_json(sdk)) == []
    org = api.get_organisations(DEFAULT_TENANT_ID).organisations[0]
    assert (org.base_currency.value, org.country_code.value) == ("NZD", "NZ")
    assert xero_spec.response_errors("Organisations", _last_json(sdk)) == []
    assert api.get_currencies(DEFAULT_TENANT_ID).currencies[0].code.value == "NZD"


def test_items_duplicate_code_and_settings_scope(api, fake):
    """PUT /Items refuses a taken code in Xero's words; writing needs accounting.settings."""
    duplicate = api("PUT", "Items", {"Items": [{"Code": "MSP", "Name": "Again"}]}).json()
    message = duplicate["Elements"][0]["ValidationErrors"][0]["Message"]
    assert message == "Price List Item with Code ''MSP'' already exists"
    token = fake.issue_token(scope="accounting.settings.read")["access_token"]
    read_only = api(
        "PUT", "Items", {"Items": [{"Code": "NEW"}]}, headers={"Authorization": f"Bearer {token}"}
    )
    assert read_only.json()["Detail"] == "AuthorizationUnsuccessful"


# --- Rate limits, idempotency edge cases and the test controls ---------------------------


def test_concurrent_limit_without_retry_after(api, fake):
    """More than ``concurrent_limit`` requests at once: 429 concurrent, no Retry-After."""
    from concurrent.futures import ThreadPoolExecutor

    fake.config.update({"concurrent_limit": 1, "latency": 0.3})
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: api("GET", "Currencies"), range(2)))
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.headers["X-Rate-Limit-Problem"] == "concurrent"
    assert "Retry-After" not in refused.headers


def test_idempotency_replays_errors_and_limits_key_length(api):
    """A 400 is replayed like a 200 (errors are cached); a key over 128 characters is refused."""
    bad = {"Type": "ACCREC", "Contact": {}}
    first = api("PUT", "Invoices", {"Invoices": [bad]}, headers={"Idempotency-Key": "k"})
    again = api("PUT", "Invoices", {"Invoices": [bad]}, headers={"Idempotency-Key": "k"})
    assert first.status_code == again.status_code == 400 and first.text == again.text
    long_key = api("GET", "Currencies", headers={"Idempotency-Key": "k" * 129})
    assert long_key.ok, "Xero ignores the key on GET"
    long_key = api("PUT", "Invoices", {"Invoices": []}, headers={"Idempotency-Key": "k" * 129})
    assert long_key.status_code == 400


def test_control_endpoints(api, fake):
    """fail-next, drop-next, clock, config, state and reset over HTTP."""
    control = f"{fake.url}/_fake"
    requests.post(f"{control}/fail-next", params={"status": 503}, timeout=5)
    assert api("GET", "Currencies").status_code == 503
    requests.post(f"{control}/fail-next", json={"status": 500, "count": 2}, timeout=5)
    assert [api("GET", "Currencies").status_code for _ in range(3)] == [500, 500, 200]
    requests.post(f"{control}/drop-next", timeout=5)
    with pytest.raises(requests.ConnectionError):
        _new_contact(api, "Dropped Ltd")
    state = requests.get(f"{control}/state", timeout=5).json()
    assert [c["Name"] for c in state["tenants"][DEFAULT_TENANT_ID]["contacts"]] == ["Dropped Ltd"]
    assert state["requests"][-1]["dropped"] is True and state["counts"]["PUT /Contacts"] == 1
    requests.post(f"{control}/config", json={"minute_limit": 1}, timeout=5)
    assert [api("GET", "Currencies").status_code for _ in range(2)][-1] == 429
    requests.post(f"{control}/clock", data={"advance": 1801}, timeout=5)
    assert api("GET", "Currencies").status_code == 401
    assert requests.post(f"{control}/config", json={"nope": 1}, timeout=5).status_code == 400
    requests.post(f"{control}/reset", timeout=5)
    assert requests.get(f"{control}/config", timeout=5).json()["minute_limit"] == 60
    minted = requests.post(f"{control}/token", json={"scope": "accounting.contacts"}, timeout=5)
    assert minted.json()["scope"] == "accounting.contacts"
    assert api("GET", "Currencies", headers={"Accept": "*/*"}).status_code == 401


def test_standalone_command_prints_the_settings():
    """``python -m tests.fakes.xero`` serves and prints the XERO_* URLs to configure."""
    import subprocess
    import sys
    from pathlib import Path

    command = [sys.executable, "-m", "tests.fakes.xero", "--port", "0", "--client-id", "cli"]
    root = Path(__file__).resolve().parents[2]
    with subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True) as process:
        try:
            lines = [process.stdout.readline().strip() for _ in range(8)]
            settings = dict(line.split("=", 1) for line in lines[1:])
            assert settings["XERO_CLIENT_ID"] == "cli"
            discovery = settings["XERO_ACCESS_TOKEN_URL"].replace(
                "/connect/token", "/.well-known/openid-configuration"
            )
            assert (
                requests.get(discovery, timeout=5).json()["token_endpoint"]
                == (settings["XERO_ACCESS_TOKEN_URL"])
            )
            assert settings["XERO_API_BASE_URL"].endswith("/api.xro/2.0")
        finally:
            process.terminate()


# --- Granular scopes: apps created on or after 2 March 2026 -------------------------------

BROAD = ("accounting.transactions", "accounting.transactions.read", "accounting.reports.read")
GRANULAR = (
    "openid profile email offline_access accounting.invoices accounting.invoices.read "
    "accounting.payments accounting.payments.read accounting.banktransactions "
    "accounting.banktransactions.read accounting.manualjournals accounting.manualjournals.read "
    "accounting.reports.profitandloss.read accounting.reports.balancesheet.read "
    "accounting.contacts accounting.settings accounting.attachments"
)


def _refusal(scope: str) -> str:
    return (
        f"Invalid scope for client: {scope} is not available to apps created on or after "
        "2 March 2026"
    )


def _as(fake, token: str, method: str, path: str, body=None) -> requests.Response:
    headers = {
        "Authorization": f"Bearer {token}",
        "xero-tenant-id": DEFAULT_TENANT_ID,
        "Accept": "application/json",
    }
    url = f"{fake.url}/api.xro/2.0/{path}"
    return requests.request(method, url, json=body, headers=headers, timeout=5)


def test_new_app_authorize_refuses_broad_scopes_and_grants_granular_ones(fake):
    """A new app (the default) asking for a broad scope is sent back with invalid_scope and
    nothing is connected; the granular scopes and the unchanged ones are granted."""
    assert fake.config.new_app is True
    for broad in BROAD:
        session = OAuth2Session(
            CLIENT_ID,
            CLIENT_SECRET,
            scope=f"openid accounting.invoices {broad}",
            redirect_uri=REDIRECT,
        )
        query = parse_qs(urlsplit(_consent(fake, session, state="st")).query)
        assert query == {
            "error": ["invalid_scope"],
            "error_description": [_refusal(broad)],
            "state": ["st"],
        }
    assert fake.snapshot()["connections"] == []
    session = OAuth2Session(CLIENT_ID, CLIENT_SECRET, scope=GRANULAR, redirect_uri=REDIRECT)
    token = _connect(fake, session)
    assert token["scope"] == GRANULAR and token["refresh_token"]


def test_old_app_may_use_broad_and_granular_scopes(fake):
    """With ``new_app=False`` the broad scopes work through authorize, token and the API."""
    fake.config.update({"new_app": False})
    broad = "offline_access accounting.transactions accounting.contacts"
    session = OAuth2Session(CLIENT_ID, CLIENT_SECRET, scope=broad, redirect_uri=REDIRECT)
    token = _connect(fake, session)
    assert token["scope"] == broad
    new_invoice = {"Invoices": [{"Type": "ACCREC", "Contact": {"Name": "Old App Ltd"}}]}
    assert _as(fake, token["access_token"], "PUT", "Invoices", new_invoice).status_code == 200
    assert _as(fake, token["access_token"], "GET", "Invoices").status_code == 200
    session = OAuth2Session(CLIENT_ID, CLIENT_SECRET, scope=GRANULAR, redirect_uri=REDIRECT)
    assert _connect(fake, session)["scope"] == GRANULAR
    minted = fake.issue_token(scope="accounting.transactions.read accounting.reports.read")
    assert _as(fake, minted["access_token"], "GET", "Invoices").status_code == 200


def test_token_endpoint_and_minting_never_grant_a_broad_scope_to_a_new_app(fake):
    """A code or refresh token from when the app counted as old gives invalid_scope once it is
    new; issue_token and /_fake/token refuse broad scopes; the default mint is granular."""
    token_url = f"{fake.url}/connect/token"
    fake.config.update({"new_app": False})
    session = OAuth2Session(
        CLIENT_ID,
        CLIENT_SECRET,
        scope="offline_access accounting.transactions",
        redirect_uri=REDIRECT,
    )
    old_refresh = _connect(fake, session)["refresh_token"]
    location = _consent(fake, session)
    fake.config.update({"new_app": True})
    with pytest.raises(OAuthError) as caught:
        session.fetch_token(token_url, authorization_response=location)
    assert (caught.value.error, caught.value.description) == (
        "invalid_scope",
        _refusal("accounting.transactions"),
    )
    with pytest.raises(OAuthError, match="invalid_scope"):
        session.refresh_token(token_url, refresh_token=old_refresh)
    with pytest.raises(ValueError, match="accounting.reports.read is not available"):
        fake.issue_token(scope="offline_access accounting.reports.read")
    minted = requests.post(
        f"{fake.url}/_fake/token", json={"scope": "accounting.transactions"}, timeout=5
    )
    assert minted.status_code == 400 and minted.json()["error"] == "invalid_scope"
    default = fake.issue_token()["scope"].split()
    assert "accounting.invoices" in default and not set(default) & set(BROAD)


@pytest.mark.parametrize(
    ("scope", "new_app", "can_read", "can_write"),
    [
        ("accounting.invoices", True, True, True),
        ("accounting.invoices.read", True, True, False),
        ("accounting.contacts accounting.settings", True, False, False),
        ("accounting.transactions", False, True, True),
        ("accounting.transactions.read", False, True, False),
    ],
)
def test_invoice_endpoints_take_the_granular_or_the_broad_scope(
    fake, scope, new_app, can_read, can_write
):
    """GET /Invoices needs accounting.invoices(.read) or accounting.transactions(.read); PUT
    and POST need accounting.invoices or accounting.transactions; else 401 Authorization..."""
    fake.config.update({"new_app": new_app})
    token = fake.issue_token(scope=scope)["access_token"]
    body = {"Invoices": [{"Type": "ACCREC", "Contact": {"Name": "Scoped Ltd"}}]}
    answers = {
        "GET": _as(fake, token, "GET", "Invoices"),
        "PUT": _as(fake, token, "PUT", "Invoices", body),
        "POST": _as(fake, token, "POST", "Invoices", body),
    }
    for method, answer in answers.items():
        allowed = can_read if method == "GET" else can_write
        if allowed:
            assert answer.status_code == 200, (method, answer.text)
        else:
            assert (answer.status_code, answer.json()["Detail"]) == (
                401,
                "AuthorizationUnsuccessful",
            ), method


# --- Request size: elements per write and bytes per body ----------------------------------


def test_more_than_max_elements_is_refused_and_nothing_is_stored(api, fake):
    """51 invoices or contacts in one PUT/POST: 400 ValidationException, nothing stored; the
    refusal is replayed as a refusal (never a success); 50 pass; ``max_elements=0`` lifts it."""
    contact = {"ContactID": _new_contact(api)}
    invoices = [{"Type": "ACCREC", "Contact": contact} for _ in range(51)]
    for method in ("PUT", "POST"):
        key = {"Idempotency-Key": f"bulk-{method}"}
        refused = api(method, "Invoices", {"Invoices": invoices}, headers=key)
        assert refused.status_code == 400
        assert refused.json() == {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A maximum of 50 Invoices can be submitted in a single request",
        }
    replay = api("PUT", "Invoices", {"Invoices": invoices}, headers={"Idempotency-Key": "bulk-PUT"})
    assert replay.status_code == 400 and fake.invoices() == []
    contacts = {"Contacts": [{"Name": f"Bulk {n}"} for n in range(51)]}
    refused = api("PUT", "Contacts", contacts)
    assert refused.json()["Message"] == (
        "A maximum of 50 Contacts can be submitted in a single request"
    )
    assert len(fake.contacts()) == 1
    assert api("PUT", "Invoices", {"Invoices": invoices[:50]}).status_code == 200
    fake.config.update({"max_elements": 0})
    assert api("PUT", "Invoices", {"Invoices": invoices}).status_code == 200
    assert len(fake.invoices()) == 101


def test_body_over_max_request_bytes_gives_413_before_anything_else(api, fake):
    """Over 3.5 MB: 413 with a short text body, unprocessed, not cached under its key (the
    same key then works with a small body); a body of exactly the limit is processed."""
    huge = {"Contacts": [{"Name": "Big", "EmailAddress": "x" * 3_500_000}]}
    refused = api("PUT", "Contacts", huge, headers={"Idempotency-Key": "big"})
    assert refused.status_code == 413 and refused.headers["Content-Type"] == "text/plain"
    assert refused.text.startswith("Request body too large: ") and len(refused.text) < 200
    unauthenticated = requests.put(f"{fake.url}/api.xro/2.0/Contacts", json=huge, timeout=5)
    assert unauthenticated.status_code == 413
    assert fake.contacts() == []
    small = api(
        "PUT", "Contacts", {"Contacts": [{"Name": "Small"}]}, headers={"Idempotency-Key": "big"}
    )
    assert small.status_code == 200 and small.headers.get("X-Fake-Idempotent-Replay") is None
    body = {"Contacts": [{"Name": "Exact"}]}
    fake.config.update({"max_request_bytes": len(json.dumps(body))})
    assert api("PUT", "Contacts", body).status_code == 200
    body = {"Contacts": [{"Name": "Exact!"}]}
    assert api("PUT", "Contacts", body).status_code == 413


# --- Idempotency window -------------------------------------------------------------------


def test_idempotency_window_replays_refuses_a_new_body_then_expires(api, fake):
    """Within ``idempotency_ttl`` the key replays the first answer and refuses another body;
    after ``advance(ttl + 1)`` the same request is new, so its taken number is refused."""
    contact = {"ContactID": _new_contact(api)}
    invoice = {"Type": "ACCREC", "Contact": contact, "InvoiceNumber": "INV-7001"}
    key = {"Idempotency-Key": "export-7001"}
    first = api("PUT", "Invoices", {"Invoices": [invoice]}, headers=key)
    assert first.status_code == 200
    fake.advance(fake.config.idempotency_ttl - 10)
    again = api("PUT", "Invoices", {"Invoices": [invoice]}, headers=key)
    assert (again.status_code, again.text) == (200, first.text)
    assert again.headers["X-Fake-Idempotent-Replay"] == "true"
    other = {**invoice, "Reference": "changed"}
    mismatch = api("PUT", "Invoices", {"Invoices": [other]}, headers=key)
    assert mismatch.status_code == 400
    assert "already used with a different request" in mismatch.json()["Message"]
    fake.advance(11)
    late = api("PUT", "Invoices", {"Invoices": [invoice]}, headers=key)
    assert late.status_code == 400 and "X-Fake-Idempotent-Replay" not in late.headers
    errors = late.json()["Elements"][0]["ValidationErrors"]
    assert errors == [{"Message": "Invoice # must be unique."}]
    assert len(fake.invoices()) == 1


# --- Rounding: the fake computes its own line amounts and totals --------------------------


def test_amounts_are_booked_to_the_cent_whatever_the_currency(api, fake):
    """JPY, 1.5 × 15001: LineAmount and Total 22501.50 (Xero keeps amounts to 2 decimals,
    the safer reading for a currency without minor units)."""
    tenant = fake.add_tenant("Tokyo KK", base_currency="JPY", country_code="JP")
    token = fake.issue_token()["access_token"]
    line = {"Description": "Support", "Quantity": "1.5", "UnitAmount": "15001"}
    line.update(AccountCode="200", TaxType="NONE")
    invoice = {"Type": "ACCREC", "Contact": {"Name": "Tanaka"}, "LineItems": [line]}
    answer = requests.put(
        f"{fake.url}/api.xro/2.0/Invoices",
        json={"Invoices": [{**invoice, "CurrencyCode": "JPY"}]},
        headers={
            "Authorization": f"Bearer {token}",
            "xero-tenant-id": tenant,
            "Accept": "application/json",
        },
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    assert '"LineAmount":22501.50' in answer.text and '"Total":22501.50' in answer.text
    made = answer.json()["Invoices"][0]
    assert (made["CurrencyCode"], _totals(made)) == ("JPY", ("22501.5", "0.0", "22501.5"))


def test_line_and_tax_rounding_is_half_away_from_zero(api):
    """0.333 × 25.00 = 8.325 -> 8.33 and 15% of 0.30 = 0.045 -> 0.05: half away from zero
    (half-even would give 8.32 and 0.04). Xero's own rounding mode is unverified; its rounding
    guide says tax is rounded per line to 2 decimals. The quantity keeps its 3 decimals."""
    contact = {"ContactID": _new_contact(api)}
    lines = [_line("25.00", "NONE", quantity="0.333"), _line("0.30")]
    answer = _put(api, {"Type": "ACCREC", "Contact": contact, "LineItems": lines})
    assert '"Quantity":0.3330' in answer.text
    made = answer.json()["Invoices"][0]
    first, second = made["LineItems"]
    assert (first["LineAmount"], first["TaxAmount"]) == (8.33, 0.0)
    assert (second["LineAmount"], second["TaxAmount"]) == (0.3, 0.05)
    assert _totals(made) == ("8.63", "0.05", "8.68")


def test_line_amount_must_agree_with_quantity_times_unit_amount(api):
    """A LineAmount that is not Quantity × UnitAmount is an element error in Xero's words; an
    agreeing one passes; a LineAmount alone sets the unit amount; a client TaxAmount is kept."""
    contact = {"ContactID": _new_contact(api)}
    wrong = {"Type": "ACCREC", "Contact": contact, "LineItems": [_line("10.00", quantity="2")]}
    wrong["LineItems"][0]["LineAmount"] = "20.01"
    refused = _put(api, wrong)
    assert refused.status_code == 400
    assert refused.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "The line total 20.01 does not match the expected line total 20.00"}
    ]
    element = _put(api, wrong, summarizeErrors="false").json()["Invoices"][0]
    assert (element["StatusAttributeString"], element["HasErrors"]) == ("ERROR", True)
    wrong["LineItems"][0]["LineAmount"] = "20.00"
    assert _put(api, wrong).status_code == 200
    alone = {"Description": "Work", "Quantity": "4", "LineAmount": "50.00", "AccountCode": "200"}
    alone.update(TaxType="OUTPUT2", TaxAmount="7.49")
    made = _put(api, {"Type": "ACCREC", "Contact": contact, "LineItems": [alone]}).json()
    line = made["Invoices"][0]["LineItems"][0]
    assert (line["UnitAmount"], line["LineAmount"], line["TaxAmount"]) == (12.5, 50.0, 7.49)
    assert _totals(made["Invoices"][0]) == ("50.0", "7.49", "57.49")


# --- Status workflow and lookups by number ------------------------------------------------


def test_draft_authorise_no_way_back_and_line_edits_until_paid(api, fake):
    """PUT DRAFT stays DRAFT; POST by InvoiceID authorises; back to DRAFT is refused; lines of
    an AUTHORISED invoice can change until a payment is allocated, then they cannot."""
    from decimal import Decimal

    contact = {"ContactID": _new_contact(api)}
    draft = {"Type": "ACCREC", "Contact": contact, "Status": "DRAFT", "DueDate": "2026-03-31"}
    made = _put(api, {**draft, "LineItems": [_line("10")]}).json()["Invoices"][0]
    ident = {"InvoiceID": made["InvoiceID"]}
    assert made["Status"] == "DRAFT"
    assert api("GET", f"Invoices/{made['InvoiceID']}").json()["Invoices"][0]["Status"] == "DRAFT"

    def post(**fields):
        return api("POST", "Invoices", {"Invoices": [{**ident, **fields}]})

    assert post(Status="AUTHORISED").json()["Invoices"][0]["Status"] == "AUTHORISED"
    back = post(Status="DRAFT")
    assert back.status_code == 400
    assert back.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "Invoice status cannot be changed from AUTHORISED to DRAFT."}
    ]
    assert fake.invoices()[0]["Status"] == "AUTHORISED"
    edited = post(LineItems=[_line("20"), _line("5")]).json()["Invoices"][0]
    assert (edited["Status"], edited["Total"]) == ("AUTHORISED", 28.75)
    with fake.state.lock:
        fake.state.tenants[DEFAULT_TENANT_ID].invoices[made["InvoiceID"]]["AmountPaid"] = Decimal(
            "5.00"
        )
    paid = post(LineItems=[_line("1")])
    allocated = "This document cannot be edited as it has a payment or credit note allocated to it."
    assert paid.json()["Elements"][0]["ValidationErrors"] == [{"Message": allocated}]
    assert fake.invoices()[0]["Total"] == 28.75


def test_invoice_numbers_filter_returns_exactly_those_drafts_included(api):
    """GET /Invoices?InvoiceNumbers=A,B gives exactly A and B, whatever their status; an
    unknown number is simply absent."""
    contact = {"ContactID": _new_contact(api)}
    base = {
        "Type": "ACCREC",
        "Contact": contact,
        "DueDate": "2026-03-31",
        "LineItems": [_line("1")],
    }
    _put(
        api,
        {**base, "InvoiceNumber": "A-1"},
        {**base, "InvoiceNumber": "B-2", "Status": "AUTHORISED"},
        {**base, "InvoiceNumber": "C-3"},
    )
    listed = api("GET", "Invoices", params={"InvoiceNumbers": "A-1,B-2"}).json()["Invoices"]
    assert sorted((i["InvoiceNumber"], i["Status"]) for i in listed) == [
        ("A-1", "DRAFT"),
        ("B-2", "AUTHORISED"),
    ]
    one = api("GET", "Invoices", params={"InvoiceNumbers": "C-3,NOPE"}).json()["Invoices"]
    assert [i["InvoiceNumber"] for i in one] == ["C-3"]
