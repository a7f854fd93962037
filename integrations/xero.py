"""Xero Accounting API client for the exporter (Xero's Accounting API). No Flask.

The caller passes the API base URL (``XERO_API_BASE_URL``), the tenant id and a valid access
token; OAuth itself (exchange, refresh, revoke) is Authlib's job. Every failure is raised as an
``integrations.ledger_errors`` exception with Xero's own words verbatim (validation messages,
401/403 details) and the ``Xero-Correlation-Id`` as ``trace_id``.

Money: payloads carry ``Decimal`` and are written as exact JSON numbers (never ``float``);
responses are parsed with ``parse_float=Decimal``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
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
from integrations.transport import READ_TIMEOUT, Deadline, send
from integrations.xero_payloads import (  # noqa: F401 (the exporter's one import)
    XeroLine,
    build_contact_payload,
    build_invoice_payload,
)

PROVIDER = "xero"
DEFAULT_TIMEOUT = READ_TIMEOUT
NAMES_PER_LOOKUP = 20  # contact names OR-ed into one where clause
NUMBERS_PER_LOOKUP = 50  # invoice numbers per InvoiceNumbers= request
MAX_ELEMENTS = 50  # invoices or contacts per PUT/POST (Xero's recommendation)
PAGE_SIZE = 100
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
SETTABLE_STATUSES = frozenset({"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED", "VOIDED"})


def quote_where(value: str) -> str:
    """``value`` as a string literal of Xero's ``where`` language (``\\`` and ``"`` escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class XeroResult:
    """One element of a write answer, in request order: Xero's object and its own messages."""

    entity: dict[str, Any]
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether Xero stored this element."""
        return not self.errors

    @property
    def id(self) -> str | None:
        """The InvoiceID or ContactID Xero gave (None for an element it refused)."""
        value = self.entity.get("InvoiceID") or self.entity.get("ContactID")
        return None if value in (None, ZERO_UUID) else value

    @property
    def number(self) -> str | None:
        """The invoice number (Xero assigns one when the request had none)."""
        return self.entity.get("InvoiceNumber")


def _messages(element: Mapping[str, Any], key: str = "ValidationErrors") -> list[str]:
    found = [e.get("Message", "") for e in element.get(key) or [] if isinstance(e, Mapping)]
    for line in element.get("LineItems") or []:
        if isinstance(line, Mapping):
            found += [e.get("Message", "") for e in line.get(key) or [] if isinstance(e, Mapping)]
    return list(dict.fromkeys(m for m in found if m))


def _result(element: Mapping[str, Any]) -> XeroResult:
    failed = (
        element.get("StatusAttributeString") == "ERROR"
        or element.get("HasErrors") is True
        or element.get("HasValidationErrors") is True
    )
    errors = _messages(element) if failed else []
    if failed and not errors:
        errors = ["Xero refused this element without a message"]
    return XeroResult(dict(element), tuple(errors), tuple(_messages(element, "Warnings")))


def _body(response: requests.Response) -> Any:
    try:
        return json.loads(response.text, parse_float=Decimal)
    except ValueError:
        return None


def error_from_response(response: requests.Response) -> LedgerError:
    """The ``ledger_errors`` exception for a failed Xero answer, in Xero's own words."""
    status, body = response.status_code, _body(response)
    common = {"provider": PROVIDER, "trace_id": response.headers.get("Xero-Correlation-Id")}
    text = response.text.strip()[:500]
    if status in (401, 403) and isinstance(body, Mapping):
        detail = str(body.get("Detail") or "")
        kind = AuthExpired if status == 401 else AccessDenied
        title = str(body.get("Title") or ("Unauthorized" if status == 401 else "Forbidden"))
        return kind(title, detail.split(":")[0] or None, status, detail or None, **common)
    if status == 401:
        return AuthExpired(text or "Unauthorized", None, status, **common)
    if status == 403:
        return AccessDenied(text or "Forbidden", None, status, **common)
    if status == 404:
        return NotFound(
            text or "The resource you're looking for cannot be found", None, 404, **common
        )
    if status == 429:
        problem = response.headers.get("X-Rate-Limit-Problem")
        retry = retry_after_seconds(response.headers.get("Retry-After"))
        message = f"Xero rate limit reached ({problem or 'unknown limit'})"
        return RateLimited(message, problem, 429, text or None, retry_after=retry, **common)
    if status == 400 and isinstance(body, Mapping):
        return _rejected(body, common)
    if status >= 500:
        message = f"Xero is unavailable (HTTP {status})"
        return LedgerUnavailable(message, str(status), status, text or None, **common)
    return LedgerError(text or f"Xero answered HTTP {status}", str(status), status, **common)


def _rejected(body: Mapping[str, Any], common: dict[str, Any]) -> ValidationRejected:
    elements = [e for e in body.get("Elements") or [] if isinstance(e, Mapping)]
    errors = []
    for index, element in enumerate(elements):
        ref = {k: element[k] for k in ("InvoiceNumber", "Name") if element.get(k)}
        errors += [{"message": m, "index": index, **ref} for m in _messages(element)]
    messages = list(dict.fromkeys(e["message"] for e in errors))
    kind = str(body.get("Type") or "") or None
    summary = str(body.get("Message") or body.get("Detail") or "Xero refused the request")
    if messages:
        return ValidationRejected("; ".join(messages), kind, 400, errors=errors, **common)
    return ValidationRejected(summary, kind, 400, **common)


def _call(
    session: requests.Session,
    method: str,
    url: str,
    timeout: float,
    deadline: Deadline | None = None,
    **kwargs: Any,
) -> requests.Response:
    response = send(
        session, method, url, ledger="Xero", provider=PROVIDER, deadline=deadline,
        read_timeout=timeout, **kwargs,
    )  # fmt: skip
    if response.status_code >= 400:
        raise error_from_response(response)
    return response


def connections(
    connections_url: str,
    access_token: str,
    session: requests.Session | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[dict[str, Any]]:
    """The organisations the token may use: ``[{id, tenantId, tenantType, tenantName, ...}]``."""
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    response = _call(
        session or requests.Session(), "GET", connections_url, timeout, headers=headers
    )
    body = _body(response)
    if not isinstance(body, list):
        raise LedgerUnavailable("Xero answered /connections with something other than a list")
    return body


class XeroClient:
    """The Accounting API calls the exporter makes, for one organisation and one access token."""

    def __init__(
        self,
        api_base_url: str,
        tenant_id: str,
        access_token: str,
        session: requests.Session | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_wait: float = 0.0,
        deadline: Deadline | None = None,
    ) -> None:
        self.max_wait = max_wait  # seconds of Retry-After this client may wait out in all
        self.deadline = deadline or Deadline()
        self.api_base_url = api_base_url.rstrip("/")
        self.tenant_id = tenant_id
        self.access_token = access_token
        self.session = session or requests.Session()
        self.timeout = timeout

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self.access_token}",
            "xero-tenant-id": self.tenant_id,
            "Accept": "application/json",
            **(extra_headers or {}),
        }
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = encode_json(body).encode()
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        url = f"{self.api_base_url}/{path}"
        left = self.deadline.remaining()
        max_wait = self.max_wait if left is None else min(self.max_wait, max(0.0, left - 2))
        response = with_backoff(
            lambda: _call(
                self.session, method, url, self.timeout, self.deadline,
                params=params, data=data, headers=headers,
            ),
            max_wait,
        )  # fmt: skip
        parsed = _body(response)
        if not isinstance(parsed, dict):
            raise LedgerUnavailable(
                "Xero answered with unreadable JSON", None, response.status_code, provider=PROVIDER
            )
        return parsed

    def _list(self, path: str, key: str, params: Mapping[str, str] | None = None) -> list[dict]:
        return list(self._request("GET", path, params=params).get(key) or [])

    def find_contact(self, name: str) -> dict[str, Any] | None:
        """The active contact named exactly ``name`` (case and spacing included), or None."""
        return self.find_contacts([name]).get(name)

    def find_contacts(self, names: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Active contacts by exact name, several names per request; missing names are absent."""
        wanted = list(dict.fromkeys(names))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), NAMES_PER_LOOKUP):
            chunk = wanted[start : start + NAMES_PER_LOOKUP]
            where = " OR ".join(f"Name=={quote_where(n)}" for n in chunk)
            # Xero may match names case-insensitively; only an exact match counts here.
            for contact in self._list("Contacts", "Contacts", {"where": where}):
                if contact.get("Name") in chunk and contact.get("ContactStatus") == "ACTIVE":
                    found.setdefault(contact["Name"], contact)
        return found

    def find_invoices(self, numbers: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Sales invoices (any status) by exact number, 50 numbers a request."""
        wanted = list(dict.fromkeys(numbers))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), NUMBERS_PER_LOOKUP):
            chunk = wanted[start : start + NUMBERS_PER_LOOKUP]
            params = {"InvoiceNumbers": ",".join(chunk), "page": "1"}
            for invoice in self._list("Invoices", "Invoices", params):
                if invoice.get("Type") == "ACCREC" and invoice.get("InvoiceNumber") in chunk:
                    found.setdefault(invoice["InvoiceNumber"], invoice)
        return found

    def list_contacts(self) -> list[dict[str, Any]]:
        """Every active contact, page by page (100 a page)."""
        contacts: list[dict[str, Any]] = []
        page = 1
        while True:
            rows = self._list("Contacts", "Contacts", {"page": str(page)})
            contacts += [c for c in rows if c.get("ContactStatus", "ACTIVE") == "ACTIVE"]
            if len(rows) < PAGE_SIZE:
                return contacts
            page += 1

    def _write(
        self,
        method: str,
        key: str,
        elements: Sequence[Mapping[str, Any]],
        idempotency_key: str,
        summarize_errors: bool,
        path: str | None = None,
    ) -> list[XeroResult]:
        params = {"summarizeErrors": "true" if summarize_errors else "false"}
        if key == "Invoices" and _needs_unitdp(elements):
            params["unitdp"] = "4"
        body = self._request(method, path or key, params, {key: list(elements)}, idempotency_key)
        return [_result(e) for e in body.get(key) or [] if isinstance(e, Mapping)]

    def create_contacts(
        self,
        contacts: Sequence[Mapping[str, Any]],
        idempotency_key: str,
        summarize_errors: bool = False,
    ) -> list[XeroResult]:
        """PUT /Contacts: create contacts (Xero refuses a name already in use)."""
        return self._write("PUT", "Contacts", contacts, idempotency_key, summarize_errors)

    def put_invoices(
        self,
        invoices: Sequence[Mapping[str, Any]],
        idempotency_key: str,
        summarize_errors: bool = False,
    ) -> list[XeroResult]:
        """PUT /Invoices: create many invoices in one request; one result per invoice.

        With ``summarize_errors`` any refused invoice fails the whole request
        (``ValidationRejected``); without it, each result carries its own errors.
        """
        return self._write("PUT", "Invoices", invoices, idempotency_key, summarize_errors)

    def post_invoices(
        self,
        invoices: Sequence[Mapping[str, Any]],
        idempotency_key: str,
        summarize_errors: bool = False,
    ) -> list[XeroResult]:
        """POST /Invoices: update the invoices named by ``InvoiceID`` (or create new ones)."""
        return self._write("POST", "Invoices", invoices, idempotency_key, summarize_errors)

    def set_invoice_status(self, invoice_id: str, status: str, idempotency_key: str) -> XeroResult:
        """POST /Invoices/{id} with only a new Status: ``DELETED`` (a DRAFT or SUBMITTED
        invoice), ``VOIDED`` (an AUTHORISED one without payments) or another workflow step.

        The invoice keeps its number either way. A refusal raises ``ValidationRejected`` with
        Xero's messages (e.g. "Invoice not of valid status for modification").
        """
        if status not in SETTABLE_STATUSES:
            raise ValueError(f"status must be one of {', '.join(sorted(SETTABLE_STATUSES))}")
        element = {"InvoiceID": invoice_id, "Status": status}
        # One element: summarized, a refusal is Xero's 400 ValidationException.
        results = self._write(
            "POST", "Invoices", [element], idempotency_key, True, path=f"Invoices/{invoice_id}"
        )
        if not results:
            raise LedgerUnavailable("Xero answered without the invoice", provider=PROVIDER)
        if not results[0].ok:
            errors = [{"message": m, "index": 0} for m in results[0].errors]
            message = "; ".join(results[0].errors)
            raise ValidationRejected(message, None, 200, errors=errors, provider=PROVIDER)
        return results[0]

    def get_invoice(self, invoice_id: str) -> dict[str, Any]:
        """GET /Invoices/{id} (an InvoiceID or an invoice number); ``NotFound`` if unknown."""
        invoices = self._list(f"Invoices/{invoice_id}", "Invoices")
        if not invoices:
            raise NotFound(f"Xero has no invoice {invoice_id}", None, 404, provider=PROVIDER)
        return invoices[0]

    def list_accounts(self) -> list[dict[str, Any]]:
        """Every account (``Code``, ``Name``, ``Type``, ``Status``, ``TaxType``...)."""
        return self._list("Accounts", "Accounts")

    def list_tax_rates(self) -> list[dict[str, Any]]:
        """Every tax rate (``TaxType``, ``Name``, ``EffectiveRate``, ``CanApplyToRevenue``...)."""
        return self._list("TaxRates", "TaxRates")

    def list_items(self) -> list[dict[str, Any]]:
        """Every item (``Code``, ``Name``, ``SalesDetails``...)."""
        return self._list("Items", "Items")


def _needs_unitdp(invoices: Sequence[Mapping[str, Any]]) -> bool:
    for invoice in invoices:
        for line in invoice.get("LineItems") or []:
            unit = line.get("UnitAmount")
            if isinstance(unit, Decimal) and unit.as_tuple().exponent < -2:
                return True
    return False
