"""Lookups in the fake Xero (§3.8): Accounts, TaxRates, Items, Organisation and Currencies."""

from __future__ import annotations

import copy

from flask import Response, request

from tests.fakes.xero_batch import Outcome, Staging
from tests.fakes.xero_format import (
    NOT_FOUND_TEXT,
    errors_list,
    names,
    text_response,
    to_decimal,
    wire,
)
from tests.fakes.xero_http import envelope, paginate, select, write_many
from tests.fakes.xero_seed import Tenant, new_item
from tests.fakes.xero_state import current_state

ACCOUNT_FIELDS = names(
    "AccountID Code Name Type Status TaxType Class SystemAccount BankAccountType "
    "CurrencyCode EnablePaymentsToAccount ShowInExpenseClaims ReportingCode UpdatedDateUTC"
)
TAX_RATE_FIELDS = names(
    "Name TaxType Status ReportTaxType CanApplyToAssets CanApplyToEquity CanApplyToExpenses "
    "CanApplyToLiabilities CanApplyToRevenue DisplayTaxRate EffectiveRate"
)
ITEM_FIELDS = names(
    "ItemID Code Name Description IsSold IsPurchased IsTrackedAsInventory UpdatedDateUTC"
)


def accounts(tenant: Tenant, ident: str | None) -> Response:
    """GET /Accounts (``where``, ``order``) or /Accounts/{AccountID}."""
    found = select(tenant.accounts, ACCOUNT_FIELDS)
    if ident:
        found = [a for a in found if a["AccountID"] == ident.lower()]
        if not found:
            return text_response(NOT_FOUND_TEXT, 404)
    return envelope("Accounts", wire(found))


def tax_rates(tenant: Tenant, ident: str | None) -> Response:
    """GET /TaxRates (``where``, ``order``, ``TaxType``) or /TaxRates/{TaxType}."""
    found = select(tenant.tax_rates, TAX_RATE_FIELDS)
    wanted = ident or request.args.get("TaxType")
    if wanted:
        found = [t for t in found if t["TaxType"] == wanted]
    return envelope("TaxRates", wire(found))


def organisation(tenant: Tenant, ident: str | None) -> Response:
    """GET /Organisation."""
    return envelope("Organisations", [wire(tenant.organisation)])


def currencies(tenant: Tenant, ident: str | None) -> Response:
    """GET /Currencies: the organisation's subscribed currencies."""
    return envelope("Currencies", copy.deepcopy(tenant.currencies))


def items(tenant: Tenant, ident: str | None) -> Response:
    """GET /Items or /Items/{ItemID or Code}; PUT creates, POST creates or updates."""
    if request.method == "GET":
        found = select(list(tenant.items.values()), ITEM_FIELDS)
        if ident:
            found = [i for i in found if ident in (i["ItemID"], i["Code"])]
            if not found:
                return text_response(NOT_FOUND_TEXT, 404)
        page, pagination = paginate(found)
        return envelope("Items", [wire(i) for i in page], pagination)
    upsert = request.method == "POST"
    return write_many(tenant, "Items", lambda s, d: _write_item(s, d, upsert))


def _write_item(staging: Staging, data: dict, upsert: bool) -> Outcome:
    state = current_state()
    now = state.clock.utcnow()
    code = str(data.get("Code") or "").strip()
    stored = staging.all_items()
    existing = next((i for i in stored.values() if i["Code"] == code), None)
    wanted = str(data.get("ItemID") or "").lower()
    if upsert and wanted in stored:
        existing = stored[wanted]
    errors = []
    if not code:
        errors.append("Item Code is required.")
    elif len(code) > 30:
        errors.append("Item Code must be 30 characters or less.")
    elif existing and not (upsert and (wanted in ("", existing["ItemID"]))):
        errors.append(f"Price List Item with Code ''{code}'' already exists")
    if len(str(data.get("Name") or "")) > 50:
        errors.append("Item Name must be 50 characters or less.")
    if existing and not errors:
        item = copy.deepcopy(existing)
    else:
        item = new_item(code, "", "", None, None, now)
    for key in ("Code", "Name", "Description", "IsSold", "IsPurchased", "PurchaseDescription"):
        if key in data:
            item[key] = data[key]
    sales = data.get("SalesDetails")
    if isinstance(sales, dict):
        item["SalesDetails"] = {**item.get("SalesDetails", {}), **sales}
        if "UnitPrice" in sales:
            try:
                item["SalesDetails"]["UnitPrice"] = to_decimal(sales["UnitPrice"])
            except ValueError:
                errors.append("UnitPrice must be a number.")
    item["UpdatedDateUTC"] = now
    element = wire(item)
    if errors:
        element.update(StatusAttributeString="ERROR", ValidationErrors=errors_list(errors))
        return Outcome(element, errors)
    element["StatusAttributeString"] = "OK"
    return Outcome(element, [], lambda: staging.items.__setitem__(item["ItemID"], item))
