"""Invoice line items in the fake Xero: defaults from Items, validation, and the tax maths.

``LineAmount`` is ``Quantity × UnitAmount`` less the discount, rounded to the cent. Tax per line is
``LineAmount × rate`` (Exclusive) or ``LineAmount × rate / (1 + rate)`` (Inclusive), rounded per
line; with ``tax_rounding="rate"`` it is rounded once per tax type and the difference lands on that
type's last line. A client's own ``TaxAmount`` is kept as given, as Xero allows.

Every amount is kept to 2 decimals whatever the currency (JPY too) [doc: Xero's "Rounding in Xero"
guide: "summary values such as Total, LineAmount etc will remain at two decimal places only"].
Rounding is half away from zero (8.325 -> 8.33); Xero's own mode is [unverified].
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from tests.fakes.xero_format import money, new_id, quantize, to_decimal
from tests.fakes.xero_seed import Tenant

RECEIVABLE = {"ACCREC", "ACCRECCREDIT", "AROVERPAYMENT", "ARPREPAYMENT"}
HUNDRED = Decimal(100)
_ZERO = Decimal("0.00")


def _number(line: dict, key: str, errors: list[str]) -> Decimal | None:
    if line.get(key) is None:
        return None
    try:
        return to_decimal(line[key])
    except ValueError:
        errors.append(f"{key} '{line[key]}' is not a valid number.")
        return None


def _account_ok(tenant: Tenant, code: str) -> bool:
    account = tenant.account(code)
    return bool(
        account
        and account["Status"] == "ACTIVE"
        and account["Type"] != "BANK"
        and not account.get("SystemAccount")
    )


def _tax_ok(tenant: Tenant, tax_type: str, receivable: bool) -> bool:
    rate = tenant.tax_rate(tax_type)
    if not rate or rate["Status"] != "ACTIVE":
        return False
    return rate["CanApplyToRevenue"] if receivable else rate["CanApplyToExpenses"]


def build_line(
    tenant: Tenant,
    items: dict[str, dict],
    given: dict[str, Any],
    previous: dict | None,
    context: dict[str, Any],
) -> tuple[dict, list[str]]:
    """A stored line from the client's ``given`` one.

    ``context`` holds the invoice's type, status, amounts (LineAmountTypes) and unitdp.
    """
    errors: list[str] = []
    receivable = context["type"] in RECEIVABLE
    item = None
    code = given.get("ItemCode")
    if code:
        item = next((i for i in items.values() if i["Code"] == code), None)
        if item is None:
            errors.append(f"Item code '{code}' is not valid.")
    sales = (item or {}).get("SalesDetails") or {}
    quantity = _number(given, "Quantity", errors)
    unit = _number(given, "UnitAmount", errors)
    amount = _number(given, "LineAmount", errors)
    rate = _number(given, "DiscountRate", errors)
    discount = _number(given, "DiscountAmount", errors)
    tax_override = _number(given, "TaxAmount", errors)
    if unit is None and amount is None and sales.get("UnitPrice") is not None:
        unit = sales["UnitPrice"]
    quantity = quantize(quantity if quantity is not None else Decimal(1), 4)
    if unit is None and amount is not None and quantity:
        unit = amount / quantity
    unit = quantize(unit if unit is not None else Decimal(0), context["unitdp"])
    if rate is not None and discount is not None:
        errors.append("Only one of DiscountRate or DiscountAmount can be specified.")
    if discount is not None and not receivable:
        errors.append("DiscountAmount is only supported on sales invoices.")
    gross = quantity * unit
    if rate is not None:
        line_amount = money(gross * (HUNDRED - rate) / HUNDRED)
    else:
        line_amount = money(gross - (discount or 0))
    if amount is not None and given.get("UnitAmount") is not None and money(amount) != line_amount:
        errors.append(
            f"The line total {money(amount)} does not match the expected line total {line_amount}"
        )
    description = given.get("Description") or (item or {}).get("Description") or ""
    if not str(description).strip():
        errors.append("Description needs to be at least 1 char long.")
    account = given.get("AccountCode") or sales.get("AccountCode")
    if account and not _account_ok(tenant, account):
        errors.append(f"Account code '{account}' is not a valid code for this document.")
    if not account and context["status"] in {"SUBMITTED", "AUTHORISED"}:
        errors.append("Account code must be specified for each line item.")
    tax_type = given.get("TaxType") or sales.get("TaxType")
    if not tax_type and account and tenant.account(account):
        tax_type = tenant.account(account)["TaxType"]
    if context["amounts"] == "NoTax":
        tax_type = "NONE"
    tax_type = tax_type or "NONE"
    if not _tax_ok(tenant, tax_type, receivable):
        errors.append(
            f"The TaxType code '{tax_type}' does not exist or cannot be used for this "
            "type of transaction."
        )
    line = {
        "LineItemID": (previous or {}).get("LineItemID") or new_id(),
        "Description": str(description),
        "Quantity": quantity,
        "UnitAmount": unit,
        "ItemCode": code or None,
        "AccountCode": account,
        "TaxType": tax_type,
        "TaxAmount": money(tax_override) if tax_override is not None else None,
        "LineAmount": line_amount,
        "DiscountRate": rate,
        "DiscountAmount": money(discount) if discount is not None else None,
        "Tracking": given.get("Tracking") if isinstance(given.get("Tracking"), list) else [],
        "_item": item,
        "_tax_given": tax_override is not None,
    }
    return line, errors


def _rate(tenant: Tenant, tax_type: str) -> Decimal:
    found = tenant.tax_rate(tax_type)
    return found["EffectiveRate"] / HUNDRED if found else Decimal(0)


def _tax(amount: Decimal, rate: Decimal, amounts: str) -> Decimal:
    if amounts == "NoTax" or not rate:
        return Decimal(0)
    if amounts == "Inclusive":
        return amount * rate / (1 + rate)
    return amount * rate


def apply_tax(tenant: Tenant, lines: list[dict], amounts: str, rounding: str) -> None:
    """Fill each line's ``TaxAmount`` (unless the client gave one)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for line in lines:
        if line["_tax_given"]:
            continue
        rate = _rate(tenant, line["TaxType"])
        line["TaxAmount"] = money(_tax(line["LineAmount"], rate, amounts))
        groups[line["TaxType"]].append(line)
    if rounding != "rate":
        return
    for tax_type, members in groups.items():
        exact = _tax(sum(m["LineAmount"] for m in members), _rate(tenant, tax_type), amounts)
        members[-1]["TaxAmount"] += money(exact) - sum(m["TaxAmount"] for m in members)


def totals(lines: list[dict], amounts: str) -> dict[str, Any]:
    """SubTotal, TotalTax, Total and the discount fields of an invoice with ``lines``."""
    line_sum = sum((line["LineAmount"] for line in lines), _ZERO)
    tax = sum((line["TaxAmount"] for line in lines), _ZERO)
    discount = _ZERO
    for line in lines:
        if line["DiscountAmount"] is not None or line["DiscountRate"] is not None:
            discount += money(line["Quantity"] * line["UnitAmount"]) - line["LineAmount"]
    if amounts == "Inclusive":
        subtotal, total = line_sum - tax, line_sum
    else:
        subtotal, total = line_sum, line_sum + tax
    return {
        "SubTotal": money(subtotal),
        "TotalTax": money(tax),
        "Total": money(total),
        "TotalDiscount": money(discount) if discount else None,
        "IsDiscounted": bool(discount),
    }


def render_line(line: dict, unitdp: int, with_errors: bool) -> dict[str, Any]:
    """A line as the API returns it (``UnitAmount`` to 2 or ``unitdp`` decimals)."""
    result: dict[str, Any] = {
        "Description": line["Description"],
        "UnitAmount": quantize(line["UnitAmount"], unitdp),
        "TaxType": line["TaxType"],
        "TaxAmount": line["TaxAmount"],
        "LineAmount": line["LineAmount"],
    }
    if line["AccountCode"]:
        result["AccountCode"] = line["AccountCode"]
    if line["ItemCode"]:
        result["ItemCode"] = line["ItemCode"]
        item = line["_item"] or {}
        result["Item"] = {
            "ItemID": item.get("ItemID"),
            "Name": item.get("Name"),
            "Code": line["ItemCode"],
        }
    result["Tracking"] = line["Tracking"]
    result["Quantity"] = line["Quantity"]
    if line["DiscountRate"] is not None:
        result["DiscountRate"] = quantize(line["DiscountRate"], 2)
    if line["DiscountAmount"] is not None:
        result["DiscountAmount"] = line["DiscountAmount"]
    result["LineItemID"] = line["LineItemID"]
    if with_errors:
        result["ValidationErrors"] = []
    return result
