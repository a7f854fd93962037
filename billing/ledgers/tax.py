"""QuickBooks' two tax models, and how our tax rates are sent in each.

- **Global** (UK, CA, AU, ... companies): every line carries a tax code id; the mapping names one
  for each of our rates and for untaxed lines. Xero works this way too.
- **US**: a line only says ``TAX`` or ``NON``; the invoice has one sales tax
  (``TxnTaxDetail.TxnTaxCodeRef``, a rate or a combined rate of the company). Each of our rates
  is mapped to such a code; an invoice whose taxed lines map to different codes cannot be sent,
  because QuickBooks would charge one rate on all of them.
- **US with automated sales tax** (AST): QuickBooks works the tax out from the addresses; lines
  say ``TAX`` or ``NON`` and no code is sent. What it charges is read back and compared.

The model is read from ``CompanyInfo.Country`` and ``Preferences.TaxPrefs`` when connecting and
whenever the mapping page opens.
"""

from typing import Any

from billing.catalog import tax_label
from integrations.ledger_errors import NotSent

GLOBAL, US, US_AST = "global", "us", "us_ast"
TAX, NON = "TAX", "NON"
LABELS = {
    GLOBAL: "a tax code per line",
    US: "US sales tax: one rate per invoice",
    US_AST: "US automated sales tax: QuickBooks works it out",
}


def detect_tax_model(company_info: dict[str, Any], preferences: dict[str, Any]) -> str:
    """The model of a QuickBooks company from its CompanyInfo and Preferences."""
    country = str(company_info.get("Country") or "").strip().upper()
    if country not in ("US", "USA"):
        return GLOBAL
    prefs = preferences.get("TaxPrefs") or {}
    return US_AST if prefs.get("PartnerTaxEnabled") is True else US


def tax_key(line) -> str:
    """The mapping key of a line's tax: ``tax:<our tax rate id>`` or ``tax:none``."""
    return f"tax:{line.tax_rate_id}" if (line.tax_rate_id or line.tax_name) else "tax:none"


def is_taxed(line) -> bool:
    """Whether a line carries one of our tax rates above zero."""
    return bool(line.tax_rate_id or line.tax_name) and (line.tax_percent or 0) > 0


def us_line_code(line) -> str:
    """``TAX`` or ``NON``: all a US QuickBooks line may say about tax."""
    return TAX if is_taxed(line) else NON


def us_invoice_code(invoice, mapping: dict[str, str], tax_model: str) -> str | None:
    """The one sales tax code of a US invoice (None: untaxed, or AST works it out).

    :raise NotSent: its taxed lines map to different QuickBooks codes.
    """
    if tax_model != US:
        return None
    codes: dict[str, set[str]] = {}
    for line in invoice.lines:
        if is_taxed(line):
            name = tax_label(line.tax_name, line.tax_percent)
            codes.setdefault(mapping[tax_key(line)], set()).add(name)
    if len(codes) <= 1:
        return next(iter(codes), None)
    rates = sorted(name for names in codes.values() for name in names)
    raise NotSent(
        f"QuickBooks (US) charges one sales tax per invoice, but {invoice.number} has "
        f"{len(rates)} of your tax rates ({', '.join(rates)}) mapped to different QuickBooks "
        "tax codes. Map them all to one combined rate in Admin > Accounting > Map items and "
        "taxes (create the combined rate in QuickBooks first if it has none), or bill them on "
        "separate invoices. Nothing was sent.",
        "multiple_sales_taxes",
        provider="quickbooks",
    )
