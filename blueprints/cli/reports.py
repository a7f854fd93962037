"""``flask --app app reports aging [--as-of DATE] [--csv]``: the receivables by age, as the
Receivables page shows them (``billing.reports.aging``)."""

import click
from flask import Blueprint

from billing.errors import ValidationFailed
from billing.money import format_money
from billing.reports.aging import BUCKET_KEYS, BUCKET_LABELS, AgingReport, aging_report
from billing.reports.csv_text import aging_csv
from billing.reports.dates import parse_day
from billing.settings import company_locale, get_settings
from clock import today

reports_cli = Blueprint("reports_cli", __name__, cli_group="reports")

CUSTOMER_WIDTH = 30


@reports_cli.cli.command("aging")
@click.option("--as-of", "as_of", default="", help="The day (YYYY-MM-DD). Default: today.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV (a row per customer and currency).")
def aging_command(as_of: str, as_csv: bool) -> None:
    """Print what each customer owes by days past due, per currency, with the totals."""
    try:
        day = parse_day(as_of, today(), field="as_of")
    except ValidationFailed as error:
        raise click.BadParameter(str(error), param_hint="--as-of") from None
    report = aging_report(day)
    if as_csv:
        click.echo(aging_csv(report), nl=False)
        return
    click.echo(aging_table(report))


def aging_table(report: AgingReport) -> str:
    """The report as text: per currency, a row per customer, a column per bucket, the totals."""
    locale = company_locale(get_settings())
    lines = [f"Receivables as of {report.as_of.isoformat()}"]
    if not report.currencies:
        lines.append("Nothing is owed.")
        return "\n".join(lines)
    labels = [BUCKET_LABELS[k] for k in BUCKET_KEYS] + ["Total"]
    for group in report.currencies:

        def money(minor: int, currency: str = group.currency) -> str:
            return format_money(minor, currency, locale)

        table = [[row.customer_name[:CUSTOMER_WIDTH]]
                 + [money(row.amounts[k]) for k in BUCKET_KEYS] + [money(row.total_minor)]
                 for row in group.rows]  # fmt: skip
        table.append([f"Total {group.currency}"]
                     + [money(group.totals[k]) for k in BUCKET_KEYS]
                     + [money(group.total_minor)])  # fmt: skip
        header = [f"Customer ({group.currency})", *labels]
        widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]

        def fmt(cells: list[str], w: list[int] = widths) -> str:
            first = cells[0].ljust(w[0])
            return "  ".join([first, *(c.rjust(n) for c, n in zip(cells[1:], w[1:], strict=True))])

        lines += ["", fmt(header), "  ".join("-" * n for n in widths)]
        lines += [fmt(r) for r in table[:-1]]
        lines += ["  ".join("-" * n for n in widths), fmt(table[-1])]
    return "\n".join(lines)
