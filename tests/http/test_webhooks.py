"""Webhooks from QuickBooks and Xero (issue #16): the signature is checked on the raw body, a
forged or unsigned call is refused with 401 and changes nothing, a verified one only marks its
connection for a sync, and Xero's "intent to receive" handshake gets the answers it needs."""

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from clock import utcnow
from models import AccountingConnection, Provider, db

VERIFIER = "qbo-verifier-token"
XERO_KEY = "xero-webhook-key-0123456789"
REALM = "9130357992456781"
TENANT = "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f"


def _sign(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def ledgers(app):
    app.config.update(QUICKBOOKS_WEBHOOK_VERIFIER=VERIFIER, XERO_WEBHOOK_KEY=XERO_KEY)
    made = {}
    for provider, tenant in ((Provider.QUICKBOOKS, REALM), (Provider.XERO, TENANT)):
        connection = AccountingConnection(
            provider=provider, tenant_id=tenant, company_name="Ledger", access_token="a",
            refresh_token="r", expires_at=utcnow() + timedelta(minutes=20),
        )  # fmt: skip
        db.session.add(connection)
        made[provider] = connection
    db.session.commit()
    return made


def _requested(connection: AccountingConnection):
    db.session.expire_all()
    return db.session.get(AccountingConnection, connection.id).sync_requested_at


def _cloud_events(*realms: str) -> bytes:
    events = [
        {"specversion": "1.0", "id": f"evt-{n}", "source": "intuit.test",
         "type": "qbo.payment.created.v1", "datacontenttype": "application/json",
         "time": "2026-12-03T10:00:00Z", "intuitentityid": "77", "intuitaccountid": realm,
         "data": {}}
        for n, realm in enumerate(realms)
    ]  # fmt: skip
    return json.dumps(events).encode()


def _xero_events(*tenants: str) -> bytes:
    events = [
        {"resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/717f", "resourceId": "717f",
         "eventDateUtc": "2026-12-03T10:00:00", "eventType": "UPDATE", "eventCategory": "INVOICE",
         "tenantId": tenant, "tenantType": "ORGANISATION"}
        for tenant in tenants
    ]  # fmt: skip
    payload = {"events": events, "lastEventSequence": 1, "firstEventSequence": 1,
               "entropy": "S0m3r4Nd0mt3xt"}  # fmt: skip
    return json.dumps(payload).encode()


def _post(client, path: str, body: bytes, header: str, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[header] = signature
    return client.post(path, data=body, headers=headers)


def test_a_signed_quickbooks_notification_only_asks_its_connection_to_sync(client, ledgers):
    body = _cloud_events(REALM, "555")  # one of ours, one company not connected here
    response = _post(client, "/webhooks/quickbooks", body, "intuit-signature",
                     _sign(body, VERIFIER))  # fmt: skip
    assert response.status_code == 200 and response.data == b""
    assert _requested(ledgers[Provider.QUICKBOOKS]) is not None
    assert _requested(ledgers[Provider.XERO]) is None


def test_the_older_quickbooks_form_is_read_too(client, ledgers):
    body = json.dumps(
        {
            "eventNotifications": [
                {
                    "realmId": REALM,
                    "dataChangeEvent": {
                        "entities": [{"id": "1", "operation": "Update", "name": "Invoice"}]
                    },
                }
            ]
        }
    ).encode()
    response = _post(client, "/webhooks/quickbooks", body, "intuit-signature",
                     _sign(body, VERIFIER))  # fmt: skip
    assert response.status_code == 200
    assert _requested(ledgers[Provider.QUICKBOOKS]) is not None


@pytest.mark.parametrize(
    "signature",
    [None, "", "not base64 at all", _sign(b"another body", VERIFIER), _sign(b"[]", "wrong")],
    ids=["missing", "empty", "garbage", "other-body", "other-key"],
)
def test_a_forged_quickbooks_notification_is_refused_and_changes_nothing(
    client, ledgers, signature
):
    body = _cloud_events(REALM)
    response = _post(client, "/webhooks/quickbooks", body, "intuit-signature", signature)
    assert response.status_code == 401
    assert _requested(ledgers[Provider.QUICKBOOKS]) is None


def test_the_signature_covers_the_raw_bytes(client, ledgers):
    body = _cloud_events(REALM)
    signature = _sign(body, VERIFIER)
    # The same JSON with other spacing is another body: its signature no longer matches.
    respaced = json.dumps(json.loads(body), indent=2).encode()
    assert _post(client, "/webhooks/quickbooks", respaced, "intuit-signature",
                 signature).status_code == 401  # fmt: skip
    assert _requested(ledgers[Provider.QUICKBOOKS]) is None


def test_a_signed_xero_webhook_asks_for_a_sync_with_no_body_and_no_cookie(client, ledgers):
    body = _xero_events(TENANT)
    response = _post(client, "/webhooks/xero", body, "x-xero-signature", _sign(body, XERO_KEY))
    assert response.status_code == 200 and response.data == b""
    assert "Set-Cookie" not in response.headers
    assert _requested(ledgers[Provider.XERO]) is not None
    assert _requested(ledgers[Provider.QUICKBOOKS]) is None


def test_xero_intent_to_receive_gets_200_when_signed_and_401_when_not(client, ledgers):
    handshake = json.dumps({"events": [], "lastEventSequence": 0, "firstEventSequence": 0,
                            "entropy": "FXNGWLCCGVANWHKILRUB"}).encode()  # fmt: skip
    good = _post(client, "/webhooks/xero", handshake, "x-xero-signature",
                 _sign(handshake, XERO_KEY))  # fmt: skip
    bad = _post(client, "/webhooks/xero", handshake, "x-xero-signature",
                _sign(handshake, "not-the-key"))  # fmt: skip
    assert (good.status_code, good.data) == (200, b"")
    assert bad.status_code == 401 and "Set-Cookie" not in bad.headers
    assert _requested(ledgers[Provider.XERO]) is None  # a handshake names no organisation


def test_a_replayed_webhook_changes_nothing_more(client, ledgers):
    body = _xero_events(TENANT)
    signature = _sign(body, XERO_KEY)
    assert _post(client, "/webhooks/xero", body, "x-xero-signature", signature).status_code == 200
    first = _requested(ledgers[Provider.XERO])
    assert _post(client, "/webhooks/xero", body, "x-xero-signature", signature).status_code == 200
    assert _requested(ledgers[Provider.XERO]) >= first
    count = db.session.scalar(sa.select(sa.func.count()).select_from(AccountingConnection))
    assert count == 2  # nothing created, nothing else touched


def test_a_signed_body_that_is_not_the_ledgers_shape_is_a_400(client, ledgers):
    for path, header, key in (
        ("/webhooks/quickbooks", "intuit-signature", VERIFIER),
        ("/webhooks/xero", "x-xero-signature", XERO_KEY),
    ):
        for body in (b"not json", b'{"something": "else"}', "\u00e9".encode("latin-1")):
            response = _post(client, path, body, header, _sign(body, key))
            assert response.status_code == 400, (path, body)


def test_webhooks_not_set_up_answer_404_and_only_post_is_taken(client, app, ledgers):
    assert client.get("/webhooks/xero").status_code != 200  # only POST is served
    app.config.update(QUICKBOOKS_WEBHOOK_VERIFIER="", XERO_WEBHOOK_KEY="")
    body = _xero_events(TENANT)
    assert _post(client, "/webhooks/xero", body, "x-xero-signature",
                 _sign(body, "")).status_code == 404  # fmt: skip
    assert _post(client, "/webhooks/quickbooks", body, "intuit-signature",
                 "x").status_code == 404  # fmt: skip
    assert _requested(ledgers[Provider.XERO]) is None
