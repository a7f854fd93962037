"""``flask --app app ledgers sync``: read what changed in the connected ledgers and send what
is pending there; for cron (prints what it changed)."""

import click
from flask import Blueprint

from billing.errors import Conflict
from billing.ledgers.sync import sync_all, sync_ledger
from models import Provider

ledgers_cli = Blueprint("ledgers_cli", __name__, cli_group="ledgers")


@ledgers_cli.cli.command("sync")
@click.option(
    "--ledger",
    type=click.Choice([p.value for p in Provider]),
    help="Only this ledger (default: every connected one).",
)
@click.option(
    "--requested-only",
    is_flag=True,
    help="Only ledgers whose webhook said something changed since the last sync.",
)
def sync_command(ledger: str | None, requested_only: bool) -> None:
    """Sync the connected ledgers: payments, credits and voided or deleted invoices come in;
    credit notes, payments and refunds recorded here go out. Prints one line per change.
    Exits 1 when a sync stopped (its reason is printed; nothing half-done is kept)."""
    if ledger:
        try:
            reports = [sync_ledger(Provider(ledger))]
        except Conflict as error:
            raise click.ClickException(str(error)) from None
    else:
        reports = sync_all(requested_only=requested_only)
        if not reports:
            click.echo("Nothing to sync: no ledger is connected" +
                       (" or asked for a sync." if requested_only else "."))  # fmt: skip
            return
    for report in reports:
        label = report.provider.label
        for line in report.changes:
            click.echo(f"{label}: {line}")
        if report.error:
            click.echo(f"{label}: {report.error}", err=True)
        else:
            click.echo(f"{label}: {report.summary}")
    if any(report.error for report in reports):
        raise SystemExit(1)
