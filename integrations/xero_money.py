"""The Xero calls of the two-way sync: credit notes (ACCRECCREDIT) and their allocations,
payments, and reading what changed since a time (``If-Modified-Since``, paged). No Flask.

Built on :class:`integrations.xero.XeroClient` (same errors, retries and exact JSON); the
request bodies are in ``ledger_sync.md`` §2.1-2.2.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from integrations.xero import (
    NAMES_PER_LOOKUP,
    PAGE_SIZE,
    ZERO_UUID,
    XeroClient,
    XeroLine,
    XeroResult,
    _needs_unitdp,
    _result,
    quote_where,
)
from integrations.xero_payloads import _day, _line_payload

_MS_DATE = re.compile(r"^/Date\((?P<ms>-?\d+)(?P<zone>[+-]\d{2,4})?\)/$")


def xero_datetime(value: Any) -> datetime | None:
    """An aware UTC datetime from Xero's ``/Date(ms+0000)/`` or an ISO string (None if absent
    or unreadable)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    found = _MS_DATE.match(text)
    if found:
        # The milliseconds are UTC whatever the zone suffix says (it only tells the display).
        return datetime.fromtimestamp(int(found["ms"]) / 1000, UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def xero_date(value: Any) -> date | None:
    """The day of a Xero ``Date`` (``/Date(ms+0000)/`` at UTC midnight, or ISO)."""
    moment = xero_datetime(value)
    return None if moment is None else moment.date()


def build_credit_note_payload(
    *,
    contact_id: str,
    lines: Iterable[XeroLine],
    number: str,
    reference: str | None,
    day: date,
    currency_code: str,
    status: str = "AUTHORISED",
    line_amount_types: str = "Exclusive",
) -> dict[str, Any]:
    """One customer credit note (``Type: ACCRECCREDIT``) for ``create_credit_notes``."""
    payload: dict[str, Any] = {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": contact_id},
        "CreditNoteNumber": number,
        "Date": _day(day),
        "CurrencyCode": currency_code,
        "Status": status,
        "LineAmountTypes": line_amount_types,
    }
    if reference:
        payload["Reference"] = reference
    payload["LineItems"] = [_line_payload(line) for line in lines]
    return payload


@dataclass
class Changed:
    """What one paged read since a time brought back, and the ledger's clock when it answered."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    ledger_times: list[datetime] = field(default_factory=list)  # each answer's DateTimeUTC


class XeroMoneyClient(XeroClient):
    """:class:`XeroClient` with the calls for payments, credit notes and changes."""

    def find_credit_notes(self, numbers: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Customer credit notes (any status, allocations included) by exact number, 20
        numbers a request."""
        wanted = list(dict.fromkeys(numbers))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), NAMES_PER_LOOKUP):
            chunk = wanted[start : start + NAMES_PER_LOOKUP]
            where = " OR ".join(f"CreditNoteNumber=={quote_where(n)}" for n in chunk)
            params = {"where": where, "page": "1"}
            for note in self._list("CreditNotes", "CreditNotes", params):
                if note.get("Type") == "ACCRECCREDIT" and note.get("CreditNoteNumber") in chunk:
                    found.setdefault(note["CreditNoteNumber"], note)
        return found

    def create_credit_notes(
        self, notes: Sequence[Mapping[str, Any]], idempotency_key: str
    ) -> list[XeroResult]:
        """PUT /CreditNotes: create many; one result per note, each with its own errors."""
        params = {"summarizeErrors": "false"}
        if _needs_unitdp(notes):
            params["unitdp"] = "4"
        body = self._request(
            "PUT", "CreditNotes", params, {"CreditNotes": list(notes)}, idempotency_key
        )
        return [_result(e) for e in body.get("CreditNotes") or [] if isinstance(e, Mapping)]

    def allocate_credit_note(
        self, credit_note_id: str, allocations: Sequence[Mapping[str, Any]], idempotency_key: str
    ) -> list[XeroResult]:
        """PUT /CreditNotes/{id}/Allocations: apply the note's credit to invoices
        (``{"Invoice": {"InvoiceID"}, "Amount", "Date"}`` each)."""
        return self._write(
            "PUT", "Allocations", allocations, idempotency_key, False,
            path=f"CreditNotes/{credit_note_id}/Allocations",
        )  # fmt: skip

    def create_payments(
        self, payments: Sequence[Mapping[str, Any]], idempotency_key: str
    ) -> list[XeroResult]:
        """PUT /Payments: one payment per document (invoice, or credit note for a refund);
        one result per payment, each with its own errors."""
        return self._write("PUT", "Payments", payments, idempotency_key, False)

    def delete_payment(self, payment_id: str) -> None:
        """POST /Payments/{id} with Status DELETED (Xero payments cannot be edited, only
        deleted): the amount goes back to the invoice or credit note it paid."""
        body = {"Payments": [{"Status": "DELETED"}]}
        self._request("POST", f"Payments/{payment_id}", body=body)

    def payment_status(self, payment_id: str) -> str:
        """The payment's Status (``AUTHORISED`` or ``DELETED``)."""
        rows = self._list(f"Payments/{payment_id}", "Payments")
        return str(rows[0].get("Status", "")) if rows else ""

    def changed_since(
        self, path: str, since: str | None, params: Mapping[str, str] | None = None
    ) -> Changed:
        """Every ``path`` row (``Invoices``, ``Payments``, ``CreditNotes``) created or changed
        since ``since`` (Xero's ``If-Modified-Since``, UTC; None: all), page by page while a
        page is full."""
        headers = {"If-Modified-Since": since} if since else None
        changed = Changed()
        page = 1
        while True:
            query = {**(params or {}), "page": str(page)}
            body = self._request("GET", path, query, extra_headers=headers)
            changed.requests += 1
            moment = xero_datetime(body.get("DateTimeUTC"))
            if moment is not None:
                changed.ledger_times.append(moment)
            rows = [r for r in body.get(path) or [] if isinstance(r, Mapping)]
            changed.rows += [dict(r) for r in rows]
            if len(rows) < PAGE_SIZE:
                return changed
            page += 1


def entity_id(result: XeroResult, key: str) -> str | None:
    """``result``'s ``CreditNoteID`` / ``PaymentID`` (None for an element Xero refused)."""
    value = result.entity.get(key)
    return None if not value or value == ZERO_UUID else str(value)
