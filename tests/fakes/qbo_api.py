"""The Accounting API of the fake QBO at its real paths, ``/v3/company/{realmId}/...`` (§2).

Every request passes a guard in this order: concurrency limit, bearer token (401 Fault 3200),
realm and scope (403 Fault 3100), per-realm per-minute limits (429 Fault 3001). Writes with
``?requestid=`` store their first answer and replay it byte for byte (§2.6).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, g, request

from tests.fakes import qbo_cdc, qbo_entities, qbo_faults, qbo_query
from tests.fakes.qbo_common import Context, context, current_store
from tests.fakes.qbo_faults import JSON_TYPE, QboFault, json_response, trace_id
from tests.fakes.qbo_oauth import ACCOUNTING_SCOPE
from tests.fakes.qbo_state import FakeStore

bp = Blueprint("qbo_api", __name__, url_prefix="/v3/company/<realm_id>")
WINDOW = 60.0


def _fault_response(store: FakeStore, fault: QboFault, headers: dict | None = None) -> Response:
    return json_response(fault.status, fault.body(store.clock.stamp()), headers)


def _batch_weight() -> int:
    if request.endpoint != "qbo_api.batch":
        return 1
    payload = request.get_json(silent=True)
    items = payload.get("BatchItemRequest") if isinstance(payload, dict) else None
    return max(len(items), 1) if isinstance(items, list) else 1


def _throttle(store: FakeStore, oldest: float | None) -> Response:
    headers, fixed = {}, store.config.retry_after_seconds
    if store.config.send_retry_after:
        wait = (oldest + WINDOW - store.clock.now()) if oldest is not None else 1
        headers["Retry-After"] = str(fixed if fixed is not None else max(1, math.ceil(wait)))
    return _fault_response(store, qbo_faults.throttled(), headers)


def _rate_limit(store: FakeStore, realm_id: str) -> Response | None:
    now, config = store.clock.now(), store.config
    window, batches = store.windows[realm_id], store.batch_windows[realm_id]
    while window and window[0][0] <= now - WINDOW:
        window.popleft()
    while batches and batches[0] <= now - WINDOW:
        batches.popleft()
    is_batch = request.endpoint == "qbo_api.batch"
    weight = _batch_weight() if config.batch_items_count_toward_limit else 1
    if sum(w for _, w in window) + weight > config.rate_limit_per_minute:
        return _throttle(store, window[0][0] if window else None)
    if is_batch and len(batches) + 1 > config.batch_limit_per_minute:
        return _throttle(store, batches[0] if batches else None)
    window.append((now, weight))
    if is_batch:
        batches.append(now)
    return None


def _unauthorized(store: FakeStore, detail: str) -> Response:
    body = qbo_faults.auth_failed_body(
        store.config.auth_fault_style, detail, store.clock.stamp(), store.clock.now()
    )
    return json_response(401, body)


@bp.before_request
def guard() -> Response | None:
    """Concurrency, authentication, authorisation and rate limits, before any handler."""
    store = current_store()
    realm_id = (request.view_args or {}).get("realm_id", "")
    with store.lock:
        store.inflight[realm_id] += 1
        g.inflight_realm = realm_id
        if store.inflight[realm_id] > store.config.concurrent_limit:
            return _throttle(store, None)
    if store.config.response_delay:
        time.sleep(store.config.response_delay)
    with store.lock:
        token = request.headers.get("Authorization", "")
        if not token.lower().startswith("bearer ") or len(token) < 16:
            return _unauthorized(store, "Malformed bearer token: too short or too long")
        issued = store.access_tokens.get(token[7:].strip())
        if issued is None:
            return _unauthorized(store, "Token invalid")
        if not issued.active:
            return _unauthorized(store, "Token revoked")
        if issued.expires_at <= store.clock.now():
            return _unauthorized(store, f"Token expired: {token[7:27]}...")
        grant = store.grants[issued.grant_id]
        if grant.realm_id != realm_id or ACCOUNTING_SCOPE not in grant.scope.split():
            return _fault_response(store, qbo_faults.forbidden())
        minor = request.args.get("minorversion", "")
        g.log_extra = {"realm": realm_id, "minorversion": minor or None}
        if minor.isdigit() and int(minor) < 75:  # retired versions behave as 75 (§2.1)
            g.log_extra["warning"] = f"minorversion {minor} < 75 treated as 75"
        return _rate_limit(store, realm_id)


@bp.teardown_request
def release(_exc: BaseException | None) -> None:
    """Leave the concurrency count."""
    store, realm_id = current_store(), g.get("inflight_realm")
    if realm_id is not None:
        with store.lock:
            store.inflight[realm_id] = max(0, store.inflight[realm_id] - 1)


def _json_body() -> Any:
    try:
        return json.loads(request.get_data(as_text=True) or "null", parse_float=Decimal)
    except ValueError as error:
        raise qbo_faults.invalid_property(
            f"Property Name:Failed to parse json object; nested exception is {error}"
        ) from None


def _write(realm_id: str, handler: Callable[[Context], dict], max_len: int) -> Response:
    """Run a write with ``requestid`` replay: the first answer is kept and sent again."""
    store = current_store()
    request_id = request.args.get("requestid")
    with store.lock:
        if request_id is not None:
            g.log_extra["requestid"] = request_id
            if len(request_id) > max_len:
                fault = qbo_faults.invalid_property(f"requestid exceeds {max_len} characters")
                return _fault_response(store, fault)
            kept = store.replays.get((realm_id, request_id))
            ttl = store.config.requestid_ttl
            if kept and (ttl is None or kept[0] + ttl > store.clock.now()):
                g.log_extra["replayed"] = True
                return _raw(kept[1], kept[2])
        ctx = context(store, realm_id)
        try:
            status, body = 200, {**handler(ctx), "time": ctx.stamp}
        except QboFault as fault:
            status, body = fault.status, fault.body(ctx.stamp)
        data = qbo_faults.dumps(body)
        if request_id is not None:
            store.replays[(realm_id, request_id)] = (store.clock.now(), status, data)
    return _raw(status, data)


def _raw(status: int, data: bytes) -> Response:
    return Response(data, status=status, content_type=JSON_TYPE, headers={"intuit_tid": trace_id()})


def _read(realm_id: str, handler: Callable[[Context], dict]) -> Response:
    store = current_store()
    with store.lock:
        ctx = context(store, realm_id)
        try:
            return json_response(200, {**handler(ctx), "time": ctx.stamp})
        except QboFault as fault:
            return _fault_response(store, fault)


def _entity_name(path: str) -> str:
    name = qbo_entities.ENTITY_PATHS.get(path.lower())
    if name is None:
        raise qbo_faults.unsupported(f"Unsupported entity: {path}")
    return name


@bp.post("/<entity>")
def write_entity(realm_id: str, entity: str) -> Response:
    """Create, full/sparse update, delete (``?operation=delete``) or void an entity."""

    def handler(ctx: Context) -> dict:
        name = _entity_name(entity)
        operation = request.args.get("operation", "")
        return qbo_entities.save(
            ctx, name, _json_body(), operation, request.args.get("include", "")
        )

    return _write(realm_id, handler, current_store().config.requestid_max_len)


@bp.get("/<entity>/<entity_id>")
def read_entity(realm_id: str, entity: str, entity_id: str) -> Response:
    """Read one entity by id (``companyinfo/{realmId}`` for CompanyInfo)."""

    def handler(ctx: Context) -> dict:
        name = _entity_name(entity)
        return {name: qbo_entities.read(ctx, name, entity_id)}

    return _read(realm_id, handler)


@bp.get("/preferences")
def preferences(realm_id: str) -> Response:
    """The company's Preferences (tax, currency and sales-form settings as configured)."""
    return _read(realm_id, lambda ctx: {"Preferences": qbo_entities.read(ctx, "Preferences", "1")})


@bp.get("/cdc")
def cdc(realm_id: str) -> Response:
    """Change Data Capture: what changed since ``changedSince`` (see qbo_cdc)."""
    entities, since = request.args.get("entities"), request.args.get("changedSince")
    g.log_extra["cdc"] = {"entities": entities, "changedSince": since}
    return _read(realm_id, lambda ctx: qbo_cdc.run(ctx, entities, since))


def run_query(ctx: Context, text: str, hidden: dict[str, set[str]] | None = None) -> dict:
    """Parse and run a query over the realm; ``hidden`` ids are left out (batch isolation)."""
    query = qbo_query.parse(text)
    rows = [
        qbo_entities.present(ctx, query.entity, e)
        for e in ctx.realm.entities[query.entity].values()
        if e["Id"] not in (hidden or {}).get(query.entity, set())
    ]
    return qbo_query.run(
        query,
        rows,
        case_sensitive=ctx.config.query_case_sensitive,
        hide_inactive=ctx.config.query_hides_inactive,
        default_max=ctx.config.default_max_results,
        max_max=ctx.config.max_max_results,
    )


@bp.route("/query", methods=["GET", "POST"])
def query(realm_id: str) -> Response:
    """``GET ?query=...`` or ``POST`` with the query as an ``application/text`` body."""
    if request.method == "GET":
        text = request.args.get("query", "")
    else:
        text = request.get_data(as_text=True)
    g.log_extra["query"] = text
    return _read(realm_id, lambda ctx: {"QueryResponse": run_query(ctx, text)})


@bp.post("/batch")
def batch(realm_id: str) -> Response:
    """Up to ``batch_max_items`` operations and queries, each answered under its ``bId``."""
    store = current_store()

    def handler(ctx: Context) -> dict:
        payload = _json_body()
        items = payload.get("BatchItemRequest") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not items:
            raise qbo_faults.malformed_batch("Batch Request is Empty")
        g.log_extra["batch_items"] = len(items)
        if len(items) > ctx.config.batch_max_items:
            raise qbo_faults.malformed_batch(
                f"Batch Request exceeds the maximum of {ctx.config.batch_max_items} items"
            )
        if request.args.get("requestid") and any(
            len(str(i.get("bId", ""))) > ctx.config.batch_bid_max_len for i in items
        ):
            raise qbo_faults.malformed_batch(
                f"bId exceeds {ctx.config.batch_bid_max_len} characters (requestid given)"
            )
        before = {name: set(ids) for name, ids in ctx.realm.entities.items()}
        return {"BatchItemResponse": [_batch_item(ctx, item, before) for item in items]}

    return _write(realm_id, handler, store.config.batch_requestid_max_len)


def _batch_item(ctx: Context, item: Any, before: dict[str, set[str]]) -> dict:
    bid = item.get("bId") if isinstance(item, dict) else None
    try:
        if not isinstance(item, dict) or not bid:
            raise qbo_faults.required("bId")
        if "Query" in item:
            hidden = None
            if not ctx.config.batch_sees_own_creates:
                hidden = {
                    n: set(ids) - before.get(n, set()) for n, ids in ctx.realm.entities.items()
                }
            return {"bId": bid, "QueryResponse": run_query(ctx, str(item["Query"]), hidden)}
        names = [k for k in item if k in qbo_entities.ENTITY_PATHS.values()]
        if len(names) != 1:
            raise qbo_faults.unsupported("Batch item must carry exactly one entity or a Query")
        operation = item.get("operation", "create")
        if operation == "update" and item.get("optionsData") == "void":
            operation = "void"
        body = item[names[0]]
        if operation == "update" and not (isinstance(body, dict) and body.get("Id")):
            raise qbo_faults.required("Id")
        return {"bId": bid, **qbo_entities.save(ctx, names[0], body, operation)}
    except QboFault as fault:
        return {"bId": bid, "Fault": fault.fault()}
