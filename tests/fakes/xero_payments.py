"""Payments a user records in the fake Xero, as the invoice then shows them:
``AmountPaid`` up, ``AmountDue`` down, ``Payments[]`` gains the payment, and the status
becomes PAID with ``FullyPaidOnDate`` once nothing is due. A test control, not an API endpoint:
the fake serves no ``/Payments``.

Refusals use Xero's words: "Payment amount exceeds the amount outstanding on this document" (the
only payment message in the spec) and "Payments can only be made against Authorised documents."
([obs] quoted by an integrator's support page).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from tests.fakes.xero_format import money, new_id, to_decimal
from tests.fakes.xero_seed import Tenant

EXCEEDS = "Payment amount exceeds the amount outstanding on this document"
NOT_AUTHORISED = "Payments can only be made against Authorised documents."


class PaymentRefused(ValueError):
    """Xero would refuse this payment; the message is Xero's."""


def apply_payment(tenant: Tenant, invoice_id: str, amount: Any, now: datetime) -> dict[str, Any]:
    """Pay ``amount`` against the invoice (its id or number); returns the stored invoice.

    KeyError for an unknown invoice, ``PaymentRefused`` where Xero would refuse the payment.
    """
    invoice = tenant.invoices.get(str(invoice_id).lower()) or next(
        (i for i in tenant.invoices.values() if i["InvoiceNumber"] == invoice_id), None
    )
    if invoice is None:
        raise KeyError(f"no invoice {invoice_id}")
    try:
        amount = money(to_decimal(amount))
    except ValueError as error:
        raise PaymentRefused(str(error)) from None
    if amount <= 0:
        raise PaymentRefused("Payment amount must be greater than zero")
    if invoice["Status"] != "AUTHORISED":
        raise PaymentRefused(NOT_AUTHORISED)
    if amount > invoice["AmountDue"]:
        raise PaymentRefused(EXCEEDS)
    invoice["Payments"] = [
        *invoice.get("Payments", []),
        {
            "PaymentID": new_id(),
            "Date": now.date(),
            "Amount": amount,
            "CurrencyRate": invoice["CurrencyRate"],
            "HasAccount": False,
            "HasValidationErrors": False,
        },
    ]
    invoice["AmountPaid"] += amount
    invoice["AmountDue"] -= amount
    if invoice["AmountDue"] == Decimal("0"):
        invoice["Status"] = "PAID"
        invoice["FullyPaidOnDate"] = now.date()
    invoice["UpdatedDateUTC"] = now
    return invoice
