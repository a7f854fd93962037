"""Webhooks of the fake Xero (ledger_sync.md §2.5): events, signatures, intent to receive.

Changes queue events (INVOICE CREATE/UPDATE after an invoice write, a payment, an allocation or a
void; CREDITNOTE CREATE/UPDATE with ``data {Type, Status}``; there is no PAYMENT category). When
``config.webhook_url`` is set, queued events are POSTed there after each request, signed with
``x-xero-signature`` = base64(HMAC-SHA256(webhook key, raw body)). An answer other than 200 keeps
the events queued for the next delivery; after ``webhook_max_attempts`` failures the webhook is
disabled (Xero retries for 24 hours, then disables it). ``intent_to_receive`` runs the
handshake: empty-events payloads, some signed right (must get 200) and some wrong (must get 401).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

import requests

from tests.fakes.xero_format import iso7

# Webhooks carry Xero's own resource URLs; the receiver should use only resourceId.
RESOURCE_BASE = "https://api.xero.com/api.xro/2.0"
_PATHS = {"INVOICE": "Invoices", "CREDITNOTE": "CreditNotes", "CONTACT": "Contacts"}


def sign(body: bytes, key: str) -> str:
    """Xero's ``x-xero-signature`` for ``body``."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def queue(state, tenant_id: str, category: str, kind: str, resource_id: str, data=None) -> None:
    """Queue one event (take ``state.lock`` around it)."""
    event: dict[str, Any] = {
        "resourceUrl": f"{RESOURCE_BASE}/{_PATHS[category]}/{resource_id}",
        "resourceId": resource_id,
        "eventDateUtc": iso7(state.clock.utcnow()),
        "eventType": kind,
        "eventCategory": category,
        "tenantId": tenant_id,
        "tenantType": "ORGANISATION",
    }
    if data is not None:
        event["data"] = data
    state.webhooks.pending.append(event)


def payload(state, events: list[dict]) -> bytes:
    """A delivery body: the events, their sequence numbers and fresh entropy."""
    hooks = state.webhooks
    first = hooks.sequence + 1 if events else 0
    hooks.sequence += len(events)
    body = {
        "events": events,
        "firstEventSequence": first,
        "lastEventSequence": hooks.sequence if events else 0,
        "entropy": secrets.token_hex(10).upper(),
    }
    return json.dumps(body).encode()


def post(url: str, body: bytes, signature: str) -> requests.Response:
    """POST a signed body as Xero does (5 s: Xero's deadline for the answer)."""
    headers = {"Content-Type": "application/json", "x-xero-signature": signature}
    return requests.post(url, data=body, headers=headers, timeout=5)


def _log(state, kind: str, body: bytes, status: int | None, good: bool = True) -> None:
    state.webhooks.log.append({"kind": kind, "body": body.decode(), "status": status, "good": good})


def deliver(state) -> int | None:
    """Send the queued events if a URL is set and enabled; the answer's status (None: nothing
    sent, 0: unreachable)."""
    with state.lock:
        hooks, config = state.webhooks, state.config
        if not config.webhook_url or hooks.disabled or not hooks.pending:
            return None
        events, hooks.pending = hooks.pending, []
        body, url, key = payload(state, events), config.webhook_url, config.webhook_key
    try:
        status = post(url, body, sign(body, key)).status_code
    except requests.RequestException:
        status = 0
    with state.lock:
        _log(state, "events", body, status)
        if status == 200:
            hooks.failures = 0
            return status
        hooks.pending = events + hooks.pending
        hooks.failures += 1
        if hooks.failures >= config.webhook_max_attempts:
            hooks.disabled = True
    return status


def intent_to_receive(state, rounds: int = 2) -> dict[str, Any]:
    """Xero's handshake against the configured URL: ``rounds`` good and ``rounds`` badly signed
    empty payloads. OK when every good one got 200 and every bad one 401; OK re-enables."""
    with state.lock:
        url, key = state.config.webhook_url, state.config.webhook_key
    results = []
    for index in range(rounds * 2):
        good = index % 2 == 0
        with state.lock:
            body = payload(state, [])
        signature = sign(body, key if good else key + "-wrong")
        try:
            status = post(url, body, signature).status_code
        except requests.RequestException:
            status = 0
        results.append({"good": good, "status": status, "ok": status == (200 if good else 401)})
        with state.lock:
            _log(state, "intent", body, status, good)
    ok = bool(results) and all(r["ok"] for r in results)
    with state.lock:
        if ok:
            state.webhooks.disabled, state.webhooks.failures = False, 0
        state.webhooks.status = "OK" if ok else "FAILED"
    return {"ok": ok, "results": results}
