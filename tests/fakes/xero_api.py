"""The fake Xero Accounting API under ``/api.xro/2.0`` (§3): guards, idempotency, dispatch.

Every request passes, in order: body size (413, as a gateway would, before anything else),
bearer token (401), ``xero-tenant-id`` connected to the token's app (403), known resource (404),
scope (401 AuthorizationUnsuccessful), ``Accept`` (406), rate limits (429), then
``Idempotency-Key`` replay, then the handler (which refuses more than ``max_elements`` per write).
"""

from __future__ import annotations

import hashlib
import time

from flask import Blueprint, Response, g, request

from tests.fakes import (
    xero_contacts,
    xero_invoice_view,
    xero_invoices,
    xero_limits,
    xero_money_api,
    xero_settings,
)
from tests.fakes.xero_format import (
    NOT_FOUND_TEXT,
    api_exception,
    flag,
    json_response,
    problem,
    text_response,
)
from tests.fakes.xero_http import (
    BadQuery,
    envelope,
    id_list,
    modified_since,
    paginate,
    select,
    unitdp,
    write_many,
)
from tests.fakes.xero_oauth import bearer
from tests.fakes.xero_seed import Tenant
from tests.fakes.xero_state import Cached, current_state

bp = Blueprint("fake_xero_api", __name__, url_prefix="/api.xro/2.0")

RESOURCES = {
    "contacts": "Contacts",
    "invoices": "Invoices",
    "accounts": "Accounts",
    "taxrates": "TaxRates",
    "items": "Items",
    "organisation": "Organisation",
    "organisations": "Organisation",
    "currencies": "Currencies",
    "payments": "Payments",
    "creditnotes": "CreditNotes",
}
_SETTINGS = ({"accounting.settings", "accounting.settings.read"}, {"accounting.settings"})
# (scopes that may read, scopes that may write): any one of the set will do. Invoices take the
# granular scope of new apps or the broad one of old apps (xero_scopes).
SCOPES = {
    "Contacts": ({"accounting.contacts", "accounting.contacts.read"}, {"accounting.contacts"}),
    "Invoices": (
        {
            "accounting.invoices",
            "accounting.invoices.read",
            "accounting.transactions",
            "accounting.transactions.read",
        },
        {"accounting.invoices", "accounting.transactions"},
    ),
    # Granular scopes: credit notes go with invoices, payments have their own [3p: see
    # xero_scopes]; old apps use the broad transactions scopes for both.
    "CreditNotes": (
        {
            "accounting.invoices",
            "accounting.invoices.read",
            "accounting.transactions",
            "accounting.transactions.read",
        },
        {"accounting.invoices", "accounting.transactions"},
    ),
    "Payments": (
        {
            "accounting.payments",
            "accounting.payments.read",
            "accounting.transactions",
            "accounting.transactions.read",
        },
        {"accounting.payments", "accounting.transactions"},
    ),
    "Accounts": _SETTINGS,
    "TaxRates": _SETTINGS,
    "Items": _SETTINGS,
    "Organisation": _SETTINGS,
    "Currencies": _SETTINGS,
}


def _accepts_json() -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept or "+json" in accept


@bp.route("/<resource>", methods=["GET", "PUT", "POST"])
@bp.route("/<resource>/<ident>", methods=["GET", "POST"])
@bp.route("/<resource>/<ident>/<sub>", methods=["PUT"])
@bp.route("/<resource>/<ident>/<sub>/<sub_id>", methods=["DELETE"])
def endpoint(resource: str, ident: str | None = None, sub=None, sub_id=None):
    """One Accounting API call, through every guard in the module docstring."""
    g.sub, g.sub_id = sub, sub_id
    state = current_state()
    oversized = xero_limits.too_large(state, request.method, request.get_data())
    if oversized is not None:
        return oversized
    token, failure = bearer()
    if failure:
        return failure
    tenant_id = request.headers.get("xero-tenant-id", "").strip().lower()
    g.tenant_id = tenant_id
    with state.lock:
        connected = state.connection_for(token.client_id, tenant_id)
        tenant = state.tenants.get(tenant_id) if connected else None
    if tenant is None:
        return json_response(problem(403, "Forbidden", "AuthenticationUnsuccessful"), 403)
    name = RESOURCES.get(resource.lower())
    if name is None or (sub is not None and name != "CreditNotes"):
        return text_response(NOT_FOUND_TEXT, 404)
    needed = SCOPES[name][0 if request.method == "GET" else 1]
    if not needed & set(token.scopes):
        return json_response(problem(401, "Unauthorized", "AuthorizationUnsuccessful"), 401)
    if state.config.require_json_accept and not _accepts_json():
        return text_response("The fake serves JSON only: send Accept: application/json", 406)
    limited = xero_limits.acquire(state, token.client_id, tenant_id)
    if limited is not None:
        limited.headers.update(xero_limits.headers(state, token.client_id, tenant_id))
        return limited
    try:
        if state.config.latency:
            time.sleep(state.config.latency)
        with state.lock:
            response = _idempotent(token.client_id, tenant, name, ident)
    finally:
        xero_limits.release(state, tenant_id)
    response.headers.update(xero_limits.headers(state, token.client_id, tenant_id))
    return response


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path.lower(), request.query_string, request.get_data()):
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _idempotent(client_id: str, tenant: Tenant, name: str, ident: str | None) -> Response:
    state = current_state()
    key = request.headers.get("Idempotency-Key")
    if request.method == "GET" or not key:
        return _dispatch(tenant, name, ident)
    g.idempotency_key = key
    if len(key) > 128:
        message = "Idempotency-Key must be 128 characters or less."
        return json_response(api_exception("ValidationException", message), 400)
    now, fingerprint = state.clock.now(), _fingerprint()
    slot = (client_id, tenant.tenant_id, key)
    cached = state.idempotency.get(slot)
    if cached and now - cached.stored_at <= state.config.idempotency_ttl:
        if cached.fingerprint != fingerprint:
            # [3p] the wording of this 400 is unverified.
            message = f"The Idempotency-Key '{key}' was already used with a different request."
            return json_response(api_exception("ValidationException", message), 400)
        g.replayed = True
        replay = Response(cached.body, status=cached.status, content_type=cached.content_type)
        replay.headers["X-Fake-Idempotent-Replay"] = "true"
        return replay
    response = _dispatch(tenant, name, ident)
    status = response.status_code
    if status < 400 or (status < 500 and state.config.idempotency_cache_errors):
        body, kind = response.get_data(), response.content_type
        state.idempotency[slot] = Cached(fingerprint, status, body, kind, now)
    return response


def _dispatch(tenant: Tenant, name: str, ident: str | None) -> Response:
    handlers = {
        "Contacts": _contacts,
        "Invoices": _invoices,
        "Accounts": xero_settings.accounts,
        "TaxRates": xero_settings.tax_rates,
        "Items": xero_settings.items,
        "Organisation": xero_settings.organisation,
        "Currencies": xero_settings.currencies,
        "Payments": xero_money_api.payments,
        "CreditNotes": lambda t, i: xero_money_api.credit_notes(t, i, g.sub, g.sub_id),
    }
    writable = {"Contacts", "Invoices", "Items", "Payments", "CreditNotes"}
    if request.method != "GET" and name not in writable:
        return text_response("Not implemented by the fake", 501)
    try:
        return handlers[name](tenant, ident)
    except BadQuery as error:
        return error.response


def _contacts(tenant: Tenant, ident: str | None) -> Response:
    state = current_state()
    config, now = state.config, state.clock.utcnow()
    if request.method != "GET":
        upsert = request.method == "POST"

        def handle(staging, data):
            # POST /Contacts/{ContactID} updates that one contact.
            data = {**data, "ContactID": ident} if ident else data
            return xero_contacts.write(staging, data, upsert=upsert, config=config, now=now)

        return write_many(tenant, "Contacts", handle)
    found = list(tenant.contacts.values())
    if ident:
        found = [
            c for c in found if ident.lower() == c["ContactID"] or ident == c.get("ContactNumber")
        ]
        if not found:
            return text_response(NOT_FOUND_TEXT, 404)
        return envelope("Contacts", [xero_contacts.render(c) for c in found])
    if not flag(request.args.get("includeArchived"), False):
        found = [c for c in found if c["ContactStatus"] != "ARCHIVED"]
    ids = id_list("IDs")
    if ids is not None:
        found = [c for c in found if c["ContactID"] in {i.lower() for i in ids}]
    term = (request.args.get("searchTerm") or "").casefold()
    if term:
        keys = ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress")
        found = [c for c in found if any(term in str(c.get(k) or "").casefold() for k in keys)]
    found = select(found, xero_contacts.FIELDS)
    page, pagination = paginate(found)
    summary = flag(request.args.get("summaryOnly"), False)
    return envelope("Contacts", [xero_contacts.render(c, summary) for c in page], pagination)


def _invoices(tenant: Tenant, ident: str | None) -> Response:
    state = current_state()
    config, now, dp = state.config, state.clock.utcnow(), unitdp()
    if request.method != "GET":
        upsert = request.method == "POST"

        def handle(staging, data):
            return xero_invoices.write(
                staging, data, upsert=upsert, config=config, now=now, unitdp=dp, path_id=ident
            )

        before = xero_money_api.stamps(tenant)
        response = write_many(tenant, "Invoices", handle)
        if response.status_code == 200:
            xero_money_api.queue_changes(tenant, before)
        return response
    contacts = tenant.contacts
    found = list(tenant.invoices.values())
    if ident:
        found = [i for i in found if ident.lower() == i["InvoiceID"] or ident == i["InvoiceNumber"]]
        if not found:
            return text_response(NOT_FOUND_TEXT, 404)
        return envelope("Invoices", [xero_invoice_view.render(found[0], contacts, dp)])
    filters = {
        "IDs": lambda i, v: i["InvoiceID"] in {x.lower() for x in v},
        "InvoiceNumbers": lambda i, v: i["InvoiceNumber"] in v,
        "ContactIDs": lambda i, v: i["Contact"]["ContactID"] in {x.lower() for x in v},
        "Statuses": lambda i, v: i["Status"] in v,
    }
    for name, keep in filters.items():
        values = id_list(name)
        if values is not None:
            found = [i for i in found if keep(i, values)]
    found = modified_since(found)
    term = (request.args.get("searchTerm") or "").casefold()
    if term:
        found = [
            i
            for i in found
            if term in i["InvoiceNumber"].casefold() or term in str(i["Reference"]).casefold()
        ]
    views = select(
        [xero_invoice_view.where_view(i, contacts) for i in found], xero_invoice_view.FIELDS
    )
    page, pagination = paginate(views)
    lines = pagination is not None or config.list_invoices_lines_without_page
    lines = lines and not flag(request.args.get("summaryOnly"), False)
    stored = [tenant.invoices[v["InvoiceID"]] for v in page]
    rendered = [xero_invoice_view.render(i, contacts, dp, lines=lines) for i in stored]
    return envelope("Invoices", rendered, pagination)
