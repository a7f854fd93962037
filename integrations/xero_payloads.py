"""Xero request bodies built from plain values: invoices (with their lines) and contacts.

Amounts are ``Decimal`` (or ``int``) with at most 4 decimal places; the client writes them as
exact JSON numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class XeroLine:
    """One invoice line in plain values; amounts are ``Decimal`` (or ``int``)."""

    description: str
    quantity: Decimal
    unit_amount: Decimal
    account_code: str | None = None
    item_code: str | None = None
    tax_type: str | None = None
    discount_amount: Decimal | None = None
    tax_amount: Decimal | None = None


def _amount(value: Any, name: str) -> Decimal:
    if isinstance(value, bool | float) or value is None:
        raise TypeError(f"{name} must be a Decimal or int, not {type(value).__name__}")
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    if not amount.is_finite() or amount.as_tuple().exponent < -4:
        raise ValueError(f"{name} {value} has more than 4 decimal places")
    return amount


def _day(value: date | str) -> str:
    return value.isoformat() if isinstance(value, date) else date.fromisoformat(value).isoformat()


def _line_payload(line: XeroLine | Mapping[str, Any]) -> dict[str, Any]:
    if is_dataclass(line):
        line = asdict(line)
    line = XeroLine(**line)
    if not (line.account_code or line.item_code):
        raise ValueError(f"line {line.description!r} needs an account code or an item code")
    payload: dict[str, Any] = {
        "Description": line.description,
        "Quantity": _amount(line.quantity, "Quantity"),
        "UnitAmount": _amount(line.unit_amount, "UnitAmount"),
    }
    optional = {
        "AccountCode": line.account_code,
        "ItemCode": line.item_code,
        "TaxType": line.tax_type,
    }
    payload.update({k: v for k, v in optional.items() if v})
    if line.discount_amount is not None:
        payload["DiscountAmount"] = _amount(line.discount_amount, "DiscountAmount")
    if line.tax_amount is not None:
        payload["TaxAmount"] = _amount(line.tax_amount, "TaxAmount")
    return payload


def build_invoice_payload(
    *,
    contact_id: str,
    lines: Iterable[XeroLine | Mapping[str, Any]],
    invoice_number: str | None = None,
    reference: str | None = None,
    date: date | str | None = None,
    due_date: date | str | None = None,
    currency_code: str | None = None,
    status: str | None = "AUTHORISED",
    line_amount_types: str = "Exclusive",
    invoice_id: str | None = None,
) -> dict[str, Any]:
    """One sales invoice (``Type: ACCREC``) for ``put_invoices``/``post_invoices``.

    ``lines`` are ``XeroLine`` or mappings with the same keys. Giving ``invoice_id`` makes the
    payload update that invoice (POST). Empty optional values are left out.
    """
    payload: dict[str, Any] = {"Type": "ACCREC", "Contact": {"ContactID": contact_id}}
    if invoice_id:
        payload["InvoiceID"] = invoice_id
    optional = {
        "InvoiceNumber": invoice_number,
        "Reference": reference,
        "Date": _day(date) if date else None,
        "DueDate": _day(due_date) if due_date else None,
        "CurrencyCode": currency_code,
        "Status": status,
    }
    payload.update({k: v for k, v in optional.items() if v})
    payload["LineAmountTypes"] = line_amount_types
    payload["LineItems"] = [_line_payload(line) for line in lines]
    return payload


def build_contact_payload(
    name: str, email_address: str | None = None, contact_number: str | None = None
) -> dict[str, Any]:
    """One contact for ``create_contacts``."""
    payload: dict[str, Any] = {"Name": name}
    if email_address:
        payload["EmailAddress"] = email_address
    if contact_number:
        payload["ContactNumber"] = contact_number
    return payload
