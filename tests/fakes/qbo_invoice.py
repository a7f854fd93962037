"""Invoices in the fake QBO (§2.2): validation, line numbering, subtotal line, tax and totals.

Supported line types: ``SalesItemLineDetail`` and ``DescriptionOnly``; an incoming
``SubTotalLineDetail`` line (as read back from QBO) is dropped and recomputed. Discount and group
lines are not implemented (2010). Tax codes and the tax itself: see qbo_tax.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tests.fakes import qbo_faults, qbo_tax
from tests.fakes.qbo_common import Context, cents, check_currency, find, money, ref_id
from tests.fakes.qbo_seed import currency_ref

READ_ONLY = ("TotalAmt", "Balance", "HomeBalance", "HomeTotalAmt", "InvoiceLink", "EInvoiceStatus")


def date_field(value: Any, name: str) -> str | None:
    """A ``YYYY-MM-DD`` date from the input (None when absent), else a 2010 fault."""
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise qbo_faults.invalid_property(
            f"Property Name:{name} specified is unsupported or invalid"
        ) from None


def _sales_line(ctx: Context, line: dict, detail: dict) -> tuple[dict, str]:
    item_id = ref_id(detail.get("ItemRef")) or ctx.config.default_item_id
    if item_id is None:
        raise qbo_faults.required("ItemRef")
    item = find(ctx, "Item", item_id, kind="Item")
    if "Amount" not in line:
        raise qbo_faults.required("Amount")
    amount = money(line["Amount"], "Amount")
    detail = {**detail, "ItemRef": {"value": item["Id"], "name": item["Name"]}}
    for key in ("Qty", "UnitPrice"):
        if key in detail:
            detail[key] = money(detail[key], key)
    priced = "Qty" in detail and "UnitPrice" in detail
    # Amount itself is not rounded: 8.325 for 0.333 x 25.00 is refused, only 8.33 passes (the
    # half-up reading; whether QBO rounds half up or half even is [unverified]: a knob)
    rounding = ctx.config.line_amount_rounding
    if (
        ctx.config.check_line_amount
        and priced
        and cents(detail["Qty"] * detail["UnitPrice"], rounding) != amount
    ):
        raise qbo_faults.QboFault(
            400,
            ctx.config.amount_mismatch_code,
            "Amount is not equal to UnitPrice * Qty",
            f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}",
        )
    if "IncomeAccountRef" in item:
        detail.setdefault("ItemAccountRef", item["IncomeAccountRef"])
    code = qbo_tax.line_tax_code(ctx, detail, item)
    detail["TaxCodeRef"] = {"value": code}
    for key in ("LineNum", "Id", "TaxInclusiveAmt"):  # numbering is ours; python-qbo sends 0s
        detail.pop(key, None)
    return {**line, "Amount": amount, "SalesItemLineDetail": detail}, code


def _lines(ctx: Context, lines: Any) -> tuple[list[dict], Decimal, dict[str, Decimal]]:
    """Validated, numbered lines plus the subtotal line; the subtotal; amounts per tax code."""
    if not isinstance(lines, list):
        lines = []
    lines = [ln for ln in lines if isinstance(ln, dict)]
    lines = [ln for ln in lines if ln.get("DetailType") != "SubTotalLineDetail"]
    if not lines:
        raise qbo_faults.required("Line")
    result, subtotal, per_code = [], Decimal("0"), {}
    for number, line in enumerate(lines, start=1):
        kind = line.get("DetailType")
        if not kind:
            raise qbo_faults.required("DetailType")
        line = {k: v for k, v in line.items() if k not in ("Id", "LineNum", "LinkedTxn")}
        if kind == "SalesItemLineDetail":
            line, code = _sales_line(ctx, line, line.get("SalesItemLineDetail") or {})
            subtotal += line["Amount"]
            per_code[code] = per_code.get(code, Decimal("0")) + line["Amount"]
        elif kind == "DescriptionOnly":
            line = {**line, "Amount": money(line.get("Amount", 0), "Amount")}
            line.setdefault("DescriptionLineDetail", {})
        else:
            raise qbo_faults.invalid_property(
                f"Property Name:DetailType {kind} is not supported by the fake QuickBooks server"
            )
        result.append({"Id": str(number), "LineNum": number, **line})
    result.append(
        {"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    )
    return result, subtotal, per_code


def _doc_number(ctx: Context, fields: dict, self_id: str | None, include: str, entity: str) -> str:
    invoices = ctx.realm.entities[entity]  # one auto-number sequence, duplicates per entity
    doc = fields.get("DocNumber")
    if doc is None and self_id is not None:
        doc = invoices[self_id].get("DocNumber")
    if doc is None:
        used = {
            d.get("DocNumber") for e in ("Invoice", entity) for d in ctx.realm.entities[e].values()
        }
        while str(ctx.realm.next_doc_number) in used:
            ctx.realm.next_doc_number += 1
        doc = str(ctx.realm.next_doc_number)
        ctx.realm.next_doc_number += 1
        return doc
    doc = str(doc)
    if len(doc) > ctx.config.max_doc_number_len:
        raise qbo_faults.string_length("DocNumber", ctx.config.max_doc_number_len, len(doc))
    if ctx.config.custom_txn_numbers and "allowduplicatedocnum" not in include.lower():
        for other in invoices.values():
            if other["Id"] != self_id and other.get("DocNumber") == doc:
                raise qbo_faults.duplicate_doc_number(doc, other["Id"])
    return doc


def build_invoice(
    ctx: Context, fields: dict, self_id: str | None, include: str, entity: str = "Invoice"
) -> dict:
    """Validate an invoice and compute what QBO adds (totals, tax, line ids, subtotal line);
    also the sales form of a CreditMemo or RefundReceipt (``entity``)."""
    customer_id = ref_id(fields.get("CustomerRef"))
    if customer_id is None:
        raise qbo_faults.required("CustomerRef")
    customer = find(ctx, "Customer", customer_id, kind="Names")
    lines, subtotal, per_code = _lines(ctx, fields.get("Line"))
    doc_number = _doc_number(ctx, fields, self_id, include, entity)
    txn_date = date_field(fields.get("TxnDate"), "TxnDate") or ctx.today
    due_date = (
        date_field(fields.get("DueDate"), "DueDate")
        or (
            date.fromisoformat(txn_date) + timedelta(days=ctx.config.default_terms_days)
        ).isoformat()
    )
    currency = _currency(ctx, fields, customer)
    tax_detail = qbo_tax.txn_tax_detail(ctx, fields.get("TxnTaxDetail"), per_code)
    tax = tax_detail["TotalTax"]
    deposit = money(fields.get("Deposit", 0), "Deposit")
    total = subtotal + tax
    calculation = qbo_tax.global_tax_calculation(ctx, fields.get("GlobalTaxCalculation"))
    invoice = {
        "AllowIPNPayment": False,
        "AllowOnlinePayment": False,
        "AllowOnlineCreditCardPayment": False,
        "AllowOnlineACHPayment": False,
        "ApplyTaxAfterDiscount": False,
        "PrintStatus": "NotSet",
        "EmailStatus": "NotSet",
        "LinkedTxn": [],
        "CustomField": [],
        **{k: customer[k] for k in ("BillAddr", "ShipAddr") if k in customer},
        **fields,
        "CustomerRef": {"value": customer["Id"], "name": customer["DisplayName"]},
        "DocNumber": doc_number,
        "TxnDate": txn_date,
        "DueDate": due_date,
        "CurrencyRef": currency_ref(currency),
        "Line": lines,
        "TxnTaxDetail": tax_detail,
        "Deposit": deposit,
        "TotalAmt": total,
        "Balance": total - deposit,
        "GlobalTaxCalculation": calculation,
    }
    if calculation is None:
        del invoice["GlobalTaxCalculation"]
    if not ctx.config.multicurrency:
        invoice.pop("ExchangeRate", None)
    else:
        rate = money(fields.get("ExchangeRate", 1), "ExchangeRate")
        invoice["HomeTotalAmt"], invoice["HomeBalance"] = (
            cents(total * rate),
            cents((total - deposit) * rate),
        )
    return invoice


def _currency(ctx: Context, fields: dict, customer: dict) -> str:
    """The invoice's currency: the one sent, else the customer's; the two must agree."""
    own = ref_id(customer.get("CurrencyRef")) or ctx.config.home_currency
    currency = ref_id(fields.get("CurrencyRef")) or own
    check_currency(ctx, currency)
    if currency != own:  # a customer trades in one currency [unverified wording]
        raise qbo_faults.business_error(
            f"The transaction currency {currency} does not match the currency {own} of "
            f"customer {customer['DisplayName']}."
        )
    return currency


def void(invoice: dict[str, Any]) -> None:
    """Void in place (Id and number stay): "all amounts and quantities are zeroed and the
    string, Voided, is injected into Invoice.PrivateNote, prepended to existing text if present"
    (the separator before the existing text is [unverified])."""
    zero = Decimal("0")
    for line in invoice["Line"]:
        line["Amount"] = zero
        if "Qty" in line.get("SalesItemLineDetail", {}):
            line["SalesItemLineDetail"]["Qty"] = zero
    invoice["TxnTaxDetail"].update(TotalTax=zero, TaxLine=[])
    invoice["TotalAmt"] = invoice["Balance"] = zero
    for key in ("HomeTotalAmt", "HomeBalance"):
        if key in invoice:
            invoice[key] = zero
    note = invoice.get("PrivateNote") or ""
    if not note.startswith("Voided"):  # voiding again adds nothing [unverified]
        invoice["PrivateNote"] = f"Voided - {note}" if note else "Voided"
