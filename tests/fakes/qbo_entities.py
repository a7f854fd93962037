"""Entity operations of the fake QBO (§2.2): create, read, full and sparse update, delete, void.

Input is cleaned the way QBO treats it: empty strings, nulls and read-only fields are ignored
(python-quickbooks sends every attribute it has, e.g. ``"DueDate": ""`` and ``"TotalAmt": ""``).
Money arrives as JSON numbers (parsed to ``Decimal``) or numeric strings (python-quickbooks
serialises ``Decimal`` as strings) and is kept as ``Decimal``.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from tests.fakes import (
    qbo_faults,
    qbo_invoice,
    qbo_names,
    qbo_payments,
    qbo_seed,
    qbo_void,
    qbo_webhooks,
)
from tests.fakes.qbo_common import Context, clean, find, money, ref_id

ENTITY_PATHS = {
    "customer": "Customer",
    "vendor": "Vendor",
    "employee": "Employee",
    "item": "Item",
    "invoice": "Invoice",
    "account": "Account",
    "taxcode": "TaxCode",
    "taxrate": "TaxRate",
    "taxagency": "TaxAgency",
    "companyinfo": "CompanyInfo",
    "preferences": "Preferences",
    "payment": "Payment",
    "creditmemo": "CreditMemo",
    "refundreceipt": "RefundReceipt",
}
MONEY_DOCS = {"Payment", "CreditMemo", "RefundReceipt"}  # qbo_payments.py
WRITABLE = {"Customer", "Vendor", "Employee", "Item", "Invoice", *MONEY_DOCS}
SYSTEM = {"Id", "SyncToken", "MetaData", "domain", "sparse", "time", "status"}
READ_ONLY = {
    "Customer": {"FullyQualifiedName", "Balance", "BalanceWithJobs", "Level"},
    "Vendor": {"Balance"},
    "Employee": set(),
    "Item": {"FullyQualifiedName", "Level"},
    "Invoice": set(qbo_invoice.READ_ONLY),
    **qbo_payments.READ_ONLY,
}
ITEM_TYPES = {"Service", "NonInventory", "Inventory", "Category"}


def present(ctx: Context, entity: str, stored: dict[str, Any]) -> dict[str, Any]:
    """A copy of a stored entity as the API returns it (customer balances computed, company
    settings as configured now)."""
    shown = copy.deepcopy(stored)
    if entity == "CompanyInfo":
        shown["Country"] = ctx.config.company_country
    elif entity == "Preferences":
        shown.update(qbo_seed.preference_fields(ctx.config))
    if entity == "Customer":
        balance = sum(
            (
                inv["Balance"]
                for inv in ctx.realm.entities["Invoice"].values()
                if inv["CustomerRef"]["value"] == stored["Id"]
            ),
            Decimal("0"),
        )
        balance -= qbo_payments.customer_credit(ctx, stored["Id"])
        shown["Balance"] = shown["BalanceWithJobs"] = balance
    return shown


def read(ctx: Context, entity: str, entity_id: str) -> dict[str, Any]:
    """One entity by id, or 610."""
    if entity in ("CompanyInfo", "Preferences"):
        entity_id = "1"  # GET companyinfo/{realmId} and preferences: the company's only one
    stored = ctx.realm.entities[entity].get(entity_id)
    if stored is None:
        raise qbo_faults.not_found()
    return present(ctx, entity, stored)


def save(ctx: Context, entity: str, body: Any, operation: str = "", include: str = "") -> dict:
    """Create, update, delete or void; returns the response object (without ``time``)."""
    if entity not in WRITABLE:
        raise qbo_faults.unsupported(f"Operation {operation or 'Create'} is not supported.")
    if not isinstance(body, dict):
        raise qbo_faults.invalid_property("Request body is not a JSON object")
    if operation == "update" and "void" in include.lower().split(","):
        operation = "void"  # how python-quickbooks voids a Payment: ?operation=update&include=void
    if operation in ("delete", "void") and entity in MONEY_DOCS:
        return qbo_payments.delete_or_void(ctx, entity, body, operation)
    if operation in ("delete", "void"):
        return qbo_void.delete_or_void(ctx, entity, body, operation)
    if operation not in ("", "create", "update"):
        raise qbo_faults.unsupported(f"Operation {operation} is not supported.")
    body = clean(body)
    existing = None
    if body.get("Id") is not None:
        existing = ctx.realm.entities[entity].get(str(body["Id"]))
        if existing is None:
            raise qbo_faults.not_found()
        if "SyncToken" not in body:
            raise qbo_faults.required("SyncToken")
        if str(body["SyncToken"]) != existing["SyncToken"]:
            raise qbo_faults.stale_object()
    fields = {k: v for k, v in body.items() if k not in SYSTEM | READ_ONLY[entity]}
    if existing is not None and body.get("sparse") in (True, "true"):
        base = {k: v for k, v in existing.items() if k not in SYSTEM | READ_ONLY[entity]}
        fields = {**base, **fields}
    entity_id = existing["Id"] if existing else None
    built = BUILDERS[entity](ctx, fields, entity_id, include)
    if entity == "Invoice" and existing is not None:
        qbo_void.keep_payments(ctx, built, existing)
    if existing is None:
        entity_id = ctx.realm.new_id(entity)
        meta, sync = {"CreateTime": ctx.stamp, "LastUpdatedTime": ctx.stamp}, "0"
    else:
        meta = {**existing["MetaData"], "LastUpdatedTime": ctx.stamp}
        sync = str(int(existing["SyncToken"]) + 1)
    stored = {"domain": "QBO", "sparse": False, "Id": entity_id, "SyncToken": sync,
              "MetaData": meta, **built}  # fmt: skip
    ctx.realm.entities[entity][entity_id] = stored
    qbo_webhooks.record(ctx, entity, entity_id, "updated" if existing else "created")
    if entity == "Payment":
        qbo_payments.refresh_links(ctx, existing, stored)
    return {entity: present(ctx, entity, stored)}


def _duplicate(ctx: Context, entity: str, key: str, name: str, self_id: str | None) -> None:
    for other in ctx.realm.entities[entity].values():
        if other["Id"] != self_id and ctx.fold(other.get(key, "")) == ctx.fold(name):
            raise qbo_faults.duplicate_name(other["Id"], ctx.config.duplicate_detail_includes_id)


def edit(ctx: Context, entity: str, entity_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A user's edit in QBO: ``fields`` merged in like a sparse update with the current
    SyncToken (validated, totals recomputed, SyncToken and LastUpdatedTime bumped); a field
    given as None is removed."""
    existing = ctx.realm.entities[entity].get(str(entity_id)) if entity in WRITABLE else None
    if existing is None:
        raise qbo_faults.not_found()
    body = {**fields, "Id": existing["Id"], "SyncToken": existing["SyncToken"], "sparse": True}
    save(ctx, entity, body)
    stored = ctx.realm.entities[entity][existing["Id"]]
    for key in [k for k, v in fields.items() if v is None and k not in SYSTEM]:
        stored.pop(key, None)
    return present(ctx, entity, stored)


def add_name(ctx: Context, kind: str, display_name: str) -> dict[str, Any]:
    """A user adding a vendor or employee in QBO (the name then blocks customers: 6240)."""
    return save(ctx, kind, qbo_names.name_fields(kind, display_name))[kind]


def build_item(ctx: Context, fields: dict, self_id: str | None, include: str) -> dict:
    """Validate an item (unique Name, income account) and fill QBO's defaults."""
    name = str(fields.get("Name", "")).strip()
    if not name:
        raise qbo_faults.required("Name")
    _duplicate(ctx, "Item", "Name", name, self_id)
    item_type = fields.get("Type", "Service")
    if item_type not in ITEM_TYPES:
        raise qbo_faults.invalid_property(
            f"Property Name:Type specified is unsupported: {item_type}"
        )
    needed = {"Category": ()}.get(item_type, ("IncomeAccountRef",))
    if item_type == "Inventory":
        needed = ("IncomeAccountRef", "AssetAccountRef", "ExpenseAccountRef", "InvStartDate")
    refs = {}
    for param in needed:
        if fields.get(param) in (None, {}) or (param.endswith("Ref") and not ref_id(fields[param])):
            raise qbo_faults.required(param)
        if param.endswith("Ref"):
            account = find(ctx, "Account", ref_id(fields[param]), kind="Accounts")
            refs[param] = {"value": account["Id"], "name": account["Name"]}
    prices = {k: money(fields[k], k) for k in ("UnitPrice", "PurchaseCost") if k in fields}
    return {
        "Active": True,
        "Taxable": False,
        "UnitPrice": Decimal("0"),
        "PurchaseCost": Decimal("0"),
        "TrackQtyOnHand": item_type == "Inventory",
        **fields,
        **prices,
        **refs,
        "Name": name,
        "FullyQualifiedName": name,
        "Type": item_type,
    }


BUILDERS = {
    "Customer": qbo_names.build_customer,
    "Vendor": qbo_names.build_vendor,
    "Employee": qbo_names.build_employee,
    "Item": build_item,
    "Invoice": qbo_invoice.build_invoice,
    "Payment": qbo_payments.build_payment,
    "CreditMemo": qbo_payments.build_credit_memo,
    "RefundReceipt": qbo_payments.build_refund_receipt,
}
