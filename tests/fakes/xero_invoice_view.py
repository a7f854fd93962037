"""How the fake Xero shows an invoice: the API's rendering, and the view ``where`` filters on."""

from __future__ import annotations

from typing import Any

from tests.fakes import xero_contacts
from tests.fakes.xero_format import date_string, ms_date, names, utc_string
from tests.fakes.xero_lines import render_line

FIELDS = names(
    "Type Contact LineItems Date DueDate LineAmountTypes InvoiceNumber Reference "
    "BrandingThemeID Url CurrencyCode CurrencyRate Status SentToContact ExpectedPaymentDate "
    "PlannedPaymentDate SubTotal TotalTax Total TotalDiscount InvoiceID HasAttachments "
    "IsDiscounted AmountDue AmountPaid FullyPaidOnDate AmountCredited UpdatedDateUTC "
    "HasErrors"
)


def render(
    inv: dict, contacts: dict[str, dict], unitdp: int = 2, *, write=False, lines=True
) -> dict[str, Any]:
    """The invoice as the API returns it, with the contact expanded."""
    given = {k: v for k, v in (inv.get("Contact") or {}).items() if v}
    contact = contacts.get(given.get("ContactID") or "")
    result: dict[str, Any] = {
        "Type": inv.get("Type"),
        "InvoiceID": inv["InvoiceID"],
        "InvoiceNumber": inv.get("InvoiceNumber", ""),
        "Reference": inv.get("Reference", ""),
        "Payments": [_payment(p) for p in inv.get("Payments", [])] or None,
        "CreditNotes": [{**c, "Date": ms_date(c["Date"])} for c in inv.get("CreditNotes", [])],
        "Prepayments": [],
        "Overpayments": [],
        "AmountDue": inv.get("AmountDue"),
        "AmountPaid": inv["AmountPaid"],
        "AmountCredited": inv["AmountCredited"],
        "SentToContact": inv["SentToContact"],
        "CurrencyRate": inv["CurrencyRate"],
        "IsDiscounted": inv.get("IsDiscounted", False),
        "HasAttachments": inv["HasAttachments"],
        "HasErrors": False,
        "Contact": xero_contacts.render(contact) if contact else given,
    }
    if inv.get("Date"):
        result.update(DateString=date_string(inv["Date"]), Date=ms_date(inv["Date"]))
    if inv.get("DueDate"):
        result.update(DueDateString=date_string(inv["DueDate"]), DueDate=ms_date(inv["DueDate"]))
    result.update(Status=inv.get("Status"), LineAmountTypes=inv.get("LineAmountTypes"))
    if lines:
        result["LineItems"] = [render_line(x, unitdp, write) for x in inv.get("LineItems", [])]
    result.update(
        SubTotal=inv.get("SubTotal"), TotalTax=inv.get("TotalTax"), Total=inv.get("Total")
    )
    if inv.get("TotalDiscount") is not None:
        result["TotalDiscount"] = inv["TotalDiscount"]
    for key in ("BrandingThemeID", "Url"):
        if inv.get(key):
            result[key] = inv[key]
    result.update(
        UpdatedDateUTC=ms_date(inv["UpdatedDateUTC"]),
        UpdatedDateUTCString=utc_string(inv["UpdatedDateUTC"]),
        CurrencyCode=inv.get("CurrencyCode"),
    )
    if inv.get("FullyPaidOnDate"):
        result["FullyPaidOnDate"] = ms_date(inv["FullyPaidOnDate"])
    return {k: v for k, v in result.items() if v is not None}


def _payment(payment: dict) -> dict[str, Any]:
    """The slim payment an invoice lists."""
    return {**payment, "Date": ms_date(payment["Date"])}


def where_view(inv: dict, contacts: dict[str, dict]) -> dict[str, Any]:
    """The invoice as ``where`` sees it: stored values with the contact expanded."""
    contact = contacts.get((inv.get("Contact") or {}).get("ContactID") or "", {})
    return {**inv, "Contact": contact}
