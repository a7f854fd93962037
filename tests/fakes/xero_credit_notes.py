"""Credit notes in the fake Xero (``/CreditNotes``, ledger_sync.md §2.2): create, update, status.

A credit note is built like an invoice (lines, tax, totals computed by the fake, never taken from
the client). ``RemainingCredit`` is ``Total`` less its allocations and refunds; PAID once nothing
remains. ACCRECCREDIT numbers come from the organisation's sequence (``CN-0001``) unless given,
and are unique. DELETED is for DRAFT/SUBMITTED notes, VOIDED for AUTHORISED ones with nothing
allocated or refunded; PAID, VOIDED and DELETED notes can no longer change.

Allocations live in ``xero_allocations``.
"""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from typing import Any

from tests.fakes import xero_contacts
from tests.fakes.xero_batch import Outcome, Staging
from tests.fakes.xero_format import ZERO_UUID, date_string, errors_list, ms_date, new_id, utc_string
from tests.fakes.xero_invoices import (
    ALLOCATED,
    AMOUNT_TYPES,
    CREATE_STATUSES,
    TRANSITIONS,
    _contact,
    _Context,
    _date,
)
from tests.fakes.xero_lines import apply_tax, build_line, render_line, totals
from tests.fakes.xero_payments import settle_credit_note

TYPES = {"ACCRECCREDIT", "ACCPAYCREDIT"}
# [unverified] wording: Xero answers NOT_VALID-style messages for credit notes as for invoices.
NOT_VALID = "Credit note not of valid status for modification"


def _match(ctx: _Context, data: dict, path_id: str | None) -> dict | None:
    notes = ctx.staging.all_credit_notes()
    wanted = str(path_id or data.get("CreditNoteID") or "").lower()
    if wanted and wanted != ZERO_UUID:
        found = notes.get(wanted) or next(
            (n for n in notes.values() if n["CreditNoteNumber"] == path_id), None
        )
        if found is None:
            ctx.errors.append(f"Credit Note with CreditNoteID {wanted} could not be found.")
        return found
    number = data.get("CreditNoteNumber")
    if number and data.get("Type", "ACCRECCREDIT") == "ACCRECCREDIT":
        return _by_number(notes, str(number).strip())
    return None


def _by_number(notes: dict[str, dict], number: str, exclude: str | None = None) -> dict | None:
    return next(
        (
            n
            for n in notes.values()
            if n["Type"] == "ACCRECCREDIT"
            and n["CreditNoteNumber"] == number
            and n["CreditNoteID"] != exclude
        ),
        None,
    )


def _used(note: dict) -> bool:
    return bool(note.get("Allocations") or note.get("AmountPaid"))


def _status(ctx: _Context, note: dict, data: dict, existing: dict | None) -> None:
    wanted = str(data.get("Status") or note.get("Status") or "DRAFT")
    if existing is None:
        if wanted not in CREATE_STATUSES:
            ctx.errors.append(f"Credit Note Status '{wanted}' is not valid for a new credit note.")
    else:
        old = existing["Status"]
        if old not in TRANSITIONS or wanted not in TRANSITIONS[old]:
            ctx.errors.append(NOT_VALID)
        elif wanted == "VOIDED" and _used(existing):
            ctx.errors.extend([NOT_VALID, ALLOCATED])
    note["Status"] = wanted


def _number(ctx: _Context, note: dict, data: dict) -> None:
    if data.get("CreditNoteNumber") not in (None, ""):
        note["CreditNoteNumber"] = str(data["CreditNoteNumber"]).strip()
    if note["Type"] != "ACCRECCREDIT":
        note.setdefault("CreditNoteNumber", "")
        return
    notes = ctx.staging.all_credit_notes()
    if not note.get("CreditNoteNumber"):
        while True:
            ctx.staging.credit_note_seq += 1
            candidate = f"CN-{ctx.staging.credit_note_seq:04d}"
            if _by_number(notes, candidate) is None:
                note["CreditNoteNumber"] = candidate
                break
    elif len(note["CreditNoteNumber"]) > 255:
        ctx.errors.append("Credit Note # must be 255 characters or less.")
    elif _by_number(notes, note["CreditNoteNumber"], exclude=note["CreditNoteID"]):
        ctx.errors.append("Credit Note # must be unique.")


def _header(ctx: _Context, note: dict, data: dict, existing: dict | None) -> None:
    kind = str(data.get("Type") or note.get("Type") or "")
    if kind not in TYPES:
        ctx.errors.append(
            f"Credit Note Type '{kind}' is not valid." if kind else "Type is required."
        )
    note["Type"] = kind
    if "Contact" in data or not existing:
        note["Contact"] = {"ContactID": _contact(ctx, data.get("Contact"))}
    note["Date"] = _date(ctx, data, "Date", note.get("Date")) or ctx.now.date()
    amounts = str(data.get("LineAmountTypes") or note.get("LineAmountTypes") or "Exclusive")
    if amounts.lower() not in AMOUNT_TYPES:
        ctx.errors.append(f"LineAmountTypes '{amounts}' is not valid.")
    note["LineAmountTypes"] = AMOUNT_TYPES.get(amounts.lower(), "Exclusive")
    tenant = ctx.staging.tenant
    currency = str(data.get("CurrencyCode") or note.get("CurrencyCode") or tenant.base_currency)
    if currency not in {c["Code"] for c in tenant.currencies}:
        ctx.errors.append(f"Organisation is not subscribed to currency {currency}")
    note["CurrencyCode"] = currency
    for key in ("Reference", "SentToContact", "BrandingThemeID"):
        if key in data:
            note[key] = data[key]
    _status(ctx, note, data, existing)
    _number(ctx, note, data)


def _lines(ctx: _Context, note: dict, data: dict, existing: dict | None) -> None:
    given = data.get("LineItems")
    if isinstance(given, list) and existing and _used(existing) and ALLOCATED not in ctx.errors:
        ctx.errors.append(ALLOCATED)
    if isinstance(given, list):
        previous = {x["LineItemID"]: x for x in (existing or {}).get("LineItems", [])}
        context = {
            "type": note["Type"],
            "status": note["Status"],
            "amounts": note["LineAmountTypes"],
            "unitdp": ctx.unitdp,
        }
        lines = []
        for raw in given:
            raw = raw if isinstance(raw, dict) else {}
            before = previous.get(str(raw.get("LineItemID") or "").lower())
            items = ctx.staging.all_items()
            line, errors = build_line(ctx.staging.tenant, items, raw, before, context)
            lines.append(line)
            ctx.errors.extend(e for e in errors if e not in ctx.errors)
        note["LineItems"] = lines
    elif given is not None:
        ctx.errors.append("LineItems must be a list.")
    if note["Status"] in {"SUBMITTED", "AUTHORISED"} and not note["LineItems"]:
        ctx.errors.append("A credit note must contain at least one line item.")
    apply_tax(
        ctx.staging.tenant, note["LineItems"], note["LineAmountTypes"], ctx.config.tax_rounding
    )
    note.update(totals(note["LineItems"], note["LineAmountTypes"]))
    if note["Status"] in {"VOIDED", "DELETED"}:
        note["RemainingCredit"] = Decimal("0.00")
    else:
        settle_credit_note(note, ctx.now)


def _skeleton(now: datetime) -> dict[str, Any]:
    return {
        "CreditNoteID": new_id(),
        "Reference": "",
        "AmountPaid": Decimal("0.00"),
        "CurrencyRate": Decimal("1.000000"),
        "SentToContact": False,
        "HasAttachments": False,
        "LineItems": [],
        "Allocations": [],
        "Payments": [],
        "CreatedDateUTC": now,
    }


def write(staging: Staging, data: dict, *, upsert: bool, config, now, unitdp: int, path_id=None):
    """One element of PUT (create) or POST (create or update) /CreditNotes."""
    ctx = _Context(staging, config, now, unitdp)
    existing = _match(ctx, data, path_id) if upsert else None
    note = copy.deepcopy(existing) if existing else _skeleton(now)
    if existing and existing["Status"] in {"PAID", "VOIDED", "DELETED"}:
        ctx.errors.append(NOT_VALID)
    if not ctx.errors:
        _header(ctx, note, data, existing)
        _lines(ctx, note, data, existing)
    note["UpdatedDateUTC"] = now
    contacts = {**staging.all_contacts()}
    if ctx.new_contact:
        contacts[ctx.new_contact["ContactID"]] = ctx.new_contact
    if ctx.errors:
        element = render(note, contacts, unitdp) if "Type" in note else dict(data)
        if not existing:
            element["CreditNoteID"] = ZERO_UUID
        element.update(
            HasErrors=True, StatusAttributeString="ERROR", ValidationErrors=errors_list(ctx.errors)
        )
        return Outcome(element, ctx.errors)
    new_contact = ctx.new_contact

    def stage() -> None:
        if new_contact:
            staging.contacts[new_contact["ContactID"]] = new_contact
        staging.credit_notes[note["CreditNoteID"]] = note

    element = render(note, contacts, unitdp)
    element["StatusAttributeString"] = "OK"
    return Outcome(element, [], stage)


def render(note: dict, contacts: dict[str, dict], unitdp: int = 2, lines=True) -> dict[str, Any]:
    """The credit note as the API returns it, with the contact expanded."""
    contact = contacts.get(note["Contact"].get("ContactID") or "")
    result: dict[str, Any] = {
        "Type": note["Type"],
        "CreditNoteID": note["CreditNoteID"],
        "CreditNoteNumber": note.get("CreditNoteNumber", ""),
        "Reference": note.get("Reference", ""),
        "Payments": [{**p, "Date": ms_date(p["Date"])} for p in note["Payments"]],
        "RemainingCredit": note.get("RemainingCredit"),
        "Allocations": [_allocation(a) for a in note["Allocations"]],
        "HasAttachments": note["HasAttachments"],
        "HasErrors": False,
        "Contact": xero_contacts.render(contact) if contact else note["Contact"],
        "DateString": date_string(note["Date"]),
        "Date": ms_date(note["Date"]),
        "Status": note["Status"],
        "LineAmountTypes": note["LineAmountTypes"],
        "SubTotal": note.get("SubTotal"),
        "TotalTax": note.get("TotalTax"),
        "Total": note.get("Total"),
        "UpdatedDateUTC": ms_date(note["UpdatedDateUTC"]),
        "UpdatedDateUTCString": utc_string(note["UpdatedDateUTC"]),
        "CurrencyCode": note["CurrencyCode"],
        "CurrencyRate": note["CurrencyRate"],
        "SentToContact": note["SentToContact"],
    }
    if lines:
        result["LineItems"] = [render_line(x, unitdp, False) for x in note["LineItems"]]
    if note.get("FullyPaidOnDate"):
        result["FullyPaidOnDate"] = ms_date(note["FullyPaidOnDate"])
    return {k: v for k, v in result.items() if v is not None}


def _allocation(allocation: dict) -> dict[str, Any]:
    return {
        "AllocationID": allocation["AllocationID"],
        "Amount": allocation["Amount"],
        "Date": ms_date(allocation["Date"]),
        "Invoice": {
            "InvoiceID": allocation["InvoiceID"],
            "InvoiceNumber": allocation["InvoiceNumber"],
        },
    }
