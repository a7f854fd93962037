"""Invoices in the fake Xero (§3.3): create, update, status workflow, numbering.

Deleting and voiding are status changes (``{"Status": "DELETED"}`` on a DRAFT or SUBMITTED
invoice, ``"VOIDED"`` on an AUTHORISED one without payments); such invoices keep their number,
which no other invoice can take, and can no longer change.

Rendering lives in ``xero_invoice_view``.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tests.fakes import xero_contacts
from tests.fakes.xero_batch import Outcome, Staging
from tests.fakes.xero_format import ZERO_UUID, errors_list, names, new_id, parse_date
from tests.fakes.xero_invoice_view import render
from tests.fakes.xero_lines import apply_tax, build_line, totals
from tests.fakes.xero_state import FakeXeroConfig

TYPES = names(
    "ACCPAY ACCPAYCREDIT APOVERPAYMENT APPREPAYMENT ACCREC ACCRECCREDIT AROVERPAYMENT ARPREPAYMENT"
)
CREATE_STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED"}
TRANSITIONS = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
}
AMOUNT_TYPES = {"exclusive": "Exclusive", "inclusive": "Inclusive", "notax": "NoTax"}
# [obs] Xero's words: NOT_VALID for a status change it refuses (a Xero engineer on
# XeroAPI/Xero-NetStandard#79) and for writes to a voided invoice; NOT_VALID with ALLOCATED for
# an invoice with a payment (quoted together by integrators' support pages). That this pair is
# also the answer to voiding a paid invoice is [unverified]. Lines of an AUTHORISED invoice are
# editable until money is allocated.
NOT_VALID = "Invoice not of valid status for modification"
ALLOCATED = "This document cannot be edited as it has a payment or credit note allocated to it."
NO_CONTACT = (
    "The Contact must contain at least 1 of the following elements to identify the contact: "
    "Name, ContactID, ContactNumber"
)


class _Context:
    """What one invoice write needs besides the element itself."""

    def __init__(self, staging: Staging, config: FakeXeroConfig, now: datetime, unitdp: int):
        self.staging, self.config, self.now, self.unitdp = staging, config, now, unitdp
        self.errors: list[str] = []
        self.new_contact: dict | None = None


def _match(ctx: _Context, data: dict, path_id: str | None) -> dict | None:
    invoices = ctx.staging.all_invoices()
    wanted = str(path_id or data.get("InvoiceID") or "").lower()
    if wanted and wanted != ZERO_UUID:
        found = invoices.get(wanted) or next(
            (i for i in invoices.values() if i["InvoiceNumber"] == path_id), None
        )
        if found is None:
            ctx.errors.append(f"Invoice with InvoiceID {wanted} could not be found.")
        return found
    number, kind = data.get("InvoiceNumber"), data.get("Type", "ACCREC")
    if number and kind == "ACCREC":
        return _by_number(invoices, str(number).strip())
    return None


def _by_number(invoices: dict[str, dict], number: str, exclude: str | None = None) -> dict | None:
    return next(
        (
            i
            for i in invoices.values()
            if i["Type"] == "ACCREC" and i["InvoiceNumber"] == number and i["InvoiceID"] != exclude
        ),
        None,
    )


def _contact(ctx: _Context, given: Any) -> str | None:
    contacts = ctx.staging.all_contacts()
    if not isinstance(given, dict):
        ctx.errors.append("A Contact must be specified for this type of transaction.")
        return None
    contact_id = str(given.get("ContactID") or "").lower()
    if contact_id and contact_id != ZERO_UUID:
        if contact_id not in contacts:
            ctx.errors.append(f"The Contact with ContactID {contact_id} could not be found.")
            return None
        return contact_id
    number, name = given.get("ContactNumber"), str(given.get("Name") or "").strip()
    if number:
        found = next((c for c in contacts.values() if c.get("ContactNumber") == number), None)
        if found:
            return found["ContactID"]
    if name:
        found = xero_contacts.find_by_name(contacts, name, ctx.config)
        if found:
            return found["ContactID"]
        # Xero creates a contact named on an invoice when none matches.
        ctx.new_contact = xero_contacts.new_contact(ctx.now)
        ctx.new_contact.update(Name=name, ContactNumber=number or None)
        return ctx.new_contact["ContactID"]
    ctx.errors.append(NO_CONTACT)
    return None


def _date(ctx: _Context, data: dict, key: str, current: date | None) -> date | None:
    if key not in data or data[key] in (None, ""):
        return current
    try:
        return parse_date(data[key])
    except ValueError:
        ctx.errors.append(f"{key} '{data[key]}' is not a valid date.")
        return current


def _header(ctx: _Context, inv: dict, data: dict, existing: dict | None) -> None:
    kind = str(data.get("Type") or inv.get("Type") or "")
    if kind not in TYPES:
        ctx.errors.append(f"Invoice Type '{kind}' is not valid." if kind else "Type is required.")
    inv["Type"] = kind
    if "Contact" in data or not existing:
        inv["Contact"] = {"ContactID": _contact(ctx, data.get("Contact"))}
    inv["Date"] = _date(ctx, data, "Date", inv.get("Date")) or ctx.now.date()
    inv["DueDate"] = _date(ctx, data, "DueDate", inv.get("DueDate"))
    amounts = str(data.get("LineAmountTypes") or inv.get("LineAmountTypes") or "Exclusive")
    if amounts.lower() not in AMOUNT_TYPES:
        ctx.errors.append(f"LineAmountTypes '{amounts}' is not valid.")
    inv["LineAmountTypes"] = AMOUNT_TYPES.get(amounts.lower(), "Exclusive")
    tenant = ctx.staging.tenant
    currency = str(data.get("CurrencyCode") or inv.get("CurrencyCode") or tenant.base_currency)
    if currency not in {c["Code"] for c in tenant.currencies}:
        ctx.errors.append(f"Organisation is not subscribed to currency {currency}")
    inv["CurrencyCode"] = currency
    for key in ("Reference", "BrandingThemeID", "Url", "SentToContact"):
        if key in data:
            inv[key] = data[key]
    _status(ctx, inv, data, existing)
    _number(ctx, inv, data)


def _status(ctx: _Context, inv: dict, data: dict, existing: dict | None) -> None:
    wanted = str(data.get("Status") or inv.get("Status") or ctx.config.default_invoice_status)
    if existing is None and wanted not in CREATE_STATUSES:
        ctx.errors.append(f"Invoice Status '{wanted}' is not valid for a new invoice.")
    elif existing is not None:
        ctx.errors.extend(_refusals(existing, wanted))
    inv["Status"] = wanted
    needs_due = wanted in {"SUBMITTED", "AUTHORISED"} and ctx.config.require_due_date
    if needs_due and inv["DueDate"] is None:
        ctx.errors.append("Due Date is required.")


def _refusals(existing: dict, wanted: str) -> list[str]:
    """Why Xero refuses to take ``existing`` to status ``wanted`` (nothing when it allows it).

    DELETED is for DRAFT and SUBMITTED invoices, VOIDED for AUTHORISED ones without payments;
    DELETED and VOIDED invoices (and PAID ones) cannot change any more.
    """
    old = existing["Status"]
    allocated = existing["AmountPaid"] or existing["AmountCredited"]
    if wanted in {"DELETED", "VOIDED"} and old in {"AUTHORISED", "PAID"} and allocated:
        return [NOT_VALID, ALLOCATED]
    if old not in TRANSITIONS:
        return [NOT_VALID]
    if wanted in {"DELETED", "VOIDED"} and wanted not in TRANSITIONS[old]:
        return [NOT_VALID]
    if wanted not in TRANSITIONS[old]:
        # [unverified] the wording; the refusal itself (AUTHORISED back to DRAFT) is Xero's.
        return [f"Invoice status cannot be changed from {old} to {wanted}."]
    return []


def _number(ctx: _Context, inv: dict, data: dict) -> None:
    if "InvoiceNumber" in data and data["InvoiceNumber"] not in (None, ""):
        inv["InvoiceNumber"] = str(data["InvoiceNumber"]).strip()
    if inv["Type"] != "ACCREC":
        inv.setdefault("InvoiceNumber", "")
        return
    invoices = ctx.staging.all_invoices()
    if not inv.get("InvoiceNumber"):
        while True:
            ctx.staging.invoice_seq += 1
            candidate = f"INV-{ctx.staging.invoice_seq:04d}"
            if _by_number(invoices, candidate) is None:
                inv["InvoiceNumber"] = candidate
                break
    elif len(inv["InvoiceNumber"]) > 255:
        ctx.errors.append("Invoice # must be 255 characters or less.")
    elif _by_number(invoices, inv["InvoiceNumber"], exclude=inv["InvoiceID"]):
        ctx.errors.append("Invoice # must be unique.")


def _lines(ctx: _Context, inv: dict, data: dict, existing: dict | None) -> None:
    previous = {line["LineItemID"]: line for line in (existing or {}).get("LineItems", [])}
    given = data.get("LineItems")
    if (
        isinstance(given, list)
        and existing
        and (existing["AmountPaid"] or existing["AmountCredited"])
        and ALLOCATED not in ctx.errors
    ):
        ctx.errors.append(ALLOCATED)
    if isinstance(given, list):
        context = {
            "type": inv["Type"],
            "status": inv["Status"],
            "amounts": inv["LineAmountTypes"],
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
        inv["LineItems"] = lines
    elif given is not None:
        ctx.errors.append("LineItems must be a list.")
    inv.setdefault("LineItems", [])
    if inv["Status"] in {"SUBMITTED", "AUTHORISED"} and not inv["LineItems"]:
        ctx.errors.append("An invoice must contain at least one line item.")
    apply_tax(ctx.staging.tenant, inv["LineItems"], inv["LineAmountTypes"], ctx.config.tax_rounding)
    inv.update(totals(inv["LineItems"], inv["LineAmountTypes"]))
    unpaid = inv["Status"] not in {"VOIDED", "DELETED"}
    moved = inv["AmountPaid"] + inv["AmountCredited"]
    inv["AmountDue"] = inv["Total"] - moved if unpaid else Decimal("0.00")


def _skeleton(now: datetime) -> dict[str, Any]:
    return {
        "InvoiceID": new_id(),
        "Reference": "",
        "AmountPaid": Decimal("0.00"),
        "AmountCredited": Decimal("0.00"),
        "CurrencyRate": Decimal("1.000000"),
        "SentToContact": False,
        "HasAttachments": False,
        "LineItems": [],
        "CreatedDateUTC": now,
    }


def write(staging: Staging, data: dict, *, upsert: bool, config, now, unitdp: int, path_id=None):
    """One element of PUT (create) or POST (create or update) /Invoices."""
    ctx = _Context(staging, config, now, unitdp)
    existing = _match(ctx, data, path_id) if upsert else None
    inv = copy.deepcopy(existing) if existing else _skeleton(now)
    if not ctx.errors:
        _header(ctx, inv, data, existing)
        _lines(ctx, inv, data, existing)
    inv["UpdatedDateUTC"] = now
    contacts = {**staging.all_contacts()}
    if ctx.new_contact:
        contacts[ctx.new_contact["ContactID"]] = ctx.new_contact
    if ctx.errors:
        element = render(inv, contacts, unitdp, write=True)
        if not existing:
            element["InvoiceID"] = ZERO_UUID
        element.update(
            HasErrors=True, StatusAttributeString="ERROR", ValidationErrors=errors_list(ctx.errors)
        )
        return Outcome(element, ctx.errors)
    new_contact = ctx.new_contact

    def stage() -> None:
        if new_contact:
            staging.contacts[new_contact["ContactID"]] = new_contact
        contact_id = inv["Contact"]["ContactID"]
        contact = staging.contacts.get(contact_id) or staging.tenant.contacts[contact_id]
        role = "IsCustomer" if inv["Type"].startswith("ACCREC") else "IsSupplier"
        if not contact[role]:
            contact = {**contact, role: True}
            staging.contacts[contact_id] = contact
        staging.invoices[inv["InvoiceID"]] = inv

    element = render(inv, contacts, unitdp, write=True)
    element["StatusAttributeString"] = "OK"
    return Outcome(element, [], stage)
