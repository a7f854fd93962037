"""QuickBooks Online Accounting API client (v3) for the exporter. No Flask here.

The caller passes the API base URL (``QUICKBOOKS_API_BASE_URL``, ending in ``/v3``), the realm
id and a valid access token; OAuth itself (exchange, refresh, revoke) is Authlib's job. Every
failure is raised as an ``integrations.ledger_errors`` exception carrying QuickBooks' own
Message/Detail/code verbatim.

Money: payloads carry ``Decimal`` and are written as exact JSON numbers (``Decimal`` text, never
``float``); responses are parsed with ``parse_float=Decimal``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests

from integrations.backoff import retry_after_seconds, with_backoff
from integrations.exact_json import encode_json
from integrations.ledger_errors import (
    AccessDenied,
    AuthExpired,
    LedgerError,
    LedgerUnavailable,
    NotFound,
    RateLimited,
    ValidationRejected,
)
from integrations.quickbooks_payloads import (  # noqa: F401 (the exporter's one import)
    InvoiceLine,
    build_invoice_payload,
)
from integrations.transport import READ_TIMEOUT, Deadline, send

PROVIDER = "quickbooks"
DEFAULT_TIMEOUT = READ_TIMEOUT
BATCH_LIMIT = 30  # items per batch request (Intuit, 2023)
PAGE_SIZE = 1000  # the largest MAXRESULTS QuickBooks accepts
BATCH_REQUEST_ID_MAX = 36
BATCH_BID_MAX = 10  # when a requestid is sent with the batch


@dataclass
class BatchItemResult:
    """The answer to one batch item: an entity, a query response, or the ledger's fault."""

    bid: str
    entity_name: str | None = None
    entity: dict[str, Any] | None = None
    query_response: dict[str, Any] | None = None
    error: ValidationRejected | None = None

    @property
    def ok(self) -> bool:
        """True unless QuickBooks answered this item with a Fault."""
        return self.error is None


def _normalise_errors(payload: Any) -> list[dict[str, Any]]:
    """The Error list of any of QBO's fault shapes, with Message/Detail/code/element keys."""
    if not isinstance(payload, dict):
        return []
    fault = payload.get("Fault") or payload.get("fault")
    if isinstance(fault, dict):
        errors = fault.get("Error") or fault.get("error") or []
        return [
            {
                "Message": e.get("Message", e.get("message")) or "",
                "Detail": e.get("Detail", e.get("detail")),
                "code": None if e.get("code") is None else str(e["code"]),
                "element": e.get("element"),
            }
            for e in errors
            if isinstance(e, dict)
        ]
    if "code" in payload and ("detail" in payload or "message" in payload):  # gateway shape
        message = payload.get("message") or str(payload["code"])
        return [{"Message": message, "Detail": payload.get("detail"), "code": str(payload["code"])}]
    return []


def _error_from(errors: list[dict[str, Any]], cls: type[LedgerError], fallback: str, **kw: Any):
    first = errors[0] if errors else {}
    return cls(
        first.get("Message") or fallback,
        first.get("code"),
        detail=first.get("Detail"),
        errors=errors,
        provider=PROVIDER,
        **kw,
    )


def raise_for_response(response: requests.Response) -> dict[str, Any]:
    """The JSON body of a successful answer, or the matching ``LedgerError``."""
    status, trace = response.status_code, response.headers.get("intuit_tid")
    try:
        payload = json.loads(response.text, parse_float=Decimal)
    except ValueError:
        payload = None
    errors = _normalise_errors(payload)
    if 200 <= status < 300 and isinstance(payload, dict) and not errors:
        return payload
    fallback = f"QuickBooks answered HTTP {status} {response.reason or ''}".strip()
    kw: dict[str, Any] = {"status": status, "trace_id": trace}
    if 200 <= status < 300:
        cls: type[LedgerError] = ValidationRejected if errors else LedgerUnavailable
        fallback = "QuickBooks sent an answer that is not JSON"
    elif status == 401:
        cls = AuthExpired
    elif status == 429:
        cls, kw["retry_after"] = (
            RateLimited,
            retry_after_seconds(response.headers.get("Retry-After")),
        )
    elif status >= 500:
        cls = LedgerUnavailable
    elif status == 400:
        cls = ValidationRejected
    else:
        cls = {403: AccessDenied, 404: NotFound}.get(status, LedgerError)
    error = _error_from(errors, cls, fallback, **kw)
    if not errors and error.detail is None and response.text:
        error.detail = response.text[:500]
    raise error


class QuickBooksClient:
    """The calls the exporter makes to one QBO company (realm)."""

    def __init__(
        self,
        api_base_url: str,
        realm_id: str,
        access_token: str,
        session: requests.Session | None = None,
        minor_version: int = 75,
        timeout: float = DEFAULT_TIMEOUT,
        max_wait: float = 0.0,
        deadline: Deadline | None = None,
    ) -> None:
        self.max_wait = max_wait  # seconds of Retry-After this client may wait out in all
        self.deadline = deadline or Deadline()
        self.company_url = f"{api_base_url.rstrip('/')}/company/{realm_id}"
        self.realm_id = realm_id
        self.access_token = access_token
        self.session = session or requests.Session()
        self.minor_version = minor_version
        self.timeout = timeout
        self.last_trace_id: str | None = None

    def _send(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        left = self.deadline.remaining()
        max_wait = self.max_wait if left is None else min(self.max_wait, max(0.0, left - 2))
        return with_backoff(lambda: self._send_once(method, path, **kwargs), max_wait)

    def _send_once(
        self, method: str, path: str, *, body: Any = None, text: str | None = None,
        params: Mapping[str, str] | None = None, request_id: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        query = {"minorversion": str(self.minor_version), **(params or {})}
        if request_id:
            query["requestid"] = request_id
        headers = {"Authorization": f"Bearer {self.access_token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data, headers["Content-Type"] = encode_json(body).encode(), "application/json"
        elif text is not None:
            data, headers["Content-Type"] = text.encode(), "application/text"
        response = send(
            self.session, method, f"{self.company_url}/{path}", ledger="QuickBooks Online",
            provider=PROVIDER, deadline=self.deadline, read_timeout=self.timeout,
            params=query, data=data, headers=headers,
        )  # fmt: skip
        self.last_trace_id = response.headers.get("intuit_tid")
        return raise_for_response(response)

    # --- reads ---------------------------------------------------------------------------

    def query(self, sql: str) -> dict[str, Any]:
        """Run a query; returns the ``QueryResponse`` object (``{}`` when nothing matched)."""
        return self._send("POST", "query", text=sql).get("QueryResponse", {})

    def query_all(self, entity: str, where: str = "") -> list[dict[str, Any]]:
        """Every ``entity`` matching ``where`` (a QBO condition, without ``WHERE``), paged."""
        rows: list[dict[str, Any]] = []
        condition = f" WHERE {where}" if where else ""
        while True:
            page = self.query(
                f"SELECT * FROM {entity}{condition} "
                f"STARTPOSITION {len(rows) + 1} MAXRESULTS {PAGE_SIZE}"
            ).get(entity, [])
            rows.extend(page)
            if len(page) < PAGE_SIZE:
                return rows

    def find_customer(self, display_name: str) -> dict[str, Any] | None:
        """The active customer with exactly this DisplayName (else one differing only in case).

        Whether QBO compares case-sensitively is not documented, so results are checked here.
        """
        escaped = display_name.replace("'", "\\'")
        found = self.query_all("Customer", f"DisplayName = '{escaped}'")
        exact = [c for c in found if c.get("DisplayName") == display_name]
        folded = [
            c for c in found if str(c.get("DisplayName", "")).casefold() == display_name.casefold()
        ]
        return (exact or folded or [None])[0]

    def get_invoice(self, invoice_id: str) -> dict[str, Any]:
        """One invoice by its QBO Id (``ValidationRejected`` code 610 when unknown)."""
        return self._send("GET", f"invoice/{invoice_id}")["Invoice"]

    def list_items(self) -> list[dict[str, Any]]:
        """Active products and services."""
        return self.query_all("Item")

    def list_tax_codes(self) -> list[dict[str, Any]]:
        """Active tax codes (US companies: the pseudo codes TAX and NON)."""
        return self.query_all("TaxCode")

    def list_accounts(self) -> list[dict[str, Any]]:
        """Active accounts of the chart of accounts."""
        return self.query_all("Account")

    def company_info(self) -> dict[str, Any]:
        """The company's CompanyInfo (name, country, address...)."""
        return self._send("GET", f"companyinfo/{self.realm_id}")["CompanyInfo"]

    def preferences(self) -> dict[str, Any]:
        """The company's Preferences (TaxPrefs, CurrencyPrefs, SalesFormsPrefs...)."""
        return self._send("GET", "preferences")["Preferences"]

    def list_customers(self) -> list[dict[str, Any]]:
        """Active customers."""
        return self.query_all("Customer")

    def cdc(self, entities: Sequence[str], changed_since: str) -> dict[str, Any]:
        """Change Data Capture: the whole answer (``CDCResponse`` and the ledger's ``time``)
        for what changed since ``changed_since`` (ISO 8601, at most 30 days back)."""
        params = {"entities": ",".join(entities), "changedSince": changed_since}
        return self._send("GET", "cdc", params=params)

    def changed_rows(self, entity: str, since: str) -> tuple[list[dict[str, Any]], str | None]:
        """Every ``entity`` updated after ``since`` (ISO 8601), paged, and the ledger's time
        of the first page (deleted ones are never listed this way)."""
        rows: list[dict[str, Any]] = []
        moment = None
        where = f"MetaData.LastUpdatedTime > '{since}'"
        while True:
            answer = self._send(
                "POST", "query",
                text=f"SELECT * FROM {entity} WHERE {where} ORDERBY MetaData.LastUpdatedTime "
                f"STARTPOSITION {len(rows) + 1} MAXRESULTS {PAGE_SIZE}",
            )  # fmt: skip
            moment = moment or answer.get("time")
            page = answer.get("QueryResponse", {}).get(entity, [])
            rows.extend(page)
            if len(page) < PAGE_SIZE:
                return rows, moment

    # --- writes --------------------------------------------------------------------------

    def create_customer(self, payload: Mapping[str, Any], request_id: str) -> dict[str, Any]:
        """Create a customer; a retry with the same ``request_id`` gets the first answer."""
        return self._send("POST", "customer", body=payload, request_id=request_id)["Customer"]

    def create_invoice(self, payload: Mapping[str, Any], request_id: str) -> dict[str, Any]:
        """Create an invoice; a retry with the same ``request_id`` creates nothing more."""
        if payload.get("Id"):
            raise ValueError("create_invoice got a payload with an Id: use update_invoice")
        return self._send("POST", "invoice", body=payload, request_id=request_id)["Invoice"]

    def update_invoice(self, payload: Mapping[str, Any], request_id: str) -> dict[str, Any]:
        """Update an invoice (full, or sparse with ``"sparse": true``): needs Id and SyncToken.

        A stale SyncToken raises ``ValidationRejected`` with code 5010.
        """
        if not payload.get("Id") or payload.get("SyncToken") in (None, ""):
            raise ValueError("update_invoice needs the invoice's Id and current SyncToken")
        return self._send("POST", "invoice", body=payload, request_id=request_id)["Invoice"]

    def void_invoice(self, invoice_id: str, sync_token: str, request_id: str) -> dict[str, Any]:
        """Void an invoice (it stays, numbered, with every amount zeroed); returns it.

        Needs the current SyncToken (5010 otherwise); QuickBooks refuses an invoice a payment
        settles (``ValidationRejected`` in its own words).
        """
        return self._invoice_operation("void", invoice_id, sync_token, request_id)

    def delete_invoice(self, invoice_id: str, sync_token: str, request_id: str) -> dict[str, Any]:
        """Delete an invoice; returns QuickBooks' ``{"status": "Deleted", "domain", "Id"}``.

        Needs the current SyncToken (5010 otherwise); QuickBooks refuses an invoice a payment
        settles (``ValidationRejected`` in its own words).
        """
        return self._invoice_operation("delete", invoice_id, sync_token, request_id)

    def _invoice_operation(
        self, operation: str, invoice_id: str, sync_token: str, request_id: str
    ) -> dict[str, Any]:
        if not invoice_id or sync_token in (None, ""):
            raise ValueError(f"{operation} needs the invoice's Id and current SyncToken")
        body = {"Id": str(invoice_id), "SyncToken": str(sync_token)}
        params = {"operation": operation}
        answer = self._send("POST", "invoice", body=body, params=params, request_id=request_id)
        return answer["Invoice"]

    def batch(
        self, items: Sequence[Mapping[str, Any]], request_id: str | None = None
    ) -> dict[str, BatchItemResult]:
        """Send batch items (``{"bId", "operation", "<Entity>": {...}}`` or ``{"bId", "Query"}``)
        in requests of at most 30; returns the result of each by ``bId``.

        With ``request_id``, request n of the call is sent as ``{request_id}-{n}``, so retrying
        the whole call after a lost answer replays what was done instead of repeating it.
        A failure of a whole request (429, 5xx, 401) raises; earlier requests stay done.
        """
        bids = [str(item.get("bId", "")) for item in items]
        if "" in bids or len(set(bids)) != len(bids):
            raise ValueError("every batch item needs a unique bId")
        if request_id and any(len(b) > BATCH_BID_MAX for b in bids):
            raise ValueError(f"bIds must be at most {BATCH_BID_MAX} characters with a request_id")
        results: dict[str, BatchItemResult] = {}
        for number, start in enumerate(range(0, len(items), BATCH_LIMIT)):
            chunk_id = f"{request_id}-{number}" if request_id else None
            if chunk_id and len(chunk_id) > BATCH_REQUEST_ID_MAX:
                raise ValueError(f"request_id too long for a batch ({BATCH_REQUEST_ID_MAX} max)")
            chunk = [dict(item) for item in items[start : start + BATCH_LIMIT]]
            answer = self._send(
                "POST", "batch", body={"BatchItemRequest": chunk}, request_id=chunk_id
            )
            for item in answer.get("BatchItemResponse", []):
                result = _batch_result(item, self.last_trace_id)
                results[result.bid] = result
        return results


def _batch_result(item: Mapping[str, Any], trace_id: str | None) -> BatchItemResult:
    bid = str(item.get("bId", ""))
    if "Fault" in item:
        errors = _normalise_errors(item)
        error = _error_from(
            errors, ValidationRejected, "QuickBooks refused this item", trace_id=trace_id
        )
        return BatchItemResult(bid, error=error)
    if "QueryResponse" in item:
        return BatchItemResult(bid, query_response=item["QueryResponse"])
    name = next((k for k in item if k != "bId"), None)
    return BatchItemResult(bid, entity_name=name, entity=item.get(name) if name else None)
