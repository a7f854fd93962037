"""Test controls of the fake Xero (not part of Xero's contract) and the per-request hooks.

``/_fake/reset``, ``/_fake/state``, ``/_fake/clock``, ``/_fake/fail-next``, ``/_fake/drop-next``,
``/_fake/tenants``, ``/_fake/config`` and ``/_fake/token``. A ledger user's actions (payments,
voids) and the webhooks' controls are in ``xero_ledger_control``. Parameters come from the
query string, a form or a JSON body alike.
"""

from __future__ import annotations

import socket
from typing import Any

from flask import Blueprint, Flask, Response, g, request

from tests.fakes import xero_contacts, xero_credit_notes, xero_invoice_view, xero_payments
from tests.fakes.xero_api import RESOURCES
from tests.fakes.xero_format import (
    flag,
    iso7,
    json_response,
    new_id,
    problem,
    text_response,
    wire,
)
from tests.fakes.xero_limits import too_many
from tests.fakes.xero_scopes import ScopeRefused, check
from tests.fakes.xero_state import FakeXeroState, current_state
from tests.fakes.xero_tokens import issue_tokens

bp = Blueprint("fake_xero_control", __name__, url_prefix="/_fake")
API_PREFIX = "/api.xro/2.0"
# Granular (see xero_scopes): what an app created on or after 2 March 2026 can be granted.
DEFAULT_SCOPES = (
    "openid profile email offline_access accounting.invoices accounting.payments "
    "accounting.contacts accounting.settings"
)
SERVER_ERROR = (
    "An error occurred in Xero. Check the API Status page http://status.developer.xero.com "
    "for current service status."
)


def _params() -> dict[str, Any]:
    params: dict[str, Any] = dict(request.args.items())
    params.update(request.form.items())
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        params.update(body)
    return params


def queue_fault(state: FakeXeroState, kind: str, **options: Any) -> dict:
    """Queue a ``fail`` or ``drop`` fault for the next ``count`` requests under ``path``."""
    fault = {
        "kind": kind,
        "path": str(options.get("path") or API_PREFIX),
        "count": int(options.get("count") or 1),
        "status": int(options.get("status") or 500),
        "retry_after": options.get("retry_after", 60),
        "problem": str(options.get("problem") or "minute"),
        "method": str(options.get("method") or ""),  # e.g. PUT: leave the look-ups alone
    }
    with state.lock:
        state.faults.append(fault)
    return fault


def mint_token(state: FakeXeroState, issuer: str, scopes: str | None = None, tenant_ids=None):
    """A token set for the configured client without the browser flow, tenants connected.

    The same rule as the token endpoint: ScopeRefused for a broad scope while
    ``config.new_app`` (make the fake an old app, ``new_app=False``, to mint one).
    """
    wanted = tuple((scopes or DEFAULT_SCOPES).split())
    check(wanted, state.config.new_app)
    event = new_id()
    state.connect(state.config.client_id, event, tenant_ids or None)
    return issue_tokens(state, state.config.client_id, wanted, event, issuer)


def snapshot(state: FakeXeroState, tenant_id: str | None = None, requests: bool = True) -> dict:
    """Stored entities per tenant (as the API renders them), connections and the request log."""
    with state.lock:
        tenants = {}
        for tenant in state.tenants.values():
            if tenant_id and tenant.tenant_id != tenant_id:
                continue
            tenants[tenant.tenant_id] = {
                "tenantName": tenant.name,
                "contacts": [xero_contacts.render(c) for c in tenant.contacts.values()],
                "invoices": [
                    xero_invoice_view.render(i, tenant.contacts) for i in tenant.invoices.values()
                ],
                "items": [wire(i) for i in tenant.items.values()],
                "payments": [xero_payments.render(p, tenant) for p in tenant.payments.values()],
                "creditNotes": [
                    xero_credit_notes.render(n, tenant.contacts)
                    for n in tenant.credit_notes.values()
                ],
            }
        result = {
            "now": state.clock.now(),
            "tenants": tenants,
            "connections": [
                {"id": c.id, "tenantId": c.tenant_id, "clientId": c.client_id}
                | {"authEventId": c.auth_event_id, "createdDateUtc": iso7(c.created)}
                for c in state.connections.values()
            ],
            "counts": dict(state.counts),
            "faults": list(state.faults),
            "config": state.config.as_dict(),
        }
        if requests:
            result["requests"] = list(state.requests)
        return result


@bp.route("/reset", methods=["POST"])
def reset():
    """Forget all data, tokens, counters and faults; restore the starting settings."""
    current_state().reset()
    return json_response({"ok": True})


@bp.route("/state")
def state_view():
    """The snapshot; ``?tenant=ID`` narrows it, ``?requests=0`` leaves out the log."""
    params = _params()
    return json_response(
        snapshot(current_state(), params.get("tenant"), flag(params.get("requests"), True))
    )


@bp.route("/clock", methods=["GET", "POST"])
def clock():
    """Read the fake's time; POST ``advance=SECONDS`` or ``now=EPOCH`` to move it."""
    state, params = current_state(), _params()
    if "advance" in params:
        state.clock.advance(float(params["advance"]))
    if "now" in params:
        state.clock.set(float(params["now"]))
    return json_response({"now": state.clock.now(), "offset": state.clock.offset})


@bp.route("/fail-next", methods=["POST"])
def fail_next():
    """Answer the next request under ``path`` with ``status`` (429, 500, 503...) unprocessed."""
    return json_response(queue_fault(current_state(), "fail", **_params()))


@bp.route("/drop-next", methods=["POST"])
def drop_next():
    """Process the next request under ``path`` but drop its response (a lost answer)."""
    return json_response(queue_fault(current_state(), "drop", **_params()))


@bp.route("/tenants", methods=["GET", "POST"])
def tenants():
    """List organisations; POST ``{"tenants": [{"tenantName", "tenantId"?...}]}`` seeds more."""
    state = current_state()
    if request.method == "POST":
        body = request.get_json(silent=True) or {}
        for spec in body.get("tenants") or [_params()]:
            options = {
                "base_currency": spec.get("baseCurrency", "NZD"),
                "country_code": spec.get("countryCode", "NZ"),
            }
            state.add_tenant(spec.get("tenantName") or "Fake Org", spec.get("tenantId"), **options)
    with state.lock:
        found = [{"tenantId": t.tenant_id, "tenantName": t.name} for t in state.tenants.values()]
    return json_response(found)


@bp.route("/config", methods=["GET", "POST"])
def config():
    """Read, or POST a JSON object to change, the fake's settings (FakeXeroConfig)."""
    state = current_state()
    if request.method == "POST":
        try:
            with state.lock:
                state.config.update(request.get_json(force=True) or {})
        except KeyError as error:
            return json_response({"error": f"unknown setting {error}"}, 400)
    return json_response(state.config.as_dict())


@bp.route("/token", methods=["POST"])
def token():
    """Mint tokens without the browser flow: ``scope``, ``tenant_ids`` (comma-separated).

    A scope the app may not have gives 400 ``invalid_scope``, as the token endpoint would.
    """
    params = _params()
    tenant_ids = params.get("tenant_ids") or None
    if isinstance(tenant_ids, str):
        tenant_ids = [t for t in tenant_ids.split(",") if t]
    issuer = request.host_url.rstrip("/")
    try:
        minted = mint_token(current_state(), issuer, params.get("scope"), tenant_ids)
    except ScopeRefused as refused:
        return json_response({"error": "invalid_scope", "error_description": str(refused)}, 400)
    return json_response(minted)


def _injected(state: FakeXeroState, fault: dict) -> Response:
    status = fault["status"]
    if status == 429:
        retry = fault["retry_after"]
        return too_many(state, fault["problem"], None if retry in (None, "") else int(retry))
    if status == 401:
        return json_response(problem(401, "Unauthorized", "AuthenticationUnsuccessful"), 401)
    if status == 500:
        return text_response(SERVER_ERROR, 500)
    if status == 503:
        return text_response("Service Unavailable", 503)
    return text_response(f"Injected failure {status}", status)


def _endpoint(method: str, path: str) -> str:
    if path.startswith(API_PREFIX + "/"):
        parts = path[len(API_PREFIX) + 1 :].split("/")
        name = RESOURCES.get(parts[0].lower(), parts[0])
        return f"{method} /{name}" + ("/{id}" if len(parts) > 1 and parts[1] else "")
    if path.lower().startswith("/connections/"):
        return f"{method} /connections/{{id}}"
    return f"{method} {path}"


def install_hooks(app: Flask) -> None:
    """Fault injection, correlation ids and the request log around every non-control request."""

    @app.before_request
    def inject_failure():
        """Answer with a queued ``fail`` fault instead of processing the request."""
        if request.path.startswith("/_fake"):
            return None
        state = current_state()
        fault = state.take_fault("fail", request.path, request.method)
        if fault:
            g.injected = True
            return _injected(state, fault)
        return None

    @app.after_request
    def record(response: Response) -> Response:
        """Add the correlation id, log the request, and drop the answer if a fault says so."""
        if request.path.startswith("/_fake"):
            return response
        state = current_state()
        response.headers["Xero-Correlation-Id"] = new_id()
        state.log(
            {
                "method": request.method,
                "path": request.path,
                "endpoint": _endpoint(request.method, request.path),
                "status": response.status_code,
                "tenantId": g.get("tenant_id"),
                "idempotencyKey": g.get("idempotency_key"),
                "replayed": bool(g.get("replayed")),
                "injected": bool(g.get("injected")),
                "dropped": False,
                "time": state.clock.now(),
            }
        )
        if not g.get("injected") and state.take_fault("drop", request.path, request.method):
            state.requests[-1]["dropped"] = True
            connection = request.environ.get("werkzeug.socket")
            if connection is not None:
                # Processed and stored, but the client never hears back (a lost response).
                connection.shutdown(socket.SHUT_RDWR)
        return response
