"""Seed data for a fake Xero organisation: a small NZ demo company, like Xero's own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tests.fakes.xero_format import new_id

DEFAULT_TENANT_ID = "fe79f7dd-b6d4-4a92-ba7b-538af6289c58"
DEFAULT_TENANT_NAME = "Demo Company (NZ)"

# (Code, Name, Type, TaxType, Status, SystemAccount)
_ACCOUNTS = [
    ("090", "Business Bank Account", "BANK", "NONE", "ACTIVE", None),
    ("200", "Sales", "REVENUE", "OUTPUT2", "ACTIVE", None),
    ("210", "Managed Services Revenue", "REVENUE", "OUTPUT2", "ACTIVE", None),
    ("260", "Other Revenue", "REVENUE", "OUTPUT2", "ACTIVE", None),
    ("270", "Interest Income", "REVENUE", "NONE", "ACTIVE", None),
    ("299", "Old Sales (archived)", "REVENUE", "OUTPUT2", "ARCHIVED", None),
    ("400", "Advertising", "EXPENSE", "INPUT2", "ACTIVE", None),
    ("610", "Accounts Receivable", "CURRENT", "NONE", "ACTIVE", "DEBTORS"),
    ("800", "Accounts Payable", "CURRLIAB", "NONE", "ACTIVE", "CREDITORS"),
    ("820", "GST", "CURRLIAB", "NONE", "ACTIVE", "GST"),
]
_CLASS = {
    "BANK": "ASSET",
    "CURRENT": "ASSET",
    "REVENUE": "REVENUE",
    "EXPENSE": "EXPENSE",
    "CURRLIAB": "LIABILITY",
}
# (TaxType, Name, rate %, CanApplyToRevenue, CanApplyToExpenses, Status)
_TAX_RATES = [
    ("OUTPUT2", "15% GST on Income", "15.0000", True, False, "ACTIVE"),
    ("INPUT2", "15% GST on Expenses", "15.0000", False, True, "ACTIVE"),
    ("NONE", "No GST", "0.0000", True, True, "ACTIVE"),
    ("ZERORATED", "Zero Rated", "0.0000", True, False, "ACTIVE"),
    ("EXEMPTOUTPUT", "Exempt Income", "0.0000", True, False, "ACTIVE"),
    ("TAX001", "Reduced rate 9%", "9.0000", True, True, "ACTIVE"),
    ("TAX002", "Old 12.5% GST", "12.5000", True, True, "DELETED"),
]
# (Code, Name, Description, UnitPrice, AccountCode); sales tax type OUTPUT2
_ITEMS = [
    ("MSP", "Managed services", "Managed services (per device, per month)", "150.00", "210"),
    ("LABOUR", "Labour", "Technician time (hourly)", "120.00", "200"),
    ("BLOCK", "Prepaid block", "Prepaid hours block", "1000.00", "200"),
]
_CURRENCY_NAMES = {
    "NZD": "New Zealand Dollar",
    "AUD": "Australian Dollar",
    "USD": "United States Dollar",
    "GBP": "Pound Sterling",
    "EUR": "Euro",
}


@dataclass
class Tenant:
    """One organisation: its settings and lookups, plus what the API has stored."""

    tenant_id: str
    name: str
    created: datetime
    organisation: dict[str, Any]
    accounts: list[dict[str, Any]]
    tax_rates: list[dict[str, Any]]
    items: dict[str, dict[str, Any]]
    currencies: list[dict[str, Any]]
    tenant_type: str = "ORGANISATION"
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoice_seq: int = 0
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    credit_notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    credit_note_seq: int = 0

    @property
    def base_currency(self) -> str:
        """The organisation's base currency code."""
        return self.organisation["BaseCurrency"]

    def account(self, code: str | None) -> dict | None:
        """The account with ``code``, if any."""
        return next((a for a in self.accounts if a["Code"] == code), None)

    def tax_rate(self, tax_type: str | None) -> dict | None:
        """The tax rate with ``tax_type``, if any."""
        return next((t for t in self.tax_rates if t["TaxType"] == tax_type), None)

    def item(self, code: str | None) -> dict | None:
        """The item with ``code``, if any."""
        return next((i for i in self.items.values() if i["Code"] == code), None)


def _account(code, name, kind, tax_type, status, system, now) -> dict:
    account = {
        "AccountID": new_id(),
        "Code": code,
        "Name": name,
        "Status": status,
        "Type": kind,
        "TaxType": tax_type,
        "Class": _CLASS[kind],
        "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": False,
        "BankAccountType": "BANK" if kind == "BANK" else "",
        "ReportingCode": _CLASS[kind][:3],
        "ReportingCodeName": _CLASS[kind].title(),
        "HasAttachments": False,
        "UpdatedDateUTC": now,
        "AddToWatchlist": False,
    }
    if system:
        account["SystemAccount"] = system
    if kind == "BANK":
        account["BankAccountNumber"] = "0102030405060708"
        account["CurrencyCode"] = "NZD"
    return account


def _tax_rate(tax_type, name, rate, revenue, expenses, status) -> dict:
    return {
        "Name": name,
        "TaxType": tax_type,
        "ReportTaxType": "OUTPUT" if revenue and not expenses else "INPUT",
        "CanApplyToAssets": True,
        "CanApplyToEquity": True,
        "CanApplyToExpenses": expenses,
        "CanApplyToLiabilities": True,
        "CanApplyToRevenue": revenue,
        "DisplayTaxRate": Decimal(rate),
        "EffectiveRate": Decimal(rate),
        "Status": status,
        "TaxComponents": [
            {"Name": "GST", "Rate": Decimal(rate), "IsCompound": False, "IsNonRecoverable": False}
        ],
    }


def new_item(code: str, name: str, description: str, price: Decimal | None, account, now) -> dict:
    """A sales item in Xero's shape (also used by PUT /Items)."""
    sales: dict[str, Any] = {"AccountCode": account, "TaxType": "OUTPUT2"}
    if price is not None:
        sales["UnitPrice"] = price
    return {
        "ItemID": new_id(),
        "Code": code,
        "Name": name,
        "Description": description,
        "IsSold": True,
        "IsPurchased": False,
        "IsTrackedAsInventory": False,
        "SalesDetails": sales,
        "PurchaseDetails": {},
        "UpdatedDateUTC": now,
    }


def new_tenant(
    name: str,
    tenant_id: str | None,
    now: datetime,
    base_currency: str = "NZD",
    country_code: str = "NZ",
    currencies: list[str] | None = None,
) -> Tenant:
    """A freshly seeded organisation called ``name``."""
    codes = [base_currency] + [c for c in (currencies or ["AUD", "USD"]) if c != base_currency]
    items = [new_item(c, n, d, Decimal(p), a, now) for c, n, d, p, a in _ITEMS]
    organisation = {
        "OrganisationID": new_id(),
        "APIKey": "FAKEAPIKEY0000000000000000000",
        "Name": name,
        "LegalName": name,
        "PaysTax": True,
        "Version": country_code if country_code in {"AU", "NZ", "UK", "US"} else "GLOBAL",
        "OrganisationType": "COMPANY",
        "BaseCurrency": base_currency,
        "CountryCode": country_code,
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 3,
        "SalesTaxBasis": "INVOICE",
        "SalesTaxPeriod": "TWOMONTHS",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": now,
        "OrganisationEntityType": "COMPANY",
        "Timezone": "NEWZEALANDSTANDARDTIME",
        "ShortCode": "!fake1",
        "Edition": "BUSINESS",
        "Class": "STANDARD",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    }
    return Tenant(
        tenant_id=tenant_id or new_id(),
        name=name,
        created=now,
        organisation=organisation,
        accounts=[_account(*row, now) for row in _ACCOUNTS],
        tax_rates=[_tax_rate(*row) for row in _TAX_RATES],
        items={i["ItemID"]: i for i in items},
        currencies=[{"Code": c, "Description": _CURRENCY_NAMES.get(c, c)} for c in codes],
    )
