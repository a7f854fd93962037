"""Sales tax of the fake QBO's invoices in its two tax models (the tables are in qbo_seed).

- "us": each sales line is ``TAX`` or ``NON``. The invoice names one sales tax code or combined
  group in ``TxnTaxDetail.TxnTaxCodeRef``; its rate applies to the sum of the TAX lines. Without
  one, the tax is 0: QBO would fall back on a default the fake cannot know, so a client must not
  rely on it. With Automated Sales Tax QBO picks the rate itself: the fake uses
  ``QboConfig.ast_rate`` and ignores the code sent ([unverified] whether real AST refuses it).
- "global" (UK style): each sales line carries a numeric tax code; per code, the tax is the sum
  of its lines times its rate.

Tax is rounded half up, once per code (``tax_rounding="per_rate"`` rounds each rate of a group
instead). ``TotalTax`` and ``TaxLine`` sent by the client are ignored: the fake computes its own.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.fakes import qbo_faults
from tests.fakes.qbo_common import Context, cents, find, ref_id
from tests.fakes.qbo_seed import PSEUDO_TAX_CODES

RATE_NAMES = {"CA": "GST/HST", "AU": "GST"}  # what the missing-rate message calls the tax
ZERO = Decimal("0")


def line_tax_code(ctx: Context, detail: dict[str, Any], item: dict[str, Any]) -> str:
    """The validated ``TaxCodeRef`` id of a sales line."""
    code = ref_id(detail.get("TaxCodeRef"))
    if ctx.config.tax_model == "us":
        code = code or ("TAX" if item.get("Taxable") else "NON")
        if code in PSEUDO_TAX_CODES:
            return code
        find(ctx, "TaxCode", code, kind="TaxCode")
        raise qbo_faults.business_error(  # [unverified] code and wording
            f"Tax code {code} is not valid for a line in a US company; use TAX or NON"
        )
    if code is None:  # observed for Canada (6000, "GST/HST"); the VAT wording [unverified]
        rate_name = RATE_NAMES.get(ctx.config.company_country, "VAT")
        raise qbo_faults.business_error(
            f"Make sure all your transactions have a {rate_name} rate before you save."
        )
    find(ctx, "TaxCode", code, kind="TaxCode")  # TAX/NON do not exist here: 2500
    return code


def global_tax_calculation(ctx: Context, value: Any) -> str | None:
    """``GlobalTaxCalculation`` to store: none for US companies, which have no such setting
    (python-quickbooks always sends "TaxExcluded"); only TaxExcluded for the global model."""
    if ctx.config.tax_model == "us":
        return None
    if value not in (None, "TaxExcluded"):  # tax-inclusive amounts are not implemented
        raise qbo_faults.invalid_property(
            f"Property Name:GlobalTaxCalculation {value} is not supported by the fake QuickBooks "
            "server"
        )
    return "TaxExcluded"


def _code_tax(ctx: Context, code_id: str, net: Decimal) -> tuple[Decimal, list[dict]]:
    code = find(ctx, "TaxCode", code_id, kind="TaxCode")
    lines = []
    for detail in (code.get("SalesTaxRateList") or {}).get("TaxRateDetail", []):
        rate = ctx.realm.entities["TaxRate"][detail["TaxRateRef"]["value"]]
        lines.append(_tax_line(net, rate["RateValue"], {"value": rate["Id"], "name": rate["Name"]}))
    if ctx.config.tax_rounding == "per_rate":
        return sum((line["Amount"] for line in lines), ZERO), lines
    percent = sum((line["TaxLineDetail"]["TaxPercent"] for line in lines), ZERO)
    tax = cents(net * percent / 100)
    if lines:  # the group's parts add up to its once-rounded tax
        lines[-1]["Amount"] += tax - sum((line["Amount"] for line in lines), ZERO)
    return tax, lines


def _tax_line(net: Decimal, percent: Decimal, rate_ref: dict | None) -> dict[str, Any]:
    detail: dict[str, Any] = {"PercentBased": True, "TaxPercent": percent, "NetAmountTaxable": net}
    if rate_ref:
        detail = {"TaxRateRef": rate_ref, **detail}
    return {
        "Amount": cents(net * percent / 100),
        "DetailType": "TaxLineDetail",
        "TaxLineDetail": detail,
    }


def txn_tax_detail(ctx: Context, sent: Any, per_code: dict[str, Decimal]) -> dict[str, Any]:
    """``TxnTaxDetail`` as QBO computes it, from the sales lines' amounts per line tax code."""
    config = ctx.config
    if config.tax_model == "global":
        total, tax_lines = ZERO, []
        for code, net in per_code.items():
            tax, lines = _code_tax(ctx, code, net)
            total += tax
            tax_lines += lines
        return {"TotalTax": total, "TaxLine": tax_lines}
    taxable = per_code.get("TAX", ZERO)
    if config.automated_sales_tax:
        line = _tax_line(taxable, config.ast_rate, None)
        return {"TotalTax": line["Amount"], "TaxLine": [line] if taxable else []}
    code = ref_id(sent.get("TxnTaxCodeRef")) if isinstance(sent, dict) else None
    if code is None:
        return {"TotalTax": ZERO, "TaxLine": []}
    if code in PSEUDO_TAX_CODES:
        raise qbo_faults.business_error(  # [unverified] code and wording
            f"Tax code {code} is for lines; TxnTaxCodeRef must be a sales tax code or combined rate"
        )
    tax, lines = _code_tax(ctx, code, taxable)
    return {"TxnTaxCodeRef": {"value": code}, "TotalTax": tax, "TaxLine": lines}
