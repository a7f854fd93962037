"""Contacts in the fake Xero (§3.2): create, upsert, render, and the duplicate-name rule."""

from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import Any

from tests.fakes.xero_batch import Outcome, Staging
from tests.fakes.xero_format import ZERO_UUID, errors_list, names, new_id, wire
from tests.fakes.xero_state import FakeXeroConfig

# Fields of the spec's Contact schema a client may set (read-only ones are ignored).
WRITABLE = names(
    "ContactNumber AccountNumber ContactStatus Name FirstName LastName CompanyNumber "
    "EmailAddress ContactPersons BankAccountDetails TaxNumber TaxNumberType "
    "AccountsReceivableTaxType AccountsPayableTaxType Addresses Phones IsSupplier "
    "IsCustomer SalesDefaultLineAmountType PurchasesDefaultLineAmountType DefaultCurrency "
    "XeroNetworkKey SalesDefaultAccountCode PurchasesDefaultAccountCode PaymentTerms"
)
# Everything the where clause may name (the schema's property names).
FIELDS = WRITABLE | {"ContactID", "UpdatedDateUTC", "ContactGroups", "HasAttachments", "Website"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DUPLICATE_NAME = (
    "The contact name {name} is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)


def _blank_addresses() -> list[dict]:
    keys = ("City", "Region", "PostalCode", "Country", "AttentionTo")
    return [{"AddressType": kind, **dict.fromkeys(keys, "")} for kind in ("STREET", "POBOX")]


def _blank_phones() -> list[dict]:
    keys = ("PhoneNumber", "PhoneAreaCode", "PhoneCountryCode")
    return [
        {"PhoneType": k, **dict.fromkeys(keys, "")} for k in ("DEFAULT", "DDI", "FAX", "MOBILE")
    ]


def _merge_typed(defaults: list[dict], given: Any, key: str) -> list[dict]:
    if not isinstance(given, list):
        return defaults
    given = [g for g in given if isinstance(g, dict)]
    kinds = {g.get(key) for g in given}
    return given + [d for d in defaults if d[key] not in kinds]


def new_contact(now: datetime) -> dict[str, Any]:
    """An empty contact as Xero fills one in on create."""
    return {
        "ContactID": new_id(),
        "ContactStatus": "ACTIVE",
        "Name": "",
        "EmailAddress": "",
        "BankAccountDetails": "",
        "Addresses": _blank_addresses(),
        "Phones": _blank_phones(),
        "UpdatedDateUTC": now,
        "ContactGroups": [],
        "IsSupplier": False,
        "IsCustomer": False,
        "ContactPersons": [],
        "HasAttachments": False,
        "HasValidationErrors": False,
    }


def render(contact: dict[str, Any], summary: bool = False) -> dict[str, Any]:
    """The contact as the API returns it."""
    result = {k: v for k, v in wire(contact).items() if v is not None}
    if summary:
        for key in ("Addresses", "Phones", "ContactPersons", "ContactGroups"):
            result.pop(key, None)
    return result


def _same_name(a: str, b: str, config: FakeXeroConfig) -> bool:
    return a == b if config.contact_name_case_sensitive else a.casefold() == b.casefold()


def find_by_name(contacts: dict[str, dict], name: str, config: FakeXeroConfig) -> dict | None:
    """The active contact called ``name``, if any."""
    return next(
        (
            c
            for c in contacts.values()
            if c["ContactStatus"] == "ACTIVE" and _same_name(c["Name"], name, config)
        ),
        None,
    )


def _match(staging: Staging, data: dict, config: FakeXeroConfig) -> tuple[dict | None, str | None]:
    contacts = staging.all_contacts()
    contact_id = str(data.get("ContactID") or "").lower()
    if contact_id and contact_id != ZERO_UUID:
        found = contacts.get(contact_id)
        return found, None if found else f"Contact with ContactID {contact_id} was not found."
    number = data.get("ContactNumber")
    if number:
        found = next((c for c in contacts.values() if c.get("ContactNumber") == number), None)
        if found:
            return found, None
    if config.post_contacts_match_name and data.get("Name"):
        return find_by_name(contacts, str(data["Name"]).strip(), config), None
    return None, None


def check(contact: dict, staging: Staging, config: FakeXeroConfig) -> list[str]:
    """Xero's validation of a contact about to be stored."""
    errors = []
    name = contact.get("Name") or ""
    if not name.strip():
        errors.append("Contact name is required.")
    elif len(name) > 255:
        errors.append("The Contact Name must be 255 characters or less.")
    elif contact["ContactStatus"] == "ACTIVE":
        other = find_by_name(staging.all_contacts(), name, config)
        if other and other["ContactID"] != contact["ContactID"]:
            errors.append(DUPLICATE_NAME.format(name=name))
    email = contact.get("EmailAddress") or ""
    if email and not _EMAIL.match(email):
        errors.append("Email address must be valid.")
    if contact["ContactStatus"] not in {"ACTIVE", "ARCHIVED"}:
        errors.append(f"ContactStatus '{contact['ContactStatus']}' is not valid.")
    return errors


def write(staging: Staging, data: dict, *, upsert: bool, config, now) -> Outcome:
    """One element of PUT (create) or POST (create or update) /Contacts."""
    existing, error = _match(staging, data, config) if upsert else (None, None)
    contact = copy.deepcopy(existing) if existing else new_contact(now)
    given = {k: v for k, v in data.items() if k in WRITABLE}
    if isinstance(given.get("Name"), str):
        given["Name"] = given["Name"].strip()
    contact.update(given)
    contact["Addresses"] = _merge_typed(_blank_addresses(), data.get("Addresses"), "AddressType")
    if existing and "Addresses" not in data:
        contact["Addresses"] = existing["Addresses"]
    contact["Phones"] = _merge_typed(_blank_phones(), data.get("Phones"), "PhoneType")
    if existing and "Phones" not in data:
        contact["Phones"] = existing["Phones"]
    contact["UpdatedDateUTC"] = now
    errors = [error] if error else check(contact, staging, config)
    if errors:
        element = render(contact)
        if not existing:
            element["ContactID"] = ZERO_UUID
        element.update(
            HasValidationErrors=True,
            StatusAttributeString="ERROR",
            ValidationErrors=errors_list(errors),
        )
        return Outcome(element, errors)

    def stage() -> None:
        staging.contacts[contact["ContactID"]] = contact

    element = render(contact)
    element["StatusAttributeString"] = "OK"
    return Outcome(element, [], stage)
