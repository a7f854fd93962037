"""What every fake QBO realm starts with, as a new sandbox company has it (§2.2).

Income accounts, the "Services" item (Id 1), the US pseudo tax codes TAX/NON (plus one numeric
code per extra rate in ``QboConfig.tax_rates``), and CompanyInfo.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.qbo_state import QboConfig

CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "GBP": "British Pound Sterling",
    "EUR": "Euro",
    "CAD": "Canadian Dollar",
    "AUD": "Australian Dollar",
}


def system_fields(entity_id: str, stamp: str) -> dict[str, Any]:
    """The fields QBO adds to every stored entity."""
    return {
        "domain": "QBO",
        "sparse": False,
        "Id": entity_id,
        "SyncToken": "0",
        "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
    }


def currency_ref(code: str) -> dict[str, str]:
    """A CurrencyRef with the name QBO puts beside the code."""
    return {"value": code, "name": CURRENCY_NAMES.get(code, code)}


def _account(acc_id: str, name: str, acc_type: str, sub_type: str, classification: str, stamp):
    return {
        "Name": name,
        "SubAccount": False,
        "FullyQualifiedName": name,
        "Active": True,
        "Classification": classification,
        "AccountType": acc_type,
        "AccountSubType": sub_type,
        "CurrentBalance": Decimal("0"),
        "CurrentBalanceWithSubAccounts": Decimal("0"),
        **system_fields(acc_id, stamp),
    }


def _tax_code(code_id: str, name: str, taxable: bool, stamp: str, rate: Decimal | None = None):
    entity: dict[str, Any] = {
        "Name": name,
        "Description": name,
        "Active": True,
        "Taxable": taxable,
        "TaxGroup": False,
        **system_fields(code_id, stamp),
    }
    if rate is not None:
        entity["SalesTaxRateList"] = {
            "TaxRateDetail": [
                {
                    "TaxRateRef": {"value": code_id, "name": f"{name} rate"},
                    "TaxTypeApplicable": "TaxOnAmount",
                    "TaxOrder": 0,
                }
            ]
        }
        entity["PurchaseTaxRateList"] = {"TaxRateDetail": []}
    return entity


def seed_entities(realm_id: str, config: QboConfig, stamp: str) -> Iterator[tuple[str, dict]]:
    """Yield ``(entity name, entity)`` for a fresh realm."""
    yield "Account", _account("1", "Services", "Income", "ServiceFeeIncome", "Revenue", stamp)
    yield (
        "Account",
        _account(
            "79", "Sales of Product Income", "Income", "SalesOfProductIncome", "Revenue", stamp
        ),
    )
    yield (
        "Account",
        _account(
            "84",
            "Accounts Receivable (A/R)",
            "Accounts Receivable",
            "AccountsReceivable",
            "Asset",
            stamp,
        ),
    )
    yield (
        "Item",
        {
            "Name": "Services",
            "Active": True,
            "FullyQualifiedName": "Services",
            "Taxable": False,
            "UnitPrice": Decimal("0"),
            "Type": "Service",
            "IncomeAccountRef": {"value": "1", "name": "Services"},
            "PurchaseCost": Decimal("0"),
            "TrackQtyOnHand": False,
            **system_fields("1", stamp),
        },
    )
    yield "TaxCode", _tax_code("TAX", "TAX", True, stamp)
    yield "TaxCode", _tax_code("NON", "NON", False, stamp)
    for code_id, rate in sorted(config.tax_rates.items()):
        if code_id not in ("TAX", "NON"):
            yield "TaxCode", _tax_code(code_id, f"Tax {rate}%", True, stamp, rate)
    yield (
        "CompanyInfo",
        {
            "CompanyName": config.company_name,
            "LegalName": config.company_name,
            "CompanyAddr": {
                "Id": "1",
                "Line1": "123 Sierra Way",
                "City": "San Pablo",
                "CountrySubDivisionCode": "CA",
                "PostalCode": "87999",
            },
            "Country": "US" if config.home_currency == "USD" else "GB",
            "Email": {"Address": "noreply@quickbooks.com"},
            "FiscalYearStartMonth": "January",
            "SupportedLanguages": "en",
            "NameValue": [
                {"Name": "NeoEnabled", "Value": "true"},
                {"Name": "IsQbdtMigrated", "Value": "false"},
            ],
            "CompanyStartDate": "2026-01-01",
            **system_fields("1", stamp),
        },
    )
