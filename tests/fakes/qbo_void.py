"""Voiding and deleting invoices in the fake QBO, and payments a user records in QuickBooks.

API: ``POST …/invoice?operation=void`` and ``?operation=delete``
with ``{"Id", "SyncToken"}``, or batch items ``operation: "delete"`` and ``operation: "update"``
with ``optionsData: "void"``. Both need the current SyncToken (5010 otherwise). A voided invoice
keeps its Id and number with every amount zeroed (``qbo_invoice.void``); a deleted one is gone:
reads answer 610 and queries leave it out. An invoice a payment settles can be neither voided
nor deleted (``QboConfig.refuse_linked_void``, fault ``qbo_faults.linked_payment``).

Payments themselves: qbo_payments.py; a user's payment in QuickBooks: qbo_ledger.py.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from tests.fakes import qbo_faults, qbo_invoice, qbo_webhooks
from tests.fakes.qbo_common import Context, cents


def payment_ids(invoice: dict[str, Any]) -> list[str]:
    """The ids of the payments linked to ``invoice``."""
    return [
        str(txn.get("TxnId"))
        for txn in invoice.get("LinkedTxn") or []
        if isinstance(txn, dict) and txn.get("TxnType") == "Payment"
    ]


def paid(ctx: Context, invoice_id: str) -> Decimal:
    """What the stored payments apply to the invoice."""
    return sum(
        (
            Decimal(str(line["Amount"]))
            for payment in ctx.realm.entities["Payment"].values()
            for line in payment.get("Line", [])
            if {"TxnId": invoice_id, "TxnType": "Invoice"} in line.get("LinkedTxn", [])
        ),
        Decimal("0"),
    )


def keep_payments(ctx: Context, built: dict[str, Any], existing: dict[str, Any]) -> None:
    """An update of an invoice a payment settles keeps the payment: its link, and a Balance
    net of it (stopping at 0 when the new total is below what was paid, (inferred))."""
    links = [t for t in built.get("LinkedTxn") or [] if t.get("TxnType") != "Payment"]
    kept = [{"TxnId": i, "TxnType": "Payment"} for i in payment_ids(existing)]
    built["LinkedTxn"] = links + kept
    if kept:
        built["Balance"] = max(built["Balance"] - paid(ctx, existing["Id"]), Decimal("0"))
        _home_balance(built)


def _home_balance(invoice: dict[str, Any]) -> None:
    if "HomeBalance" in invoice:
        rate = Decimal(str(invoice.get("ExchangeRate", 1)))
        invoice["HomeBalance"] = cents(invoice["Balance"] * rate)


def _touch(ctx: Context, invoice: dict[str, Any]) -> None:
    invoice["SyncToken"] = str(int(invoice["SyncToken"]) + 1)
    invoice["MetaData"]["LastUpdatedTime"] = ctx.stamp


def delete_or_void(ctx: Context, entity: str, body: dict, operation: str) -> dict[str, Any]:
    """``operation`` (void or delete) on the invoice ``body`` names; the response object."""
    if entity != "Invoice":
        raise qbo_faults.unsupported(f"Operation {operation.capitalize()} is not supported.")
    existing = ctx.realm.entities[entity].get(str(body.get("Id", "")))
    if existing is None:
        raise qbo_faults.not_found()
    if body.get("SyncToken") in (None, ""):
        raise qbo_faults.required("SyncToken")
    if str(body["SyncToken"]) != existing["SyncToken"]:
        raise qbo_faults.stale_object()
    linked = payment_ids(existing)
    if linked and ctx.config.refuse_linked_void:
        code = ctx.config.linked_payment_code
        raise qbo_faults.linked_payment(code, operation, existing["Id"], linked)
    if operation == "delete":
        # The stub is Intuit's documented answer; the same shape for Payment [3p mirror].
        del ctx.realm.entities[entity][existing["Id"]]
        qbo_webhooks.record_deleted(ctx, entity, existing["Id"])
        return {entity: {"status": "Deleted", "domain": "QBO", "Id": existing["Id"]}}
    qbo_invoice.void(existing)
    existing["LinkedTxn"] = []  # the void response shows none [3p mirror]
    _touch(ctx, existing)
    qbo_webhooks.record(ctx, entity, existing["Id"], "voided")
    return {entity: copy.deepcopy(existing)}
