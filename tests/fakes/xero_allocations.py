"""Credit note allocations in the fake Xero (``PUT /CreditNotes/{id}/Allocations``, ``DELETE
/CreditNotes/{id}/Allocations/{AllocationID}``; ledger_sync.md §2.2).

An allocation moves credit from an AUTHORISED credit note to an AUTHORISED invoice of the same
contact and currency: the note's ``RemainingCredit`` goes down (PAID at zero), the invoice's
``AmountCredited`` up and ``AmountDue`` down (PAID at zero), and the invoice lists the note under
``CreditNotes``. ``Amount``, ``Invoice`` and ``Date`` are required [spec: the only required list].

Refused (wordings [unverified], the refusals are the safer reading of the spec): more than the
note's remaining credit, more than the invoice's amount due, a note or invoice not AUTHORISED, a
receivable note on a payable invoice, another contact or currency (inferred in the ref).
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from tests.fakes.xero_batch import Outcome, Staging
from tests.fakes.xero_format import errors_list, money, ms_date, new_id, parse_date, to_decimal
from tests.fakes.xero_payments import settle_credit_note, settle_invoice

OVER_CREDIT = "The amount to allocate exceeds the remaining credit on this credit note."
OVER_DUE = "The amount to allocate exceeds the amount due on this invoice."
NOTE_NOT_AUTHORISED = "Allocations can only be made from Authorised credit notes."
INVOICE_NOT_AUTHORISED = "Allocations can only be made against Authorised invoices."
OTHER_CONTACT = "The invoice and the credit note must be for the same contact."
OTHER_CURRENCY = "The invoice and the credit note must be in the same currency."
WRONG_TYPE = "A sales credit note can only be allocated to a sales invoice."
INVOICE_TYPE = {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}


def _checks(note: dict, invoice: dict | None, amount, errors: list[str]) -> None:
    if note["Status"] != "AUTHORISED":
        errors.append(NOTE_NOT_AUTHORISED)
    if invoice is None:
        return
    if invoice["Type"] != INVOICE_TYPE[note["Type"]]:
        errors.append(WRONG_TYPE)
    if invoice["Status"] != "AUTHORISED":
        errors.append(INVOICE_NOT_AUTHORISED)
    if invoice["Contact"]["ContactID"] != note["Contact"]["ContactID"]:
        errors.append(OTHER_CONTACT)
    if invoice["CurrencyCode"] != note["CurrencyCode"]:
        errors.append(OTHER_CURRENCY)
    if amount is None or errors:
        return
    if amount > note["RemainingCredit"]:
        errors.append(OVER_CREDIT)
    if amount > invoice["AmountDue"]:
        errors.append(OVER_DUE)


def write(staging: Staging, note_id: str, data: dict, now: datetime) -> Outcome:
    """One element of PUT /CreditNotes/{note_id}/Allocations."""
    errors: list[str] = []
    note = staging.all_credit_notes()[note_id]
    given = data.get("Invoice") if isinstance(data.get("Invoice"), dict) else {}
    invoice_id = str(given.get("InvoiceID") or "").lower()
    invoice = staging.all_invoices().get(invoice_id)
    if not invoice_id:
        errors.append("Invoice is required.")
    elif invoice is None:
        errors.append(f"Invoice with InvoiceID {invoice_id} could not be found.")
    amount = None
    try:
        amount = money(to_decimal(data.get("Amount")))
        if amount <= 0:
            errors.append("Amount must be greater than zero.")
            amount = None
    except ValueError:
        errors.append("Amount is required and must be a number.")
    day = None
    try:
        day = parse_date(data.get("Date"))
    except ValueError:
        errors.append("Date is required.")
    _checks(note, invoice, amount, errors)
    element: dict[str, Any] = {
        "Amount": amount if amount is not None else data.get("Amount"),
        "Date": ms_date(day) if day else data.get("Date"),
        "Invoice": {"InvoiceID": invoice_id},
        "CreditNote": {"CreditNoteID": note_id},
    }
    if errors:
        element.update(StatusAttributeString="ERROR", ValidationErrors=errors_list(errors))
        return Outcome(element, errors)

    def stage() -> None:
        allocate(staging, note_id, invoice_id, amount, day, now, element)

    element["ValidationErrors"] = []
    return Outcome(element, [], stage)


def allocate(staging: Staging, note_id: str, invoice_id: str, amount, day, now, element=None):
    """Move ``amount`` of a checked allocation from the credit note to the invoice."""
    note = copy.deepcopy(staging.all_credit_notes()[note_id])
    invoice = copy.deepcopy(staging.all_invoices()[invoice_id])
    allocation_id = new_id()
    note["Allocations"].append(
        {
            "AllocationID": allocation_id,
            "Amount": amount,
            "Date": day,
            "InvoiceID": invoice_id,
            "InvoiceNumber": invoice["InvoiceNumber"],
        }
    )
    settle_credit_note(note, now, day)
    invoice["AmountCredited"] += amount
    credits = [c for c in invoice.get("CreditNotes", []) if c["CreditNoteID"] != note_id]
    applied = sum(a["Amount"] for a in note["Allocations"] if a["InvoiceID"] == invoice_id)
    credits.append(_slim_note(note, applied))
    invoice["CreditNotes"] = credits
    settle_invoice(invoice, now, day)
    staging.credit_notes[note_id] = note
    staging.invoices[invoice_id] = invoice
    if element is not None:
        element["AllocationID"] = allocation_id
        element["Invoice"].update(
            InvoiceNumber=invoice["InvoiceNumber"],
            AmountDue=invoice["AmountDue"],
            AmountCredited=invoice["AmountCredited"],
            Status=invoice["Status"],
        )
        element["CreditNote"].update(
            CreditNoteNumber=note["CreditNoteNumber"],
            RemainingCredit=note["RemainingCredit"],
            Status=note["Status"],
        )


def _slim_note(note: dict, applied) -> dict[str, Any]:
    return {
        "CreditNoteID": note["CreditNoteID"],
        "CreditNoteNumber": note["CreditNoteNumber"],
        "AppliedAmount": applied,
        "Total": note["Total"],
        "Date": note["Date"],
    }


def delete(staging: Staging, note_id: str, allocation_id: str, now: datetime) -> dict | None:
    """Undo an allocation; the spec's odd answer body, or None if there is no such allocation."""
    note = copy.deepcopy(staging.all_credit_notes()[note_id])
    found = next((a for a in note["Allocations"] if a["AllocationID"] == allocation_id), None)
    if found is None:
        return None
    note["Allocations"].remove(found)
    invoice = copy.deepcopy(staging.all_invoices()[found["InvoiceID"]])
    invoice["AmountCredited"] -= found["Amount"]
    applied = sum(a["Amount"] for a in note["Allocations"] if a["InvoiceID"] == found["InvoiceID"])
    credits = [c for c in invoice.get("CreditNotes", []) if c["CreditNoteID"] != note_id]
    invoice["CreditNotes"] = credits + ([_slim_note(note, applied)] if applied else [])
    settle_credit_note(note, now)
    settle_invoice(invoice, now)
    staging.credit_notes[note_id] = note
    staging.invoices[invoice["InvoiceID"]] = invoice
    # [spec] example: "AllocationId" casing and an array-valued "Invoice".
    return {
        "AllocationId": allocation_id,
        "Date": ms_date(now),
        "Invoice": [{"InvoiceID": invoice["InvoiceID"]}],
        "IsDeleted": True,
    }
