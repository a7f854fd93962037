"""QuickBooks Online request bodies built from plain values: invoices and their sales lines.

Amounts stay ``Decimal`` (never ``float``); the client writes them as exact JSON numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool | float):
        raise TypeError(f"{name} must be a Decimal, int or numeric string, not {value!r}")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _iso(value: date | str | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


@dataclass(frozen=True)
class InvoiceLine:
    """One sales line: ``amount`` defaults to ``qty × unit_price`` rounded half-up to cents."""

    item_id: str
    unit_price: Decimal | str | int
    qty: Decimal | str | int = 1
    amount: Decimal | str | int | None = None
    description: str | None = None
    tax_code: str | None = None
    item_name: str | None = None
    service_date: date | str | None = None


def _line(line: Any) -> dict[str, Any]:
    if is_dataclass(line) and not isinstance(line, InvoiceLine | type):
        line = asdict(line)
    spec = InvoiceLine(**line) if isinstance(line, Mapping) else line
    qty, price = _decimal(spec.qty, "qty"), _decimal(spec.unit_price, "unit_price")
    amount = (
        _decimal(spec.amount, "amount")
        if spec.amount is not None
        else (qty * price).quantize(CENT, rounding=ROUND_HALF_UP)
    )
    item_ref = {"value": str(spec.item_id)}
    if spec.item_name:
        item_ref["name"] = spec.item_name
    detail: dict[str, Any] = {"ItemRef": item_ref, "Qty": qty, "UnitPrice": price}
    if spec.tax_code:
        detail["TaxCodeRef"] = {"value": spec.tax_code}
    if spec.service_date:
        detail["ServiceDate"] = _iso(spec.service_date)
    payload: dict[str, Any] = {"DetailType": "SalesItemLineDetail", "Amount": amount}
    if spec.description:
        payload["Description"] = spec.description
    payload["SalesItemLineDetail"] = detail
    return payload


def build_invoice_payload(
    *,
    customer_id: str,
    lines: Iterable[Any],
    doc_number: str | None = None,
    txn_date: date | str | None = None,
    due_date: date | str | None = None,
    currency: str | None = None,
    bill_email: str | None = None,
    private_note: str | None = None,
) -> dict[str, Any]:
    """A QBO Invoice body from plain values.

    ``lines`` are ``InvoiceLine`` objects, or dicts or dataclasses with exactly its field names.

    Amounts stay ``Decimal``; send the result with ``QuickBooksClient``. For an update, add
    ``Id`` and ``SyncToken`` from the ledger copy.
    """
    payload: dict[str, Any] = {"CustomerRef": {"value": str(customer_id)}}
    optional = {
        "DocNumber": doc_number,
        "TxnDate": _iso(txn_date),
        "DueDate": _iso(due_date),
        "CurrencyRef": {"value": currency} if currency else None,
        "BillEmail": {"Address": bill_email} if bill_email else None,
        "PrivateNote": private_note,
    }
    payload.update({k: v for k, v in optional.items() if v is not None})
    payload["Line"] = [_line(ln) for ln in lines]
    if not payload["Line"]:
        raise ValueError("an invoice needs at least one line")
    return payload
