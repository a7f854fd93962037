"""The fake Xero's webhooks: signed events after ledger changes, the intent-to-receive handshake,
retries and disabling, against a real receiver on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
import requests
from flask import Flask, request

from tests.fakes.fixtures import fake_fixtures
from tests.fakes.xero import DEFAULT_TENANT_ID, FakeXero
from tests.fakes.xero_webhooks import sign
from tests.serving import LoopbackServer

KEY = "receiver-webhook-key"

fake, fresh = fake_fixtures(lambda: FakeXero())


class Receiver:
    """A webhook endpoint as Xero's docs ask: 200 with no body when signed right, else 401."""

    def __init__(self, key: str = KEY) -> None:
        self.key, self.bodies, self.answer = key, [], None
        app = Flask("receiver")

        @app.post("/webhooks/xero")
        def receive():
            raw = request.get_data()
            mac = hmac.new(self.key.encode(), raw, hashlib.sha256).digest()
            good = hmac.compare_digest(
                base64.b64encode(mac).decode(), request.headers.get("x-xero-signature", "")
            )
            if not good:
                return "", 401
            self.bodies.append(json.loads(raw))
            return ("", self.answer) if self.answer else ("", 200)

        self.server = LoopbackServer(app)

    @property
    def url(self) -> str:
        """The endpoint's URL."""
        return f"http://{self.server.host}:{self.server.port}/webhooks/xero"


@pytest.fixture
def receiver():
    """A running receiver, stopped after the test."""
    hook = Receiver()
    hook.server.start()
    yield hook
    hook.server.stop()


def _invoice(fake) -> dict:
    token = fake.issue_token()["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "xero-tenant-id": DEFAULT_TENANT_ID,
        "Accept": "application/json",
    }
    body = {
        "Type": "ACCREC",
        "Contact": {"Name": "Acme Ltd"},
        "DueDate": "2026-02-28",
        "Status": "AUTHORISED",
        "LineItems": [{"Description": "Work", "UnitAmount": "10.00", "AccountCode": "200"}],
    }
    url = f"{fake.url}/api.xro/2.0/Invoices"
    answer = requests.put(url, json={"Invoices": [body]}, headers=headers, timeout=5)
    return answer.json()["Invoices"][0]


def _wait_for(check, seconds: float = 3.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def test_signature_is_base64_hmac_sha256_of_the_raw_body():
    body = b'{"events":[]}'
    expected = base64.b64encode(hmac.new(b"k", body, hashlib.sha256).digest()).decode()
    assert sign(body, "k") == expected


def test_intent_to_receive_passes_a_receiver_that_checks_signatures(fake, receiver):
    fake.set_webhook(receiver.url, KEY)
    result = fake.intent_to_receive()
    assert result["ok"] is True
    assert [(r["good"], r["status"]) for r in result["results"]] == [
        (True, 200),
        (False, 401),
        (True, 200),
        (False, 401),
    ]
    assert all(b["events"] == [] and b["entropy"] for b in receiver.bodies)
    assert requests.get(f"{fake.url}/_fake/webhooks", timeout=5).json()["status"] == "OK"


def test_intent_to_receive_fails_a_receiver_that_answers_200_to_anything(fake, receiver):
    fake.set_webhook(receiver.url, "not-the-receivers-key")
    result = requests.post(f"{fake.url}/_fake/webhooks/intent", timeout=10).json()
    # Signed with a key the receiver does not know: it refuses the "good" ones.
    assert result["ok"] is False
    assert [r["status"] for r in result["results"]] == [401, 401, 401, 401]


def test_a_payment_in_the_ledger_posts_a_signed_invoice_update(fake, receiver):
    invoice = _invoice(fake)
    requests.post(f"{fake.url}/_fake/webhooks", json={"url": receiver.url, "key": KEY}, timeout=5)
    # The invoice's CREATE was queued before the URL was set: it goes out first.
    requests.post(
        f"{fake.url}/_fake/payment",
        json={"invoice_id": invoice["InvoiceID"], "amount": "5.00"},
        timeout=5,
    )

    def events() -> list[dict]:
        return [e for body in receiver.bodies for e in body["events"]]

    assert _wait_for(lambda: len(events()) == 2)
    assert [(e["eventCategory"], e["eventType"]) for e in events()] == [
        ("INVOICE", "CREATE"),
        ("INVOICE", "UPDATE"),
    ]
    assert {e["resourceId"] for e in events()} == {invoice["InvoiceID"]}
    assert events()[1]["tenantId"] == DEFAULT_TENANT_ID
    assert events()[1]["tenantType"] == "ORGANISATION"
    assert receiver.bodies[0]["firstEventSequence"] == 1
    assert receiver.bodies[-1]["lastEventSequence"] == 2


def test_a_refused_delivery_is_retried_then_the_webhook_is_disabled(fake, receiver):
    fake.config.update({"webhook_max_attempts": 2})
    fake.set_webhook(receiver.url, KEY)
    receiver.answer = 503
    invoice = _invoice(fake)
    # The request's own delivery (after its answer) races ours: deliver until disabled.
    assert _wait_for(lambda: (fake.deliver_webhooks(), fake.state.webhooks.disabled)[1])
    status = requests.get(f"{fake.url}/_fake/webhooks", timeout=5).json()
    assert status["disabled"] is True
    assert [e["resourceId"] for e in status["pending"]] == [invoice["InvoiceID"]]
    receiver.answer = None
    assert fake.intent_to_receive()["ok"] is True  # re-enabling runs the handshake again
    assert fake.deliver_webhooks() == 200
    assert receiver.bodies[-1]["events"][0]["resourceId"] == invoice["InvoiceID"]


def test_a_credit_note_posts_a_creditnote_create_with_its_type_and_status(fake, receiver):
    invoice = _invoice(fake)
    fake.set_webhook(receiver.url, KEY)
    fake.deliver_webhooks()
    token = fake.issue_token()["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "xero-tenant-id": DEFAULT_TENANT_ID,
        "Accept": "application/json",
    }
    note = {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": invoice["Contact"]["ContactID"]},
        "Status": "AUTHORISED",
        "LineItems": [{"Description": "Credit", "UnitAmount": "2.00", "AccountCode": "200"}],
    }
    url = f"{fake.url}/api.xro/2.0/CreditNotes"
    made = requests.put(url, json={"CreditNotes": [note]}, headers=headers, timeout=5).json()
    note_id = made["CreditNotes"][0]["CreditNoteID"]

    def note_events() -> list[dict]:
        found = [e for body in receiver.bodies for e in body["events"]]
        return [e for e in found if e["resourceId"] == note_id]

    assert _wait_for(lambda: note_events())
    event = note_events()[0]
    assert (event["eventCategory"], event["eventType"]) == ("CREDITNOTE", "CREATE")
    assert event["data"] == {"Type": "ACCRECCREDIT", "Status": "AUTHORISED"}
    assert event["resourceUrl"].endswith(f"/api.xro/2.0/CreditNotes/{note_id}")
