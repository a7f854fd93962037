"""The fake Xero's ``/Payments``, ``/CreditNotes`` and ``/CreditNotes/{id}/Allocations`` handlers
(called by ``xero_api`` after its guards), and the webhook events their changes queue.

Lists take ``If-Modified-Since``, ``where``, ``order`` and ``page`` (100 per page unless
``pageSize``; ``pagination`` in the answer), as ``GET /Invoices`` does.
"""

from __future__ import annotations

from flask import Response, request

from tests.fakes import xero_allocations, xero_credit_notes, xero_payments, xero_webhooks
from tests.fakes.xero_batch import Staging
from tests.fakes.xero_format import (
    NOT_FOUND_TEXT,
    api_exception,
    flag,
    json_response,
    loads,
    names,
    text_response,
)
from tests.fakes.xero_http import (
    envelope,
    id_list,
    modified_since,
    paginate,
    select,
    unitdp,
    write_many,
)
from tests.fakes.xero_seed import Tenant
from tests.fakes.xero_state import current_state

PAYMENT_FIELDS = names(
    "PaymentID Date Amount BankAmount Reference CurrencyRate PaymentType Status UpdatedDateUTC "
    "IsReconciled Invoice CreditNote Account HasAccount"
)
CREDIT_NOTE_FIELDS = names(
    "Type Contact Date Status LineAmountTypes SubTotal TotalTax Total UpdatedDateUTC "
    "CurrencyCode CreditNoteID CreditNoteNumber Reference RemainingCredit FullyPaidOnDate"
)


def stamps(tenant: Tenant) -> dict[str, dict]:
    """Each document's ``UpdatedDateUTC``, to tell afterwards what a request changed."""
    return {
        "INVOICE": {k: v["UpdatedDateUTC"] for k, v in tenant.invoices.items()},
        "CREDITNOTE": {k: v["UpdatedDateUTC"] for k, v in tenant.credit_notes.items()},
    }


def queue_changes(tenant: Tenant, before: dict[str, dict]) -> None:
    """Queue a CREATE or UPDATE webhook event for every document changed since ``before``."""
    state = current_state()
    for category, docs in (("INVOICE", tenant.invoices), ("CREDITNOTE", tenant.credit_notes)):
        for ident, doc in docs.items():
            old = before[category].get(ident)
            if old == doc["UpdatedDateUTC"]:
                continue
            data = (
                {"Type": doc["Type"], "Status": doc["Status"]} if category == "CREDITNOTE" else None
            )
            kind = "CREATE" if old is None else "UPDATE"
            xero_webhooks.queue(state, tenant.tenant_id, category, kind, ident, data)


def payments(tenant: Tenant, ident: str | None) -> Response:
    """GET /Payments[/{id}], PUT /Payments (many), POST /Payments (one) or POST /Payments/{id}
    (``Status: DELETED``)."""
    now = current_state().clock.utcnow()
    if request.method != "GET":
        before = stamps(tenant)
        if ident:
            response = _delete_payment(tenant, ident, now)
        else:
            response = write_many(tenant, "Payments", lambda s, d: xero_payments.write(s, d, now))
        if response.status_code == 200:
            response = _rendered_payments(tenant, response)
            queue_changes(tenant, before)
        return response
    found = list(tenant.payments.values())
    if ident:
        found = [p for p in found if p["PaymentID"] == ident.lower()]
        if not found:
            return text_response(NOT_FOUND_TEXT, 404)
        return envelope("Payments", [xero_payments.render(found[0], tenant)])
    found = modified_since(found)
    views = {p["PaymentID"]: xero_payments.render(p, tenant) for p in found}
    where_views = [{**p, **_where_parts(views[p["PaymentID"]])} for p in found]
    page, pagination = paginate(select(where_views, PAYMENT_FIELDS))
    return envelope("Payments", [views[p["PaymentID"]] for p in page], pagination)


def _where_parts(rendered: dict) -> dict:
    keys = ("Invoice", "CreditNote", "Account", "HasAccount", "BankAmount")
    return {k: rendered[k] for k in keys if k in rendered}


def _rendered_payments(tenant: Tenant, response: Response) -> Response:
    """The write's answer with each stored payment rendered in full (after the commit)."""
    body = loads(response.get_data())
    shown = []
    for element in body["Payments"]:
        stored = tenant.payments.get(element.get("PaymentID", ""))
        shown.append(
            {**xero_payments.render(stored, tenant), **_status_of(element)} if stored else element
        )
    return envelope("Payments", shown)


def _status_of(element: dict) -> dict:
    keys = ("StatusAttributeString", "ValidationErrors")
    return {"StatusAttributeString": "OK", **{k: element[k] for k in keys if k in element}}


def _delete_payment(tenant: Tenant, ident: str, now) -> Response:
    payment = tenant.payments.get(ident.lower())
    if payment is None:
        return text_response(NOT_FOUND_TEXT, 404)
    try:
        body = loads(request.get_data() or b"{}")
    except ValueError:
        return json_response(api_exception("PostDataInvalidException", "Invalid Json data"), 400)
    given = body.get("Payments", [body]) if isinstance(body, dict) else []
    status = given[0].get("Status") if given and isinstance(given[0], dict) else None
    if status != "DELETED":
        # Payments cannot be edited, only deleted [3p]; the wording is the fake's [unverified].
        message = "Payments cannot be edited, only deleted (Status DELETED)."
        return json_response(api_exception("ValidationException", message), 400)
    staging = Staging(tenant)
    try:
        deleted = xero_payments.delete(staging, payment, now)
    except xero_payments.PaymentRefused as refused:
        return json_response(api_exception("ValidationException", str(refused)), 400)
    staging.commit()
    return envelope("Payments", [{"PaymentID": deleted["PaymentID"]}])


def credit_notes(tenant: Tenant, ident: str | None, sub: str | None, sub_id: str | None):
    """GET/PUT/POST /CreditNotes[/{id}], and PUT/DELETE /CreditNotes/{id}/Allocations[/{id}]."""
    state = current_state()
    config, now, dp = state.config, state.clock.utcnow(), unitdp()
    note = None
    if ident:
        note = tenant.credit_notes.get(ident.lower()) or next(
            (n for n in tenant.credit_notes.values() if n["CreditNoteNumber"] == ident), None
        )
    if sub is not None:
        if note is None or sub.lower() != "allocations":
            return text_response(NOT_FOUND_TEXT, 404)
        return _allocations(tenant, note["CreditNoteID"], sub_id, now)
    if request.method != "GET":
        before = stamps(tenant)
        upsert = request.method == "POST"

        def handle(staging, data):
            return xero_credit_notes.write(
                staging, data, upsert=upsert, config=config, now=now, unitdp=dp, path_id=ident
            )

        response = write_many(tenant, "CreditNotes", handle)
        if response.status_code == 200:
            queue_changes(tenant, before)
        return response
    contacts = tenant.contacts
    if ident:
        if note is None:
            return text_response(NOT_FOUND_TEXT, 404)
        return envelope("CreditNotes", [xero_credit_notes.render(note, contacts, dp)])
    found = modified_since(list(tenant.credit_notes.values()))
    ids = id_list("IDs")
    if ids is not None:
        found = [n for n in found if n["CreditNoteID"] in {i.lower() for i in ids}]
    views = [{**n, "Contact": contacts.get(n["Contact"]["ContactID"], {})} for n in found]
    page, pagination = paginate(select(views, CREDIT_NOTE_FIELDS))
    lines = not flag(request.args.get("summaryOnly"), False)
    stored = [tenant.credit_notes[v["CreditNoteID"]] for v in page]
    rendered = [xero_credit_notes.render(n, contacts, dp, lines=lines) for n in stored]
    return envelope("CreditNotes", rendered, pagination)


def _allocations(tenant: Tenant, note_id: str, allocation_id: str | None, now) -> Response:
    before = stamps(tenant)
    if request.method == "DELETE" and allocation_id:
        staging = Staging(tenant)
        body = xero_allocations.delete(staging, note_id, allocation_id.lower(), now)
        if body is None:
            return text_response(NOT_FOUND_TEXT, 404)
        staging.commit()
        queue_changes(tenant, before)
        return json_response(body)
    if request.method != "PUT" or allocation_id:
        return text_response("Method not allowed", 405)
    response = write_many(
        tenant, "Allocations", lambda s, d: xero_allocations.write(s, note_id, d, now)
    )
    if response.status_code == 200:
        queue_changes(tenant, before)
    return response
