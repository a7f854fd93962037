"""Payments, credit memos and refund receipts in the fake QBO (ledger_sync.md §1.1-1.3).

The fake computes every amount itself from what is stored, never from what a client sends:
a Payment's ``UnappliedAmt``, an Invoice's ``Balance`` (total - deposit - what payment lines
apply to it) and ``LinkedTxn``, a CreditMemo's ``RemainingCredit``/``Balance``. Applying a credit
memo is a Payment with ``TotalAmt`` 0, one line linking the Invoice and one the CreditMemo (§1.2).
Every change to what links a document bumps that document's SyncToken and LastUpdatedTime
(§1.1, observed) and queues a webhook event.

Refusals where the references leave QBO's answer open take the safer reading (6000, a business
validation error): a line applying more than a document's open balance or remaining credit, a
payment whose ``TotalAmt`` is below what its lines apply (QBO does accept a TotalAmt above it:
the excess is ``UnappliedAmt``), a link to another customer's document or in another currency.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from tests.fakes import qbo_faults, qbo_invoice, qbo_webhooks
from tests.fakes.qbo_common import Context, check_currency, find, money, ref_id
from tests.fakes.qbo_seed import currency_ref

LINKABLE = ("Invoice", "CreditMemo")
ZERO = Decimal("0")
READ_ONLY = {
    "Payment": {"UnappliedAmt"},
    "CreditMemo": {*qbo_invoice.READ_ONLY, "RemainingCredit"},
    "RefundReceipt": set(qbo_invoice.READ_ONLY),
}
_INVOICE_ONLY = ("DueDate", "Deposit", "AllowIPNPayment", "AllowOnlinePayment",
                 "AllowOnlineCreditCardPayment", "AllowOnlineACHPayment")  # fmt: skip
REFUND_ACCOUNT_TYPES = ("Bank", "Other Current Asset")


def links(payment: dict[str, Any]) -> list[tuple[str, str, Decimal]]:
    """``(TxnType, TxnId, Amount)`` for each line of a stored payment."""
    found = []
    for line in payment.get("Line", []):
        for txn in line.get("LinkedTxn", []):
            found.append((txn["TxnType"], txn["TxnId"], Decimal(str(line["Amount"]))))
    return found


def applied(ctx: Context, entity: str, doc_id: str, skip: str | None = None) -> Decimal:
    """What the stored payments (but ``skip``) apply to one Invoice or CreditMemo."""
    return sum(
        (
            amount
            for pid, payment in ctx.realm.entities["Payment"].items()
            if pid != skip
            for kind, txn_id, amount in links(payment)
            if (kind, txn_id) == (entity, doc_id)
        ),
        ZERO,
    )


def open_amount(ctx: Context, entity: str, doc: dict[str, Any], skip: str | None = None) -> Decimal:
    """An invoice's open balance, or a credit memo's remaining credit, before payment ``skip``."""
    base = doc["TotalAmt"] - Decimal(str(doc.get("Deposit", 0)))
    return base - applied(ctx, entity, doc["Id"], skip)


def _line(ctx: Context, line: Any, customer: dict, currency: str, self_id: str | None,
          used: dict) -> tuple[str, dict]:  # fmt: skip
    if not isinstance(line, dict) or "Amount" not in line:
        raise qbo_faults.required("Amount")
    amount = money(line["Amount"], "Amount")
    if amount < 0:
        raise qbo_faults.invalid_property(
            "Property Name:Amount specified is unsupported or invalid"
        )
    txns = [t for t in line.get("LinkedTxn") or [] if isinstance(t, dict)]
    if len(txns) != 1:  # one document per line, as every documented sample has
        raise qbo_faults.required("LinkedTxn")
    kind, txn_id = str(txns[0].get("TxnType", "")), str(txns[0].get("TxnId", ""))
    if kind not in LINKABLE:
        raise qbo_faults.invalid_property(
            f"Property Name:TxnType {kind} is not supported by the fake QuickBooks server"
        )
    doc = ctx.realm.entities[kind].get(txn_id)
    if doc is None:
        raise qbo_faults.bad_reference(kind, txn_id)
    if doc["CustomerRef"]["value"] != customer["Id"]:
        raise qbo_faults.business_error(f"{kind} {txn_id} belongs to another customer.")
    if doc["CurrencyRef"]["value"] != currency:
        raise qbo_faults.business_error(f"{kind} {txn_id} is not in {currency}.")
    before = open_amount(ctx, kind, doc, self_id) - used.get((kind, txn_id), ZERO)
    if amount > before:
        what = "open balance" if kind == "Invoice" else "remaining credit"
        raise qbo_faults.business_error(
            f"The amount applied to {kind} {txn_id} ({amount:.2f}) exceeds its {what} "
            f"({before:.2f})."
        )
    used[(kind, txn_id)] = used.get((kind, txn_id), ZERO) + amount
    extra = [("txnId", txn_id), ("txnOpenBalance", f"{before:.2f}"),
             ("txnReferenceNumber", doc.get("DocNumber", ""))]  # fmt: skip
    line_ex = {"any": [_name_value(n, v) for n, v in extra]}
    shown = {"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": kind}], "LineEx": line_ex}
    return kind, shown


def _name_value(name: str, value: str) -> dict[str, Any]:
    return {
        "name": "{http://schema.intuit.com/finance/v3}NameValue",
        "declaredType": "com.intuit.schema.finance.v3.NameValue",
        "scope": "javax.xml.bind.JAXBElement$GlobalScope",
        "value": {"Name": name, "Value": value},
        "nil": False,
        "globalScope": True,
        "typeSubstituted": False,
    }


def build_payment(ctx: Context, fields: dict, self_id: str | None, include: str) -> dict:
    """Validate a payment and compute ``UnappliedAmt`` from its lines."""
    customer = find(ctx, "Customer", ref_id(fields.get("CustomerRef")), kind="Names")
    if "TotalAmt" not in fields:
        raise qbo_faults.required("TotalAmt")
    total = money(fields["TotalAmt"], "TotalAmt")
    if total < 0:
        raise qbo_faults.invalid_property(
            "Property Name:TotalAmt specified is unsupported or invalid"
        )
    currency = ref_id(fields.get("CurrencyRef")) or ref_id(customer.get("CurrencyRef"))
    currency = currency or ctx.config.home_currency
    check_currency(ctx, currency)
    lines, used, net = [], {}, ZERO
    for raw in fields.get("Line") or []:
        kind, line = _line(ctx, raw, customer, currency, self_id, used)
        net += line["Amount"] if kind == "Invoice" else -line["Amount"]
        lines.append(line)
    if net < 0:
        raise qbo_faults.business_error("More credit is applied than invoices receive.")
    if total < net:
        raise qbo_faults.business_error(
            f"The payment amount ({total:.2f}) is less than the amount applied ({net:.2f})."
        )
    if ref_id(fields.get("DepositToAccountRef")):
        find(ctx, "Account", ref_id(fields["DepositToAccountRef"]), kind="Accounts")
    return {
        "ProcessPayment": False,
        **fields,
        "CustomerRef": {"value": customer["Id"], "name": customer["DisplayName"]},
        "CurrencyRef": currency_ref(currency),
        "TxnDate": qbo_invoice.date_field(fields.get("TxnDate"), "TxnDate") or ctx.today,
        "TotalAmt": total,
        "UnappliedAmt": total - net,
        "Line": lines,
    }


def build_credit_memo(ctx: Context, fields: dict, self_id: str | None, include: str) -> dict:
    """A credit memo: lines, tax and totals as an invoice's; ``RemainingCredit`` = total - what
    payments apply of it (a new total below that is refused, (inferred))."""
    if ref_id(fields.get("InvoiceRef")):
        find(ctx, "Invoice", ref_id(fields["InvoiceRef"]), kind="Invoice")
    memo = qbo_invoice.build_invoice(ctx, fields, self_id, include, entity="CreditMemo")
    for key in _INVOICE_ONLY:
        memo.pop(key, None)
    used = applied(ctx, "CreditMemo", self_id) if self_id else ZERO
    if memo["TotalAmt"] < used:
        raise qbo_faults.business_error(
            f"The credit memo total ({memo['TotalAmt']}) is below the credit applied ({used})."
        )
    memo["Balance"] = memo["RemainingCredit"] = memo["TotalAmt"] - used
    existing = ctx.realm.entities["CreditMemo"].get(self_id or "", {})
    memo["LinkedTxn"] = copy.deepcopy(existing.get("LinkedTxn", []))  # only payments link it
    return memo


def build_refund_receipt(ctx: Context, fields: dict, self_id: str | None, include: str) -> dict:
    """A refund paid from a bank or other-current-asset account (``DepositToAccountRef``);
    ``PaymentRefNum`` is required when it is a bank account. QBO makes CustomerRef optional;
    the fake requires it (every refund here is to a customer)."""
    account = find(ctx, "Account", ref_id(fields.get("DepositToAccountRef")), kind="Accounts")
    if account["AccountType"] not in REFUND_ACCOUNT_TYPES:
        raise qbo_faults.business_error(
            f"Account {account['Name']} is not a Bank or Other Current Asset account."
        )
    if account["AccountType"] == "Bank" and not fields.get("PaymentRefNum"):
        raise qbo_faults.required("PaymentRefNum")
    receipt = qbo_invoice.build_invoice(ctx, fields, self_id, include, entity="RefundReceipt")
    for key in _INVOICE_ONLY:
        receipt.pop(key, None)
    receipt["DepositToAccountRef"] = {"value": account["Id"], "name": account["Name"]}
    receipt["Balance"] = ZERO  # paid out when recorded (inferred)
    return receipt


def customer_credit(ctx: Context, customer_id: str) -> Decimal:
    """What a customer has in credit: open credit memos plus unapplied payments (QBO shows a
    customer's Balance net of it, (inferred))."""
    memos = sum(
        (m["RemainingCredit"] for m in ctx.realm.entities["CreditMemo"].values()
         if m["CustomerRef"]["value"] == customer_id),
        ZERO,
    )  # fmt: skip
    unapplied = sum(
        (p["UnappliedAmt"] for p in ctx.realm.entities["Payment"].values()
         if p["CustomerRef"]["value"] == customer_id),
        ZERO,
    )  # fmt: skip
    return memos + unapplied


def refresh(ctx: Context, entity: str, doc_id: str) -> None:
    """Recompute an Invoice's Balance or a CreditMemo's RemainingCredit and the payments in its
    LinkedTxn; when anything moved, bump its SyncToken and LastUpdatedTime."""
    doc = ctx.realm.entities[entity].get(doc_id)
    if doc is None:
        return
    left = max(open_amount(ctx, entity, doc), ZERO)
    paying = [pid for pid, p in ctx.realm.entities["Payment"].items()
              if any((k, t) == (entity, doc_id) for k, t, _ in links(p))]  # fmt: skip
    others = [t for t in doc.get("LinkedTxn") or [] if t.get("TxnType") != "Payment"]
    new_links = others + [{"TxnId": pid, "TxnType": "Payment"} for pid in paying]
    if left == doc["Balance"] and new_links == doc.get("LinkedTxn", []):
        return
    doc["Balance"], doc["LinkedTxn"] = left, new_links
    if entity == "CreditMemo":
        doc["RemainingCredit"] = left
    if "HomeBalance" in doc:
        doc["HomeBalance"] = (left * Decimal(str(doc.get("ExchangeRate", 1)))).quantize(
            Decimal("0.01")
        )
    doc["SyncToken"] = str(int(doc["SyncToken"]) + 1)
    doc["MetaData"]["LastUpdatedTime"] = ctx.stamp
    qbo_webhooks.record(ctx, entity, doc_id, "updated")


def refresh_links(ctx: Context, *payments: dict[str, Any] | None) -> None:
    """Refresh every document the given versions of a payment link."""
    docs = {(kind, txn_id) for p in payments if p for kind, txn_id, _ in links(p)}
    for kind, txn_id in sorted(docs):
        refresh(ctx, kind, txn_id)


def delete_or_void(ctx: Context, entity: str, body: dict, operation: str) -> dict[str, Any]:
    """Delete a Payment, CreditMemo or RefundReceipt, or void a Payment (``{"Id","SyncToken"}``).
    A credit memo a payment applies cannot be deleted (like an invoice, (inferred))."""
    if operation == "void" and entity != "Payment":
        raise qbo_faults.unsupported("Operation Void is not supported.")
    existing = ctx.realm.entities[entity].get(str(body.get("Id", "")))
    if existing is None:
        raise qbo_faults.not_found()
    if body.get("SyncToken") in (None, ""):
        raise qbo_faults.required("SyncToken")
    if str(body["SyncToken"]) != existing["SyncToken"]:
        raise qbo_faults.stale_object()
    if entity == "CreditMemo" and applied(ctx, entity, existing["Id"]):
        linked = [t["TxnId"] for t in existing["LinkedTxn"] if t["TxnType"] == "Payment"]
        raise qbo_faults.business_error(
            f"CreditMemo {existing['Id']} cannot be deleted because it is linked to a payment "
            f"(Payment Id {', '.join(linked)}). Delete or void the payment first."
        )
    before = copy.deepcopy(existing)
    if operation == "delete":
        del ctx.realm.entities[entity][existing["Id"]]
        qbo_webhooks.record_deleted(ctx, entity, existing["Id"])
        refresh_links(ctx, before)
        return {entity: {"status": "Deleted", "domain": "QBO", "Id": existing["Id"]}}
    note = existing.get("PrivateNote") or ""
    if not note.startswith("Voided"):
        existing["PrivateNote"] = f"Voided - {note}" if note else "Voided"
    existing.update(TotalAmt=ZERO, UnappliedAmt=ZERO, Line=[])
    existing["SyncToken"] = str(int(existing["SyncToken"]) + 1)
    existing["MetaData"]["LastUpdatedTime"] = ctx.stamp
    qbo_webhooks.record(ctx, entity, existing["Id"], "voided")
    refresh_links(ctx, before)
    return {entity: copy.deepcopy(existing)}
