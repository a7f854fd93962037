"""integrations/xero.py against the fake Xero: calls, results and error mapping."""

from __future__ import annotations

import socket
from datetime import date
from decimal import Decimal

import pytest
import requests

from integrations.ledger_errors import (
    AccessDenied,
    AuthExpired,
    LedgerUnavailable,
    NotFound,
    RateLimited,
    ValidationRejected,
)
from integrations.xero import (
    XeroClient,
    XeroLine,
    build_contact_payload,
    build_invoice_payload,
    connections,
    encode_json,
)
from tests.fakes.fixtures import fake_fixtures
from tests.fakes.xero import DEFAULT_TENANT_ID, FakeXero

DUPLICATE = (
    "The contact name Acme Ltd is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)


fake, fresh = fake_fixtures(lambda: FakeXero())


@pytest.fixture
def token(fake) -> dict:
    """A token set with the organisation connected."""
    return fake.issue_token()


@pytest.fixture
def client(fake, token) -> XeroClient:
    """The client under test, on the fake's API base URL."""
    return XeroClient(fake.env()["XERO_API_BASE_URL"], DEFAULT_TENANT_ID, token["access_token"])


def _contact_id(client: XeroClient, name: str = "Acme Ltd") -> str:
    return client.create_contacts([build_contact_payload(name)], "contact-" + name)[0].id


def _invoice(contact_id: str, number: str | None = None, **extra) -> dict:
    lines = [
        XeroLine("Managed services", Decimal(3), Decimal("150.00"), "210", tax_type="OUTPUT2"),
        XeroLine("Labour", Decimal("1.5"), Decimal("120.00"), item_code="LABOUR"),
    ]
    return build_invoice_payload(
        contact_id=contact_id,
        invoice_number=number,
        reference="Jan 2026",
        date=date(2026, 1, 31),
        due_date=date(2026, 2, 28),
        currency_code="NZD",
        lines=lines,
        **extra,
    )


def test_find_contact_is_exact_while_xero_matches_any_case(client):
    """find_contact only returns the exact name; quotes in a name are escaped for where."""
    _contact_id(client, "Acme Ltd")
    quoted = _contact_id(client, 'The "Best" Co \\ Ltd')
    assert client.find_contact("Acme Ltd")["Name"] == "Acme Ltd"
    assert client.find_contact("ACME LTD") is None
    assert client.find_contact('The "Best" Co \\ Ltd')["ContactID"] == quoted
    found = client.find_contacts(["Acme Ltd", "Nobody", 'The "Best" Co \\ Ltd'])
    assert sorted(found) == ["Acme Ltd", 'The "Best" Co \\ Ltd']


def test_create_contacts_keeps_xero_messages(client):
    """A duplicate name: a failed result (per element) or ValidationRejected (summarized)."""
    _contact_id(client)
    ok, duplicate = client.create_contacts(
        [build_contact_payload("Beta Ltd"), build_contact_payload("Acme Ltd")], "c-2"
    )
    assert ok.ok and ok.id and not duplicate.ok and duplicate.id is None
    assert duplicate.errors == (DUPLICATE,)
    with pytest.raises(ValidationRejected) as caught:
        client.create_contacts([build_contact_payload("Acme Ltd")], "c-3", summarize_errors=True)
    error = caught.value
    assert (error.message, error.code, error.status) == (DUPLICATE, "ValidationException", 400)
    assert error.errors == [{"message": DUPLICATE, "index": 0, "Name": "Acme Ltd"}]
    assert error.trace_id and error.provider == "xero"


def test_fifty_invoices_in_one_put(client, fake):
    """50 invoices (the fake's max_elements) in one request: 50 results in order, one PUT,
    totals to the cent. More in one request is refused (test_xero_fake covers it)."""
    contact_id = _contact_id(client)
    invoices = [_invoice(contact_id, f"MSP-{n:04d}") for n in range(50)]
    results = client.put_invoices(invoices, "batch-1")
    assert [r.number for r in results] == [f"MSP-{n:04d}" for n in range(50)]
    assert all(r.ok and r.id for r in results)
    assert fake.count("PUT /Invoices") == 1
    # 3 × 150 + 1.5 × 120 = 630.00; 15% GST (LABOUR's sales tax type too) = 94.50
    total = results[0].entity["Total"]
    assert isinstance(total, Decimal) and total == Decimal("724.50")
    assert len(fake.invoices()) == 50


def test_per_invoice_errors_and_summarized_rejection(client):
    """Without summarizing, each result carries Xero's own errors; with it, nothing is saved."""
    contact_id = _contact_id(client)
    client.put_invoices([_invoice(contact_id, "INV-1")], "one")
    results = client.put_invoices([_invoice(contact_id, "INV-1"), _invoice(contact_id)], "two")
    assert results[0].errors == ("Invoice # must be unique.",)
    assert results[1].ok and results[1].number == "INV-0001"
    bad = _invoice(contact_id)
    bad["LineItems"][0]["AccountCode"] = "999"
    with pytest.raises(ValidationRejected) as caught:
        client.put_invoices([bad], "three", summarize_errors=True)
    assert caught.value.message == "Account code '999' is not a valid code for this document."


def test_post_invoices_updates_by_id_and_get_invoice(client):
    """A second export POSTs with InvoiceID: same invoice, new totals; get_invoice reads it."""
    contact_id = _contact_id(client)
    first = client.put_invoices([_invoice(contact_id, "INV-7")], "create-7")[0]
    changed = _invoice(contact_id, "INV-7", invoice_id=first.id)
    changed["LineItems"] = changed["LineItems"][:1]
    updated = client.post_invoices([changed], "update-7")[0]
    assert updated.id == first.id and updated.entity["Total"] == Decimal("517.50")
    stored = client.get_invoice(first.id)
    assert stored["InvoiceNumber"] == "INV-7" and len(stored["LineItems"]) == 1
    assert client.get_invoice("INV-7")["InvoiceID"] == first.id
    with pytest.raises(NotFound):
        client.get_invoice("00000000-0000-0000-0000-000000000001")


def test_four_decimal_unit_amounts_ask_for_unitdp(client, fake):
    """A unit amount with 3-4 decimals is sent with unitdp=4 and kept, not rounded."""
    contact_id = _contact_id(client)
    line = XeroLine("Per-minute rate", Decimal(90), Decimal("1.3333"), "200")
    payload = build_invoice_payload(contact_id=contact_id, lines=[line], due_date="2026-02-28")
    result = client.put_invoices([payload], "unitdp")[0]
    assert result.entity["LineItems"][0]["UnitAmount"] == Decimal("1.3333")
    assert result.entity["SubTotal"] == Decimal("120.00")
    assert fake.snapshot()["requests"][-1]["path"].endswith("/Invoices")


def test_lookups(client):
    """Accounts, tax rates and items for the mapping page."""
    assert "200" in {a["Code"] for a in client.list_accounts()}
    rates = {t["TaxType"]: t for t in client.list_tax_rates()}
    assert rates["OUTPUT2"]["EffectiveRate"] == Decimal("15.0000")
    assert {"MSP", "LABOUR"} <= {i["Code"] for i in client.list_items()}


def test_connections_helper(fake, token):
    """connections() lists the organisations; a bad token is AuthExpired."""
    url = fake.env()["XERO_CONNECTIONS_URL"]
    assert [c["tenantId"] for c in connections(url, token["access_token"])] == [DEFAULT_TENANT_ID]
    with pytest.raises(AuthExpired) as caught:
        connections(url, "garbage")
    assert caught.value.detail == "AuthenticationUnsuccessful"


def test_auth_and_tenant_errors(client, fake):
    """Expired token: AuthExpired with Xero's detail; unconnected tenant: AccessDenied."""
    fake.advance(1801)
    with pytest.raises(AuthExpired) as caught:
        client.list_accounts()
    error = caught.value
    assert (error.status, error.code, error.message) == (401, "TokenExpired", "Unauthorized")
    assert error.detail.startswith("TokenExpired: token expired at ")
    fake.advance(-1801)
    client.tenant_id = "11111111-2222-3333-4444-555555555555"
    with pytest.raises(AccessDenied) as denied:
        client.list_accounts()
    assert (denied.value.status, denied.value.detail) == (403, "AuthenticationUnsuccessful")


def test_rate_limits_become_rate_limited(client, fake):
    """An injected 429 and a real minute-limit breach: RateLimited with retry_after."""
    fake.fail_next(429, retry_after=42)
    with pytest.raises(RateLimited) as caught:
        client.list_items()
    assert (caught.value.retry_after, caught.value.code) == (42.0, "minute")
    fake.config.update({"minute_limit": 2})
    client.list_items()
    client.list_items()
    with pytest.raises(RateLimited) as caught:
        client.list_items()
    assert 0 < caught.value.retry_after <= 60 and caught.value.status == 429


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_become_unavailable(client, fake, status):
    """5xx: LedgerUnavailable with the status."""
    fake.fail_next(status)
    with pytest.raises(LedgerUnavailable) as caught:
        client.list_accounts()
    assert caught.value.status == status


def test_unreachable_and_slow_xero(fake, token):
    """Nothing listening, or no answer in time: LedgerUnavailable without a status."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    nowhere = XeroClient(f"http://127.0.0.1:{closed_port}", DEFAULT_TENANT_ID, "t")
    with pytest.raises(LedgerUnavailable) as caught:
        nowhere.list_accounts()
    assert (caught.value.status, caught.value.code) == (None, "connection")
    fake.config.update({"latency": 0.5})
    slow = XeroClient(fake.env()["XERO_API_BASE_URL"], DEFAULT_TENANT_ID, token["access_token"])
    slow.timeout = 0.1
    with pytest.raises(LedgerUnavailable) as caught:
        slow.list_accounts()
    assert caught.value.code == "timeout"


def test_dropped_response_then_retry_with_same_key_creates_no_duplicate(client, fake):
    """The answer is lost after Xero stored the batch; the retry replays the stored answer."""
    contact_id = _contact_id(client)
    batch = [_invoice(contact_id, "INV-100"), _invoice(contact_id, "INV-101")]
    fake.drop_next()
    with pytest.raises(LedgerUnavailable) as caught:
        client.put_invoices(batch, "export-batch-9")
    assert caught.value.status is None
    assert len(fake.invoices()) == 2
    results = client.put_invoices(batch, "export-batch-9")
    assert [r.number for r in results] == ["INV-100", "INV-101"] and all(r.ok for r in results)
    assert len(fake.invoices()) == 2
    assert fake.snapshot()["requests"][-1]["replayed"] is True


def test_payload_building_refuses_floats_and_incomplete_lines():
    """Money stays exact: floats are refused; a line needs an account or an item code."""
    with pytest.raises(TypeError):
        build_invoice_payload(contact_id="c", lines=[XeroLine("x", 1, 1.5, "200")])
    with pytest.raises(ValueError, match="account code or an item code"):
        build_invoice_payload(contact_id="c", lines=[XeroLine("x", 1, Decimal(1))])
    with pytest.raises(ValueError, match="4 decimal places"):
        build_invoice_payload(contact_id="c", lines=[XeroLine("x", 1, Decimal("0.00001"), "200")])
    with pytest.raises(TypeError):
        encode_json({"Total": 1.5})
    text = encode_json({"UnitAmount": Decimal("150.00"), "Date": date(2026, 1, 31)})
    assert text == '{"UnitAmount":150.00,"Date":"2026-01-31"}'


def test_requests_session_is_used(fake, token):
    """A session passed in is the one that makes the calls (so callers can share pools)."""
    session = requests.Session()
    seen = []
    session.hooks["response"].append(lambda response, **_: seen.append(response.url))
    XeroClient(
        fake.env()["XERO_API_BASE_URL"], DEFAULT_TENANT_ID, token["access_token"], session
    ).list_items()
    assert seen and seen[0].endswith("/api.xro/2.0/Items")
