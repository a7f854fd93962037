"""What every fake QBO realm starts with, as a new sandbox company has it (§2.2).

Income accounts, the "Services" item (Id 1), CompanyInfo, Preferences, and the tax tables of the
configured tax model (``QboConfig.tax_model``):

- "us": the pseudo codes TAX and NON for lines, plus sales tax codes (numeric Ids) for the
  invoice's ``TxnTaxDetail.TxnTaxCodeRef``: one per rate, and a combined group of two rates.
- "global" (UK style): one numeric code per VAT rate, used on each line; no TAX/NON.

The rates are the fake's own, fixed here, so an app cannot agree with the fake by configuring
it with its own numbers. Tests name the codes through the constants below.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.qbo_state import QboConfig

# TaxRate Id -> (Name, percent, TaxAgency Id)
US_TAX_AGENCIES = {
    "1": "California Department of Tax and Fee Administration",
    "2": "Texas Comptroller of Public Accounts",
    "3": "City of Austin",
}
US_TAX_RATES = {
    "1": ("California", Decimal("8.25"), "1"),
    "2": ("Travis County", Decimal("2"), "2"),
    "3": ("Texas State", Decimal("6.25"), "2"),
    "4": ("Austin City", Decimal("2"), "3"),
}
# TaxCode Id -> (Name, TaxRate Ids); several rates make a combined group (TaxGroup true)
US_SALES_TAX_CODES = {
    "2": ("California", ("1",)),
    "3": ("Travis County", ("2",)),
    "4": ("Combined: Austin", ("3", "4")),
}
US_TAX_CODES = {"state": "2", "county": "3", "combined": "4"}
PSEUDO_TAX_CODES = ("TAX", "NON")

GLOBAL_TAX_AGENCIES = {"1": "HM Revenue & Customs"}
GLOBAL_TAX_RATES = {
    "1": ("20.0% S", Decimal("20"), "1"),
    "2": ("5.0% R", Decimal("5"), "1"),
    "3": ("0.0% Z", Decimal("0"), "1"),
    "4": ("Exempt", Decimal("0"), "1"),
}
GLOBAL_SALES_TAX_CODES = {
    "3": ("20.0% S", ("1",)),
    "4": ("5.0% R", ("2",)),
    "5": ("0.0% Z", ("3",)),
    "6": ("Exempt", ("4",)),
}
GLOBAL_TAX_CODES = {"standard": "3", "reduced": "4", "zero": "5", "exempt": "6"}


def _code_rates(codes: dict, rates: dict) -> dict[str, Decimal]:
    return {code: sum((rates[r][1] for r in ids), Decimal("0")) for code, (_, ids) in codes.items()}


US_TAX_CODE_RATES = _code_rates(US_SALES_TAX_CODES, US_TAX_RATES)  # {"2": 8.25, "3": 2, "4": 8.25}
GLOBAL_TAX_CODE_RATES = _code_rates(GLOBAL_SALES_TAX_CODES, GLOBAL_TAX_RATES)
TAX_ENTITIES = ("TaxCode", "TaxRate", "TaxAgency")

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


def _tax_code(code_id: str, name: str, stamp: str, rate_ids=(), rates=None) -> dict[str, Any]:
    details = [
        {
            "TaxRateRef": {"value": rate_id, "name": rates[rate_id][0]},
            "TaxTypeApplicable": "TaxOnAmount",
            "TaxOrder": order,
        }
        for order, rate_id in enumerate(rate_ids)
    ]
    entity: dict[str, Any] = {
        "Name": name,
        "Description": name,
        "Active": True,
        "Hidden": False,
        "Taxable": code_id != "NON" and name != "Exempt",
        "TaxGroup": len(rate_ids) > 1,
        **system_fields(code_id, stamp),
    }
    if rate_ids:
        entity["SalesTaxRateList"] = {"TaxRateDetail": details}
        entity["PurchaseTaxRateList"] = {"TaxRateDetail": []}
    return entity


def tax_entities(config: QboConfig, stamp: str) -> Iterator[tuple[str, dict]]:
    """Yield the tax agencies, rates and codes of the configured tax model."""
    us = config.tax_model == "us"
    agencies = US_TAX_AGENCIES if us else GLOBAL_TAX_AGENCIES
    rates = US_TAX_RATES if us else GLOBAL_TAX_RATES
    codes = US_SALES_TAX_CODES if us else GLOBAL_SALES_TAX_CODES
    for agency_id, name in agencies.items():
        yield (
            "TaxAgency",
            {
                "DisplayName": name,
                "TaxTrackedOnSales": True,
                "TaxTrackedOnPurchases": not us,
                **system_fields(agency_id, stamp),
            },
        )
    for rate_id, (name, percent, agency_id) in rates.items():
        yield (
            "TaxRate",
            {
                "Name": name,
                "Description": name,
                "Active": True,
                "RateValue": percent,
                "AgencyRef": {"value": agency_id},
                "SpecialTaxType": "NONE",
                "DisplayType": "ReadOnly",
                **system_fields(rate_id, stamp),
            },
        )
    if us:
        yield "TaxCode", _tax_code("TAX", "TAX", stamp)
        yield "TaxCode", _tax_code("NON", "NON", stamp)
    for code_id, (name, rate_ids) in codes.items():
        yield "TaxCode", _tax_code(code_id, name, stamp, rate_ids, rates)


def preference_fields(config: QboConfig) -> dict[str, Any]:
    """The Preferences fields that follow the configuration (read at request time)."""
    return {
        "TaxPrefs": {
            "UsingSalesTax": True,
            "PartnerTaxEnabled": config.tax_model == "us" and config.automated_sales_tax,
        },
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": config.multicurrency,
            "HomeCurrency": {"value": config.home_currency},
        },
        "SalesFormsPrefs": {
            "CustomTxnNumbers": config.custom_txn_numbers,
            "AllowDeposit": True,
            "AllowDiscount": True,
            "AllowServiceDate": False,
        },
    }


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
    yield from tax_entities(config, stamp)
    yield (
        "Preferences",
        {
            "AccountingInfoPrefs": {"FirstMonthOfFiscalYear": "January", "TaxYearMonth": "January"},
            "ProductAndServicesPrefs": {"ForSales": True, "QuantityWithPriceAndRate": True},
            **preference_fields(config),
            **system_fields("1", stamp),
        },
    )
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
            "Country": config.company_country,
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
