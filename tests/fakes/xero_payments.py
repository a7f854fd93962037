"""Payments in the fake Xero (``/Payments``, ledger_sync.md §2.1) and what they do to documents.

One payment pays one document: an invoice (``ACCRECPAYMENT``/``ACCPAYPAYMENT``) or a credit note
(a refund, ``ARCREDITPAYMENT``/``APCREDITPAYMENT``), into a bank account. The fake computes the
document's ``AmountPaid``, ``AmountDue`` (invoice) or ``RemainingCredit`` (credit note) and its
status (PAID with ``FullyPaidOnDate`` once nothing is left) itself. Payments cannot be edited,
only deleted (``Status: DELETED``), which gives the amount back to the document.

Refusals: "Payment amount exceeds the amount outstanding on this document" [spec: the only
payment message in the spec] and "Payments can only be made against Authorised documents."
([obs] quoted by an integrator's support page). The other wordings are the fake's [unverified].
"""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from typing import Any

from tests.fakes.xero_batch import Outcome, Staging
from tests.fakes.xero_format import (
    ZERO_UUID,
    errors_list,
    money,
    ms_date,
    new_id,
    parse_date,
    to_decimal,
    utc_string,
)
from tests.fakes.xero_seed import Tenant

EXCEEDS = "Payment amount exceeds the amount outstanding on this document"
NOT_AUTHORISED = "Payments can only be made against Authorised documents."
# [unverified] wordings below; the refusals themselves follow the spec's descriptions.
NO_DOCUMENT = "You must specify an Invoice or a CreditNote for the payment."
NO_ACCOUNT = "Account could not be found"
BAD_ACCOUNT = "Account type is invalid for making a payment to/from"
NOT_POSITIVE = "Payment amount must be greater than zero"
ALREADY_DELETED = "This payment has already been deleted."
PAYMENT_TYPES = {
    "ACCREC": "ACCRECPAYMENT",
    "ACCPAY": "ACCPAYPAYMENT",
    "ACCRECCREDIT": "ARCREDITPAYMENT",
    "ACCPAYCREDIT": "APCREDITPAYMENT",
}
_ZERO = Decimal("0.00")


class PaymentRefused(ValueError):
    """Xero would refuse this payment; the message is Xero's."""


def settle_invoice(inv: dict, now: datetime, on=None) -> None:
    """Recompute an invoice's ``AmountDue`` and PAID state after money moved (``on``: the day)."""
    inv["AmountDue"] = inv["Total"] - inv["AmountPaid"] - inv["AmountCredited"]
    if inv["Status"] == "AUTHORISED" and inv["AmountDue"] <= 0:
        inv["Status"], inv["FullyPaidOnDate"] = "PAID", on or now.date()
    elif inv["Status"] == "PAID" and inv["AmountDue"] > 0:
        inv["Status"] = "AUTHORISED"
        inv.pop("FullyPaidOnDate", None)
    inv["UpdatedDateUTC"] = now


def settle_credit_note(note: dict, now: datetime, on=None) -> None:
    """Recompute a credit note's ``RemainingCredit`` and PAID state after money moved."""
    used = sum((a["Amount"] for a in note["Allocations"]), _ZERO)
    note["RemainingCredit"] = note["Total"] - used - note["AmountPaid"]
    if note["Status"] == "AUTHORISED" and note["RemainingCredit"] <= 0:
        note["Status"], note["FullyPaidOnDate"] = "PAID", on or now.date()
    elif note["Status"] == "PAID" and note["RemainingCredit"] > 0:
        note["Status"] = "AUTHORISED"
        note.pop("FullyPaidOnDate", None)
    note["UpdatedDateUTC"] = now


def find_document(staging: Staging, given: dict) -> tuple[str, dict | None, str | None]:
    """(kind, document, error) for the payment's ``Invoice`` or ``CreditNote`` reference."""
    for kind, key, number_key, docs in (
        ("Invoice", "InvoiceID", "InvoiceNumber", staging.all_invoices()),
        ("CreditNote", "CreditNoteID", "CreditNoteNumber", staging.all_credit_notes()),
    ):
        ref = given.get(kind)
        if not isinstance(ref, dict):
            continue
        wanted = str(ref.get(key) or "").lower()
        number = ref.get(number_key) or given.get(number_key)
        found = docs.get(wanted) if wanted and wanted != ZERO_UUID else None
        if found is None and number:
            found = next((d for d in docs.values() if d[number_key] == number), None)
        if found is None:
            return kind, None, f"{kind} could not be found"
        return kind, found, None
    return "", None, NO_DOCUMENT


def _account(tenant: Tenant, given: Any) -> tuple[dict | None, str | None]:
    given = given if isinstance(given, dict) else {}
    code, account_id = given.get("Code"), str(given.get("AccountID") or "").lower()
    found = next(
        (
            a
            for a in tenant.accounts
            if (code and a["Code"] == code) or a["AccountID"] == account_id
        ),
        None,
    )
    if found is None or found["Status"] != "ACTIVE":
        return None, NO_ACCOUNT
    if found["Type"] != "BANK" and not found.get("EnablePaymentsToAccount"):
        return None, BAD_ACCOUNT
    return found, None


def _outstanding(kind: str, doc: dict) -> Decimal:
    return doc["AmountDue"] if kind == "Invoice" else doc["RemainingCredit"]


def check(staging: Staging, data: dict) -> tuple[dict, list[str]]:
    """The payment ``data`` describes, and why Xero would refuse it (nothing when it would not)."""
    errors: list[str] = []
    kind, doc, missing = find_document(staging, data)
    if missing:
        errors.append(missing)
    account, bad_account = _account(staging.tenant, data.get("Account"))
    if bad_account:
        errors.append(bad_account)
    amount = None
    try:
        amount = money(to_decimal(data.get("Amount")))
    except ValueError:
        errors.append(f"Amount '{data.get('Amount')}' is not a valid number.")
    if amount is not None and amount <= 0:
        errors.append(NOT_POSITIVE)
    day = None
    try:
        day = parse_date(data.get("Date"))
    except ValueError:
        # [unverified] Xero may default the date; the fake insists, the safer reading.
        errors.append("A valid Date is required for the payment.")
    if doc is not None and doc["Status"] != "AUTHORISED":
        errors.append(NOT_AUTHORISED)
    elif doc is not None and amount is not None and amount > _outstanding(kind, doc):
        errors.append(EXCEEDS)
    payment = {
        "PaymentID": new_id(),
        "Date": day,
        "Amount": amount,
        "Reference": str(data.get("Reference") or ""),
        "CurrencyRate": (doc or {}).get("CurrencyRate", Decimal("1.000000")),
        "PaymentType": PAYMENT_TYPES.get((doc or {}).get("Type", ""), "ACCRECPAYMENT"),
        "Status": "AUTHORISED",
        "IsReconciled": False,
        "Kind": kind,
        "DocumentID": (doc or {}).get(f"{kind}ID"),
        "AccountCode": (account or {}).get("Code"),
    }
    return payment, errors


def stage_payment(staging: Staging, payment: dict, now: datetime) -> tuple[str, dict]:
    """Record a checked payment: its document gains it. Returns (kind, updated document)."""
    payment["UpdatedDateUTC"] = now
    kind = payment["Kind"]
    docs = staging.all_invoices() if kind == "Invoice" else staging.all_credit_notes()
    doc = copy.deepcopy(docs[payment["DocumentID"]])
    slim = {
        "PaymentID": payment["PaymentID"],
        "Date": payment["Date"],
        "Amount": payment["Amount"],
        "Reference": payment["Reference"],
        "CurrencyRate": payment["CurrencyRate"],
        "HasAccount": False,
        "HasValidationErrors": False,
    }
    doc["Payments"] = [*doc.get("Payments", []), slim]
    doc["AmountPaid"] += payment["Amount"]
    if kind == "Invoice":
        settle_invoice(doc, now, payment["Date"])
        staging.invoices[doc["InvoiceID"]] = doc
    else:
        settle_credit_note(doc, now, payment["Date"])
        staging.credit_notes[doc["CreditNoteID"]] = doc
    staging.payments[payment["PaymentID"]] = payment
    return kind, doc


def write(staging: Staging, data: dict, now: datetime) -> Outcome:
    """One element of PUT /Payments (or the body of POST /Payments)."""
    payment, errors = check(staging, data)
    if errors:
        element = {k: data.get(k) for k in ("Invoice", "CreditNote", "Account", "Amount", "Date")}
        element = {k: v for k, v in element.items() if v is not None}
        element.update(
            PaymentID=ZERO_UUID,
            HasValidationErrors=True,
            StatusAttributeString="ERROR",
            ValidationErrors=errors_list(errors),
        )
        return Outcome(element, errors)
    return Outcome(payment, [], lambda: stage_payment(staging, payment, now))


def delete(staging: Staging, payment: dict, now: datetime) -> dict:
    """Delete a payment: Status DELETED, its amount goes back to the document."""
    if payment["Status"] == "DELETED":
        raise PaymentRefused(ALREADY_DELETED)
    payment = {**payment, "Status": "DELETED", "UpdatedDateUTC": now}
    kind = payment["Kind"]
    docs = staging.all_invoices() if kind == "Invoice" else staging.all_credit_notes()
    doc = copy.deepcopy(docs[payment["DocumentID"]])
    doc["Payments"] = [p for p in doc["Payments"] if p["PaymentID"] != payment["PaymentID"]]
    doc["AmountPaid"] -= payment["Amount"]
    if kind == "Invoice":
        settle_invoice(doc, now)
        staging.invoices[doc["InvoiceID"]] = doc
    else:
        settle_credit_note(doc, now)
        staging.credit_notes[doc["CreditNoteID"]] = doc
    staging.payments[payment["PaymentID"]] = payment
    return payment


def render(payment: dict, tenant: Tenant) -> dict[str, Any]:
    """The payment as the API returns it, with its account and a slim document."""
    account = tenant.account(payment["AccountCode"]) or {}
    result: dict[str, Any] = {
        "PaymentID": payment["PaymentID"],
        "Date": ms_date(payment["Date"]),
        "BankAmount": payment["Amount"],
        "Amount": payment["Amount"],
        "Reference": payment["Reference"],
        "CurrencyRate": payment["CurrencyRate"],
        "PaymentType": payment["PaymentType"],
        "Status": payment["Status"],
        "UpdatedDateUTC": ms_date(payment["UpdatedDateUTC"]),
        "HasAccount": True,
        "IsReconciled": payment["IsReconciled"],
        "Account": {k: account.get(k) for k in ("AccountID", "Code", "Name")},
        "HasValidationErrors": False,
    }
    if payment["Kind"] == "Invoice":
        doc = tenant.invoices[payment["DocumentID"]]
        result["Invoice"] = _slim(doc, "InvoiceID", "InvoiceNumber", tenant)
        result["Invoice"].update(AmountDue=doc["AmountDue"], AmountPaid=doc["AmountPaid"])
    else:
        doc = tenant.credit_notes[payment["DocumentID"]]
        result["CreditNote"] = _slim(doc, "CreditNoteID", "CreditNoteNumber", tenant)
        result["CreditNote"]["RemainingCredit"] = doc["RemainingCredit"]
    return result


def _slim(doc: dict, key: str, number: str, tenant: Tenant) -> dict[str, Any]:
    contact = tenant.contacts.get(doc["Contact"]["ContactID"], {})
    return {
        "Type": doc["Type"],
        key: doc[key],
        number: doc[number],
        "Contact": {"ContactID": contact.get("ContactID"), "Name": contact.get("Name")},
        "Status": doc["Status"],
        "Total": doc["Total"],
        "CurrencyCode": doc["CurrencyCode"],
        "UpdatedDateUTCString": utc_string(doc["UpdatedDateUTC"]),
    }


def apply_payment(tenant: Tenant, invoice_id: str, amount: Any, now: datetime, **extra) -> dict:
    """A Xero user pays ``amount`` against an invoice (its id or number) into account 090
    (``extra``: ``date``, ``reference``, ``account``); returns the stored invoice.

    KeyError for an unknown invoice, ``PaymentRefused`` where Xero would refuse the payment.
    """
    staging = Staging(tenant)
    kind, doc, missing = find_document(
        staging, {"Invoice": {"InvoiceID": invoice_id, "InvoiceNumber": invoice_id}}
    )
    if missing:
        raise KeyError(f"no invoice {invoice_id}")
    data = {
        "Invoice": {"InvoiceID": doc["InvoiceID"]},
        "Account": {"Code": extra.get("account") or "090"},
        "Date": str(extra.get("date") or now.date().isoformat()),
        "Amount": amount,
        "Reference": extra.get("reference") or "",
    }
    payment, errors = check(staging, data)
    if errors:
        raise PaymentRefused(errors[0])
    stage_payment(staging, payment, now)
    staging.commit()
    return tenant.invoices[doc["InvoiceID"]]
