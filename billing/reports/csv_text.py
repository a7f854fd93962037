"""The CSV downloads of the reports: money as plain decimals in the currency's minor digits
(1234.50; 1234 for yen), dates as YYYY-MM-DD, so that a spreadsheet reads them as numbers
whatever its language."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from billing.money import from_minor
from billing.reports.aging import BUCKET_KEYS, BUCKET_LABELS, AgingReport
from billing.reports.statement import Statement


def plain_amount(minor: int, currency: str) -> str:
    """``123450`` USD as ``1234.50``: no grouping, no symbol, a point."""
    return str(from_minor(minor, currency))


def _text(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue()


def aging_csv(report: AgingReport) -> str:
    """One row per customer and currency: a column per bucket and the total."""
    header = ["Customer", "Currency", *(BUCKET_LABELS[k] for k in BUCKET_KEYS), "Total"]
    rows = [header]
    for row in report.rows:
        amounts = [plain_amount(row.amounts[k], row.currency) for k in BUCKET_KEYS]
        total = plain_amount(row.total_minor, row.currency)
        rows.append([_safe(row.customer_name), row.currency, *amounts, total])
    return _text(rows)


def statement_csv(statement: Statement) -> str:
    """The statement's lines: the opening balance, each movement, the closing balance."""
    currency = statement.currency

    def money(minor: int) -> str:
        return plain_amount(minor, currency)

    opening = statement.opening_minor
    rows = [["Date", "Type", "Number", "Details", "Amount", "Balance", "Currency"]]
    rows.append([statement.start.isoformat(), "Opening balance", "", "", "", money(opening),
                 currency])  # fmt: skip
    for m in statement.movements:
        rows.append([m.day.isoformat(), m.label, _safe(m.number), _safe(m.detail),
                     money(m.amount_minor), money(m.balance_minor), currency])  # fmt: skip
    rows.append([statement.end.isoformat(), "Closing balance", "", "", "",
                 money(statement.closing_minor), currency])  # fmt: skip
    return _text(rows)


def _safe(text: str) -> str:
    # A cell a spreadsheet would run as a formula (=, +, -, @) is kept as text.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
