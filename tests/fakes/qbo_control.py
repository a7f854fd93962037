"""Test-control endpoints of the fake QBO under ``/_fake/`` (not part of the real contract).

- ``POST /_fake/reset``: back to the seeded state, the starting configuration and real time.
- ``GET /_fake/state[?realm=ID&log=0]``: stored entities per realm, request log, counts.
- ``GET|POST /_fake/config``: read or change ``QboConfig`` fields (JSON object).
- ``GET|POST /_fake/clock[?advance=SECONDS]``: read or advance the fake's clock.
- ``POST /_fake/fail-next?status=429|500|503[&count=N][&path=/v3/][&retry_after=S]``: answer
  the next matching request(s) with that status, without processing them.
- ``POST /_fake/drop-next[?count=N][&path=/v3/]``: process the next matching request(s), then
  close the connection without answering (a lost response).
- ``POST /_fake/tokens[?realm_id=ID]``: issue a token pair without the OAuth dance.
- ``POST /_fake/edit[?realm=ID]`` ``{"entity": "Invoice", "id": "12", "fields": {...}}``: a user's
  edit in QuickBooks (SyncToken + 1); answers the entity, or the Fault QBO's UI would show.
- ``POST /_fake/name[?realm=ID]`` ``{"kind": "Vendor"|"Employee", "DisplayName": "..."}``: a user
  adds a vendor or employee in QuickBooks, whose name then blocks customers (6240).
- ``POST /_fake/payment[?realm=ID]`` ``{"invoice_id": "12", "amount": "50.00"}``: a user receives
  a payment against an invoice (Balance drops, LinkedTxn gains the Payment, SyncToken + 1);
  answers the invoice.
- ``POST /_fake/credit[?realm=ID]`` ``{"credit_memo_id", "invoice_id"[, "amount"]}``: a user applies
  a credit memo to an invoice (a $0 Payment linking both); answers the payment.
- ``POST /_fake/void[?realm=ID]`` ``{"entity": "Invoice"|"Payment", "id"}`` and
  ``POST /_fake/delete`` ``{"entity": "Invoice"|"Payment"|"CreditMemo"|"RefundReceipt", "id"}``:
  a user voids or deletes it (QBO's refusals apply, e.g. an invoice a payment settles).
- ``POST /_fake/account[?realm=ID]`` ``{"Name", "AccountType": "Bank"|"Other Current Asset"}``.
- ``POST /_fake/webhook`` ``{"url"?, "bad_signature"?}``: POST the queued events, signed, to the
  URL (default ``webhook_url``); answers ``{"status", "events"}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request

from tests.fakes import qbo_entities, qbo_faults, qbo_ledger, qbo_webhooks
from tests.fakes.qbo_common import Context, current_store
from tests.fakes.qbo_faults import QboFault, json_response
from tests.fakes.qbo_ledger import in_ledger
from tests.fakes.qbo_state import FakeStore

bp = Blueprint("qbo_control", __name__, url_prefix="/_fake")
DEFAULT_PATH = "/v3/"


def _count() -> int:
    return max(1, int(request.args.get("count", 1)))


@bp.post("/reset")
def reset() -> Response:
    """Forget every entity, token, log entry and injected fault; restore config and clock."""
    current_store().reset(full=True)
    return json_response(200, {"reset": True})


@bp.get("/state")
def state() -> Response:
    """What the fake holds, for assertions."""
    store = current_store()
    with_log = request.args.get("log", "1") not in ("0", "false")
    return json_response(200, store.snapshot(request.args.get("realm"), with_log=with_log))


@bp.route("/config", methods=["GET", "POST"])
def config() -> Response:
    """Read, or change some fields of, the configuration."""
    store = current_store()
    if request.method == "POST":
        try:
            store.configure(request.get_json(force=True) or {})
        except (KeyError, TypeError, ValueError) as error:
            return json_response(400, {"error": f"unknown or invalid setting: {error}"})
    return json_response(200, store.config.as_json())


@bp.route("/clock", methods=["GET", "POST"])
def clock() -> Response:
    """Read the clock, or move it forward by ``advance`` seconds (query or JSON)."""
    store = current_store()
    if request.method == "POST":
        payload = request.get_json(silent=True) or {}
        advance = float(request.args.get("advance", payload.get("advance", 0)))
        with store.lock:
            store.clock.advance(advance)
    return json_response(200, {"now": store.clock.now(), "offset": store.clock.offset})


@bp.post("/fail-next")
def fail_next() -> Response:
    """Queue an injected failure for the next matching request(s)."""
    store = current_store()
    status = int(request.args.get("status", 500))
    retry_after = request.args.get("retry_after")
    entry = {"status": status, "path": request.args.get("path", DEFAULT_PATH)}
    if retry_after is not None:
        entry["retry_after"] = retry_after
    with store.lock:
        store.fail_queue.extend(dict(entry) for _ in range(_count()))
    return json_response(200, {"queued": store.fail_queue})


@bp.post("/drop-next")
def drop_next() -> Response:
    """Queue a dropped response for the next matching request(s)."""
    store = current_store()
    with store.lock:
        store.drop_queue.extend([request.args.get("path", DEFAULT_PATH)] * _count())
    return json_response(200, {"queued": store.drop_queue})


@bp.post("/tokens")
def tokens() -> Response:
    """A valid token pair for a realm (default: the configured one)."""
    return json_response(200, current_store().tokens_for(request.args.get("realm_id")))


def _ledger_answer(store: FakeStore, entity: str, action: Callable[[Context], Any]) -> Response:
    try:
        found = in_ledger(store, request.args.get("realm"), action)
    except QboFault as fault:
        return json_response(fault.status, fault.body(store.clock.stamp()))
    except ValueError as error:
        return json_response(400, {"error": str(error)})
    return json_response(200, {entity: found})


@bp.post("/edit")
def edit() -> Response:
    """Edit an entity as a user in QuickBooks would."""
    payload = request.get_json(force=True) or {}
    entity, fields = str(payload.get("entity", "")), payload.get("fields") or {}
    return _ledger_answer(
        current_store(),
        entity,
        lambda ctx: qbo_entities.edit(ctx, entity, str(payload.get("id", "")), fields),
    )


@bp.post("/name")
def name() -> Response:
    """Add a vendor or employee as a user in QuickBooks would."""
    payload = request.get_json(force=True) or {}
    kind, display_name = str(payload.get("kind", "")), str(payload.get("DisplayName", ""))
    return _ledger_answer(
        current_store(), kind, lambda ctx: qbo_entities.add_name(ctx, kind, display_name)
    )


@bp.post("/payment")
def payment() -> Response:
    """Record a payment against an invoice as a user in QuickBooks would."""
    payload = request.get_json(force=True) or {}
    invoice_id, amount = str(payload.get("invoice_id", "")), payload.get("amount")
    return _ledger_answer(
        current_store(), "Invoice", lambda ctx: qbo_ledger.apply_payment(ctx, invoice_id, amount)
    )


@bp.post("/credit")
def credit() -> Response:
    """Apply a credit memo to an invoice as a user in QuickBooks would."""
    payload = request.get_json(force=True) or {}
    memo, invoice = str(payload.get("credit_memo_id", "")), str(payload.get("invoice_id", ""))
    return _ledger_answer(
        current_store(),
        "Payment",
        lambda ctx: qbo_ledger.apply_credit(ctx, memo, invoice, payload.get("amount")),
    )


@bp.post("/void")
@bp.post("/delete")
def remove() -> Response:
    """Void or delete a transaction as a user in QuickBooks would."""
    payload = request.get_json(force=True) or {}
    entity, entity_id = str(payload.get("entity", "")), str(payload.get("id", ""))
    operation = request.path.rsplit("/", 1)[-1]
    return _ledger_answer(
        current_store(),
        entity,
        lambda ctx: qbo_ledger.remove(ctx, entity, entity_id, operation),
    )


@bp.post("/account")
def account() -> Response:
    """Add a bank (or other current asset) account as a user in QuickBooks would."""
    payload = request.get_json(force=True) or {}
    name, kind = str(payload.get("Name", "")), str(payload.get("AccountType", "Bank"))
    return _ledger_answer(
        current_store(), "Account", lambda ctx: qbo_ledger.add_account(ctx, name, kind)
    )


@bp.post("/webhook")
def webhook() -> Response:
    """Deliver the queued webhook events (signed; ``bad_signature`` forges it)."""
    payload = request.get_json(silent=True) or {}
    try:
        sent = qbo_webhooks.deliver(
            current_store(), payload.get("url"), bool(payload.get("bad_signature"))
        )
    except ValueError as error:
        return json_response(400, {"error": str(error)})
    return json_response(200, sent)


def injected_failure(
    status: int, retry_after: str | None, stamp: str, with_retry: bool
) -> Response:
    """The answer to a request picked by ``fail-next``."""
    if status == 429:
        headers = {"Retry-After": retry_after or "60"} if with_retry or retry_after else {}
        return json_response(429, qbo_faults.throttled().body(stamp), headers)
    if status in (502, 503, 504):  # gateway errors arrive as HTML, not as a Fault
        html = f"<html><body><h1>{status} Service Unavailable</h1></body></html>"
        return Response(html, status=status, mimetype="text/html")
    if status >= 500:
        return json_response(status, qbo_faults.server_error(status).body(stamp))
    fault = qbo_faults.QboFault(status, str(status), f"Injected failure {status}")
    return json_response(status, fault.body(stamp))
