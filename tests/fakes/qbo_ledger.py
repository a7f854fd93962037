"""What a user does in QuickBooks itself (not over the API): the fake's ``/_fake/`` ledger
actions and their in-process shortcuts on ``FakeQuickBooks`` (``LedgerActions``).

Each action goes through the same code as the API (validation, computed balances, SyncToken,
CDC and webhook events) with the current SyncToken, so QBO's refusals apply: a payment-linked
invoice cannot be voided, a credit cannot exceed what is left, and so on.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tests.fakes import qbo_entities, qbo_faults, qbo_webhooks
from tests.fakes.qbo_common import Context, context, money
from tests.fakes.qbo_seed import system_fields
from tests.fakes.qbo_state import FakeStore

ACCOUNT_KINDS = {  # AccountType -> (AccountSubType, Classification)
    "Bank": ("Checking", "Asset"),
    "Other Current Asset": ("UndepositedFunds", "Asset"),
}


def in_ledger(store: FakeStore, realm_id: str | None, action: Callable[[Context], Any]) -> Any:
    """Run a user's action in QuickBooks on a realm (not an API call: no token, no limits)."""
    with store.lock:
        return action(context(store, realm_id or store.config.realm_id))


def _invoice(ctx: Context, invoice_id: str) -> dict[str, Any]:
    invoice = ctx.realm.entities["Invoice"].get(str(invoice_id))
    if invoice is None:
        raise qbo_faults.not_found()
    return invoice


def apply_payment(ctx: Context, invoice_id: str, amount: Any) -> dict[str, Any]:
    """A user receives ``amount`` against the invoice; returns the invoice.

    An overpayment is accepted (QBO does); the excess stays on the payment as ``UnappliedAmt``
    and the invoice's Balance stops at 0. ValueError for an amount that is not positive or an
    invoice with nothing left to pay.
    """
    invoice = _invoice(ctx, invoice_id)
    amount = money(amount, "Amount")
    if amount <= 0:
        raise ValueError("a payment amount must be positive")
    if invoice["Balance"] <= 0:
        raise ValueError(f"invoice {invoice['Id']} has no open balance")
    line = {
        "Amount": min(amount, invoice["Balance"]),
        "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
    }
    body = {"CustomerRef": invoice["CustomerRef"], "CurrencyRef": invoice["CurrencyRef"],
            "TotalAmt": amount, "Line": [line]}  # fmt: skip
    qbo_entities.save(ctx, "Payment", body)
    return qbo_entities.present(ctx, "Invoice", invoice)


def apply_credit(
    ctx: Context, credit_memo_id: str, invoice_id: str, amount: Any = None
) -> dict[str, Any]:
    """A user applies a credit memo to an invoice (a $0 Payment linking both); ``amount``
    defaults to as much as both allow. Returns the payment."""
    invoice = _invoice(ctx, invoice_id)
    memo = ctx.realm.entities["CreditMemo"].get(str(credit_memo_id))
    if memo is None:
        raise qbo_faults.not_found()
    if amount is None:
        amount = min(memo["RemainingCredit"], invoice["Balance"])
    amount = money(amount, "Amount")
    if amount <= 0:
        raise ValueError("nothing to apply")
    lines = [
        {"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]},
        {"Amount": amount, "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]},
    ]
    body = {"CustomerRef": invoice["CustomerRef"], "TotalAmt": Decimal("0"), "Line": lines}
    return qbo_entities.save(ctx, "Payment", body)["Payment"]


def remove(ctx: Context, entity: str, entity_id: str, operation: str) -> dict[str, Any]:
    """A user voids or deletes an Invoice, Payment, CreditMemo or RefundReceipt."""
    if entity not in ("Invoice", *qbo_entities.MONEY_DOCS):
        raise qbo_faults.unsupported(f"Operation {operation.capitalize()} is not supported.")
    existing = ctx.realm.entities[entity].get(str(entity_id))
    if existing is None:
        raise qbo_faults.not_found()
    body = {"Id": existing["Id"], "SyncToken": existing["SyncToken"]}
    return qbo_entities.save(ctx, entity, body, operation)[entity]


def add_account(ctx: Context, name: str, account_type: str) -> dict[str, Any]:
    """A user adds a Bank or Other Current Asset account (e.g. to refund from)."""
    if account_type not in ACCOUNT_KINDS or not name.strip():
        raise ValueError(f"account_type must be one of {', '.join(ACCOUNT_KINDS)}")
    sub_type, classification = ACCOUNT_KINDS[account_type]
    account_id = ctx.realm.new_id("Account")
    account = {
        "Name": name.strip(), "SubAccount": False, "FullyQualifiedName": name.strip(),
        "Active": True, "Classification": classification, "AccountType": account_type,
        "AccountSubType": sub_type, "CurrentBalance": Decimal("0"),
        "CurrentBalanceWithSubAccounts": Decimal("0"), **system_fields(account_id, ctx.stamp),
    }  # fmt: skip
    ctx.realm.entities["Account"][account_id] = account
    return dict(account)


class LedgerActions:
    """In-process shortcuts for the ``/_fake/`` ledger actions (mixed into FakeQuickBooks,
    which has ``store``). Each raises ``QboFault`` where QBO would refuse."""

    store: FakeStore

    def edit_in_ledger(
        self, entity: str, entity_id: str, realm_id: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Like ``POST /_fake/edit``: a user changes ``fields`` in QuickBooks (SyncToken + 1)."""
        return in_ledger(
            self.store, realm_id, lambda ctx: qbo_entities.edit(ctx, entity, entity_id, fields)
        )

    def add_name(self, kind: str, display_name: str, realm_id: str | None = None) -> dict:
        """Like ``POST /_fake/name``: a user adds a ``"Vendor"`` or ``"Employee"``."""
        return in_ledger(
            self.store, realm_id, lambda ctx: qbo_entities.add_name(ctx, kind, display_name)
        )

    def apply_payment(
        self, invoice_id: str, amount: Any, realm_id: str | None = None
    ) -> dict[str, Any]:
        """Like ``POST /_fake/payment``: a Payment of ``amount`` linked to the invoice, whose
        Balance drops, LinkedTxn gains the Payment and SyncToken goes up by one; returns the
        invoice. ``QboFault`` 610 for an unknown invoice, ValueError for an amount that is not
        positive or an invoice already paid."""
        return in_ledger(self.store, realm_id, lambda ctx: apply_payment(ctx, invoice_id, amount))

    def apply_credit(
        self, credit_memo_id: str, invoice_id: str, amount: Any = None, realm_id: str | None = None
    ) -> dict[str, Any]:
        """Like ``POST /_fake/credit``: the credit memo applied to the invoice ($0 Payment)."""
        return in_ledger(
            self.store, realm_id, lambda ctx: apply_credit(ctx, credit_memo_id, invoice_id, amount)
        )

    def void_in_ledger(self, entity: str, entity_id: str, realm_id: str | None = None) -> dict:
        """Like ``POST /_fake/void``: a user voids an Invoice or Payment."""
        return in_ledger(self.store, realm_id, lambda ctx: remove(ctx, entity, entity_id, "void"))

    def delete_in_ledger(self, entity: str, entity_id: str, realm_id: str | None = None) -> dict:
        """Like ``POST /_fake/delete``: a user deletes a transaction."""
        return in_ledger(self.store, realm_id, lambda ctx: remove(ctx, entity, entity_id, "delete"))

    def add_account(self, name: str, account_type: str = "Bank", realm_id: str | None = None):
        """Like ``POST /_fake/account``: a user adds a Bank or Other Current Asset account."""
        return in_ledger(self.store, realm_id, lambda ctx: add_account(ctx, name, account_type))

    def webhook_delivery(self, bad_signature: bool = False) -> tuple[bytes, dict[str, str]]:
        """The queued events as the body and headers QBO would POST (queue drained), for a
        test client to send; ``bad_signature`` forges the signature."""
        body, headers, _ = qbo_webhooks.take(self.store, bad_signature)
        return body, headers

    def send_webhook(self, url: str | None = None, bad_signature: bool = False) -> dict:
        """Like ``POST /_fake/webhook``: POST the queued events to ``url`` (default: the
        configured ``webhook_url``); ``{"status", "events"}``, requeued unless answered 200."""
        return qbo_webhooks.deliver(self.store, url, bad_signature)
