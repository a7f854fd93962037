"""Name entities of the fake QBO: Customer, Vendor and Employee (§2.2).

Their ``DisplayName`` is unique across all three (6240), and names may not contain a colon, tab
or newline: QBO writes sub-customers as ``Parent:Child``. Intuit documents that rule for
Employee; the fake applies it to all three, and the fault's code and wording are [unverified].
"""

from __future__ import annotations

from typing import Any

from tests.fakes import qbo_faults
from tests.fakes.qbo_common import Context, check_currency, find, ref_id
from tests.fakes.qbo_seed import currency_ref

NAME_ENTITIES = ("Customer", "Vendor", "Employee")
NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
CHECKED = ("DisplayName", *NAME_PARTS, "PrintOnCheckName")
FORBIDDEN = {":": "a colon (:)", "\t": "a tab", "\n": "a newline"}


def _display_name(ctx: Context, fields: dict[str, Any], fallback: str = "CompanyName") -> str:
    name = str(fields.get("DisplayName", "")).strip()
    if not name and ctx.config.derive_display_name:
        name = " ".join(str(fields[p]) for p in NAME_PARTS if fields.get(p))
        name = name or str(fields.get(fallback, ""))
    if not name:
        raise qbo_faults.required("DisplayName")
    return name


def _check_names(ctx: Context, entity: str, name: str, fields: dict, self_id: str | None) -> None:
    for key in CHECKED:
        value = name if key == "DisplayName" else str(fields.get(key, ""))
        for char, label in FORBIDDEN.items():
            if char in value:
                raise qbo_faults.invalid_name_character(key, label, value)
    for kind in NAME_ENTITIES:
        for other in ctx.realm.entities[kind].values():
            same = kind == entity and other["Id"] == self_id
            if not same and ctx.fold(other.get("DisplayName", "")) == ctx.fold(name):
                raise qbo_faults.duplicate_name(
                    other["Id"], ctx.config.duplicate_detail_includes_id
                )


def _currency(ctx: Context, fields: dict[str, Any]) -> dict[str, str]:
    currency = ref_id(fields.get("CurrencyRef")) or ctx.config.home_currency
    check_currency(ctx, currency)
    return currency_ref(currency)


def build_customer(ctx: Context, fields: dict, self_id: str | None, include: str) -> dict:
    """Validate a customer and fill QBO's defaults."""
    name = _display_name(ctx, fields)
    _check_names(ctx, "Customer", name, fields, self_id)
    if ref_id(fields.get("DefaultTaxCodeRef")):
        find(ctx, "TaxCode", ref_id(fields["DefaultTaxCodeRef"]), kind="TaxCode")
    qualified = name
    if ref_id(fields.get("ParentRef")):
        parent = find(ctx, "Customer", ref_id(fields["ParentRef"]), kind="Names")
        qualified = f"{parent['FullyQualifiedName']}:{name}"
    return {
        "Taxable": True,
        "Job": False,
        "BillWithParent": False,
        "PreferredDeliveryMethod": "Print",
        "PrintOnCheckName": name,
        "Active": True,
        **fields,
        "DisplayName": name,
        "FullyQualifiedName": qualified,
        "CurrencyRef": _currency(ctx, fields),
    }


def build_vendor(ctx: Context, fields: dict, self_id: str | None, include: str) -> dict:
    """Validate a vendor and fill QBO's defaults."""
    name = _display_name(ctx, fields)
    _check_names(ctx, "Vendor", name, fields, self_id)
    return {
        "Vendor1099": False,
        "PrintOnCheckName": name,
        "Active": True,
        **fields,
        "DisplayName": name,
        "CurrencyRef": _currency(ctx, fields),
    }


def build_employee(ctx: Context, fields: dict, self_id: str | None, include: str) -> dict:
    """Validate an employee (a given or family name is needed) and fill QBO's defaults."""
    # Intuit's page says both names are required; one is enough here [unverified]
    if not (fields.get("GivenName") or fields.get("FamilyName")):
        raise qbo_faults.required("GivenName")
    name = _display_name(ctx, fields, fallback="GivenName")
    _check_names(ctx, "Employee", name, fields, self_id)
    return {
        "PrintOnCheckName": name,
        "BillableTime": False,
        "Active": True,
        **fields,
        "DisplayName": name,
    }


def name_fields(kind: str, display_name: str) -> dict[str, str]:
    """What a user types to add a vendor or employee in QBO (``FakeQuickBooks.add_name``)."""
    if kind not in ("Vendor", "Employee"):
        raise ValueError(f"kind must be Vendor or Employee, not {kind!r}")
    given, _, family = display_name.partition(" ")
    fields = {"DisplayName": display_name}
    if kind == "Employee":
        fields.update(GivenName=given, FamilyName=family)
    return fields
