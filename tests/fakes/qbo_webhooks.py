"""Webhook notifications of the fake QBO (ledger_sync.md §1.7) and the change log CDC reads.

Every create, update, delete or void of a notifying entity queues an event on its realm
(``record``); deletions also leave a tombstone for CDC (``record_deleted``). ``take`` drains the
queue of every realm into one POST body, a CloudEvents array (the current format) or the legacy
``eventNotifications`` object (``QboConfig.webhook_format``), signed with ``intuit-signature`` =
base64(HMAC-SHA256(verifier token, raw body)). ``deliver`` POSTs it to the configured URL; on a
non-200 answer the events are queued again, to go with the next delivery (QBO retries).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import requests

from tests.fakes.qbo_common import Context
from tests.fakes.qbo_state import FakeStore

NOTIFYING = {"Invoice", "Payment", "CreditMemo", "RefundReceipt", "Customer", "Item"}
LEGACY_OPERATIONS = {"created": "Create", "updated": "Update", "deleted": "Delete",
                     "voided": "Void"}  # fmt: skip
SOURCE = "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU="


def record(ctx: Context, entity: str, entity_id: str, verb: str) -> None:
    """Queue an event: ``verb`` is created, updated, deleted or voided."""
    if entity in NOTIFYING:
        ctx.realm.events.append(
            {"entity": entity, "id": entity_id, "verb": verb, "time": _utc(ctx.stamp)}
        )


def _utc(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).astimezone(UTC)


def record_deleted(ctx: Context, entity: str, entity_id: str) -> None:
    """A deletion: the CDC tombstone and the webhook event."""
    ctx.realm.deleted.append({"entity": entity, "Id": entity_id, "LastUpdatedTime": ctx.stamp})
    record(ctx, entity, entity_id, "deleted")


def sign(body: bytes, verifier_token: str) -> str:
    """The ``intuit-signature`` of a body."""
    mac = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def _cloud_event(realm_id: str, event: dict[str, Any]) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": SOURCE,
        "type": f"qbo.{event['entity'].lower()}.{event['verb']}.v1",
        "datacontenttype": "application/json",
        "time": event["time"].isoformat().replace("+00:00", "Z"),
        "intuitentityid": event["id"],
        "intuitaccountid": realm_id,
        "data": {},
    }


def _legacy(realm_id: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    entities = [
        {"id": e["id"], "operation": LEGACY_OPERATIONS[e["verb"]], "name": e["entity"],
         "lastUpdated": e["time"].isoformat(timespec="milliseconds").replace("+00:00", "Z")}
        for e in events
    ]  # fmt: skip
    return {"realmId": realm_id, "dataChangeEvent": {"entities": entities}}


def body_for(store: FakeStore, pending: dict[str, list[dict[str, Any]]]) -> bytes:
    """The POST body for events per realm, in the configured format."""
    if store.config.webhook_format == "legacy":
        data: Any = {"eventNotifications": [_legacy(r, ev) for r, ev in pending.items() if ev]}
    else:
        data = [_cloud_event(r, e) for r, ev in pending.items() for e in ev]
    return json.dumps(data, separators=(",", ":")).encode()


def take(store: FakeStore, bad_signature: bool = False) -> tuple[bytes, dict[str, str], dict]:
    """Drain the queued events: ``(body, headers, events per realm)``; ``bad_signature`` signs
    with a wrong token (a forgery)."""
    with store.lock:
        pending = {rid: realm.events[:] for rid, realm in store.realms.items() if realm.events}
        for realm in store.realms.values():
            realm.events.clear()
        body = body_for(store, pending)
        token = store.config.webhook_verifier_token + ("-forged" if bad_signature else "")
    headers = {
        "content-type": "application/json; charset=utf-8",
        "intuit-signature": sign(body, token),
        "intuit-created-time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "intuit-t-id": str(uuid.uuid4()),
        "intuit-notification-schema-version": "0.1",
        "user-agent": "intuit_notification_server/0.1",
    }
    return body, headers, pending


def requeue(store: FakeStore, pending: dict[str, list[dict[str, Any]]]) -> None:
    """Put undelivered events back in front of the queue."""
    with store.lock:
        for realm_id, events in pending.items():
            realm = store.realm(realm_id)
            realm.events[:0] = events


def deliver(store: FakeStore, url: str | None = None, bad_signature: bool = False) -> dict:
    """POST the queued events to ``url`` (default: ``QboConfig.webhook_url``); the answer's
    status and the number of events sent. Not under the store's lock: the receiver may call
    the fake back."""
    target = url or store.config.webhook_url
    if not target:
        raise ValueError("no webhook URL configured (QboConfig.webhook_url)")
    body, headers, pending = take(store, bad_signature)
    count = sum(len(ev) for ev in pending.values())
    try:
        status = requests.post(target, data=body, headers=headers, timeout=3).status_code
    except requests.RequestException:
        status = 0
    if status != 200:
        requeue(store, pending)
    return {"status": status, "events": count}
