"""Change Data Capture, webhooks and the ledger control endpoints of the fake QuickBooks Online
server: the SDK's ``change_data_capture`` helper, raw ``requests`` for the refusals, and a
loopback receiver that checks the ``intuit-signature`` with ``hmac``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import requests
from flask import Flask, request
from quickbooks.cdc import change_data_capture
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment

from tests.fakes import qbo_entities
from tests.fakes.fixtures import fake_fixtures
from tests.fakes.qbo_ledger import in_ledger
from tests.fakes.quickbooks import FakeQuickBooks
from tests.fakes.test_quickbooks_payments import (
    CLIENT_ID,
    CLIENT_SECRET,
    new_customer,
    new_invoice,
    qb,
    raw,
    ref,
    sales_line,
    since,
    token,
)
from tests.serving import LoopbackServer

fake, fresh = fake_fixtures(
    lambda: FakeQuickBooks(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
)
__all__ = ["qb", "token"]  # fixtures used by name


# --- CDC ------------------------------------------------------------------------------------


def test_sdk_change_data_capture_returns_changes_and_deletions(qb, fake):
    customer = new_customer(qb)
    first = new_invoice(qb, customer.Id)
    gone = new_invoice(qb, customer.Id, "10.00")
    gone.delete(qb=qb)
    fake.apply_payment(first.Id, "300.00")
    result = change_data_capture([Invoice, Payment, CreditMemo], since(fake, hours=1), qb=qb)
    invoices = result.Invoice._object_list
    assert [i.Id for i in invoices] == [first.Id, gone.Id]  # deletions after active objects
    assert invoices[0].Balance == 0 and invoices[1].status == "Deleted"
    assert [p.TotalAmt for p in result.Payment._object_list] == [300.0]
    assert not hasattr(result, "CreditMemo")  # nothing changed: no objects
    later = change_data_capture([Invoice], since(fake, minutes=-1), qb=qb)
    assert not hasattr(later, "Invoice")


def test_cdc_refuses_what_qbo_refuses(fake, token):
    ok = raw(
        fake,
        token,
        "GET",
        "cdc",
        params={"entities": "Invoice", "changedSince": since(fake, days=29)},
    )
    assert ok.status_code == 200 and ok.json()["CDCResponse"][0]["QueryResponse"] == [{}]
    cases = [
        ({"entities": "Invoice", "changedSince": since(fake, days=31)}, "last 30 days"),
        ({"changedSince": since(fake, days=1)}, "entities"),
        ({"entities": "Invoice,TaxCode", "changedSince": since(fake, days=1)}, "TaxCode"),
        ({"entities": "Invoice"}, "changedSince"),
        ({"entities": "Invoice", "changedSince": "yesterday"}, "yesterday"),
    ]
    for params, word in cases:
        answer = raw(fake, token, "GET", "cdc", params=params)
        assert answer.status_code == 400, params
        assert word in json.dumps(answer.json()["Fault"]["Error"][0]), params
    bad = requests.get(
        f"{fake.api_base_url}/company/{fake.realm_id}/cdc",
        params={"entities": "Invoice", "changedSince": since(fake, days=1)},
        headers={"Authorization": "Bearer not-a-valid-token-at-all"},
        timeout=5,
    )
    assert bad.status_code == 401
    fake.configure(cdc_refuse_old=False)
    clamped = raw(
        fake, token, "GET", "cdc", params={"entities": "Customer", "changedSince": "2001-01-01"}
    )
    assert clamped.status_code == 200


def test_cdc_returns_at_most_1000_objects_oldest_first(fake, token):
    def many(ctx):
        for n in range(1001):
            qbo_entities.save(ctx, "Customer", {"DisplayName": f"Customer {n:04d}"})

    in_ledger(fake.store, None, many)
    params = {"entities": "Customer", "changedSince": since(fake, hours=1)}
    body = raw(fake, token, "GET", "cdc", params=params).json()
    group = body["CDCResponse"][0]["QueryResponse"][0]
    assert len(group["Customer"]) == 1000 == group["maxResults"]
    assert group["Customer"][0]["DisplayName"] == "Customer 0000"
    fake.configure(cdc_over_limit="refuse")
    refused = raw(fake, token, "GET", "cdc", params=params)
    assert refused.status_code == 400 and "maximum of 1000" in refused.text
    assert fake.state()["counts"]["GET /v3/company/{realmId}/cdc"] == 2


# --- control endpoints ----------------------------------------------------------------------


def test_control_endpoints_act_as_a_quickbooks_user(qb, fake):
    customer = new_customer(qb)
    invoice = new_invoice(qb, customer.Id)
    paid = requests.post(
        f"{fake.url}/_fake/payment", json={"invoice_id": invoice.Id, "amount": "100.00"}, timeout=5
    )
    payment_id = paid.json()["Invoice"]["LinkedTxn"][0]["TxnId"]
    refused = requests.post(
        f"{fake.url}/_fake/void", json={"entity": "Invoice", "id": invoice.Id}, timeout=5
    )
    assert refused.status_code == 400 and "linked to a payment" in refused.text
    voided = requests.post(
        f"{fake.url}/_fake/void", json={"entity": "Payment", "id": payment_id}, timeout=5
    )
    assert voided.json()["Payment"]["TotalAmt"] == 0
    done = requests.post(
        f"{fake.url}/_fake/void", json={"entity": "Invoice", "id": invoice.Id}, timeout=5
    )
    assert done.status_code == 200 and done.json()["Invoice"]["PrivateNote"] == "Voided"
    assert Invoice.get(invoice.Id, qb=qb).TotalAmt == 0
    account = requests.post(
        f"{fake.url}/_fake/account",
        json={"Name": "Undeposited", "AccountType": "Other Current Asset"},
        timeout=5,
    )
    assert account.json()["Account"]["AccountSubType"] == "UndepositedFunds"
    second = new_invoice(qb, customer.Id, "50.00")
    memo = CreditMemo()
    memo.CustomerRef, memo.Line = ref(customer.Id), [sales_line("20")]
    memo = memo.save(qb=qb)
    credit = requests.post(
        f"{fake.url}/_fake/credit",
        json={"credit_memo_id": memo.Id, "invoice_id": second.Id},
        timeout=5,
    )
    assert credit.json()["Payment"]["TotalAmt"] == 0
    assert Invoice.get(second.Id, qb=qb).Balance == 30.0
    deleted = requests.post(
        f"{fake.url}/_fake/delete",
        json={"entity": "Payment", "id": credit.json()["Payment"]["Id"]},
        timeout=5,
    )
    assert deleted.json()["Payment"]["status"] == "Deleted"
    assert CreditMemo.get(memo.Id, qb=qb).RemainingCredit == 20.0
    no_url = requests.post(f"{fake.url}/_fake/webhook", json={}, timeout=5)
    assert no_url.status_code == 400


# --- webhooks -------------------------------------------------------------------------------


class Receiver(LoopbackServer):
    """A stand-in for the app's webhook endpoint: records what arrives, answers ``status``."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.status = 200
        app = Flask(__name__)

        @app.post("/webhooks/quickbooks")
        def hook():
            self.received.append((request.get_data(), dict(request.headers)))
            return "", self.status

        super().__init__(app)


def signature_ok(body: bytes, header: str, verifier: str) -> bool:
    mac = hmac.new(verifier.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(mac).decode(), header or "")


def test_webhook_posts_signed_cloud_events_and_retries(qb, fake):
    customer = new_customer(qb)
    invoice = new_invoice(qb, customer.Id)
    fake.webhook_delivery()  # drain the events so far
    with Receiver() as receiver:
        url = f"{receiver.url}/webhooks/quickbooks"
        fake.configure(webhook_url=url, webhook_verifier_token="verifier-123")
        fake.apply_payment(invoice.Id, "300.00")
        receiver.status = 500
        assert fake.send_webhook() == {"status": 500, "events": 2}
        receiver.status = 200
        sent = requests.post(f"{fake.url}/_fake/webhook", json={}, timeout=10).json()
        assert sent == {"status": 200, "events": 2}  # the failed events, delivered again
        body, headers = receiver.received[-1]
        assert signature_ok(body, headers["Intuit-Signature"], "verifier-123")
        events = json.loads(body)
        assert [e["type"] for e in events] == ["qbo.payment.created.v1", "qbo.invoice.updated.v1"]
        assert {e["intuitaccountid"] for e in events} == {fake.realm_id}
        assert events[1]["intuitentityid"] == invoice.Id and events[1]["specversion"] == "1.0"
        fake.void_in_ledger("Payment", events[0]["intuitentityid"])
        fake.send_webhook(bad_signature=True)
        forged, forged_headers = receiver.received[-1]
        assert not signature_ok(forged, forged_headers["Intuit-Signature"], "verifier-123")
    fake.configure(webhook_format="legacy")
    fake.delete_in_ledger("Invoice", invoice.Id)
    body, headers = fake.webhook_delivery()
    assert signature_ok(body, headers["intuit-signature"], "verifier-123")
    note = json.loads(body)["eventNotifications"][0]
    assert note["dataChangeEvent"]["entities"][0]["operation"] == "Delete"
