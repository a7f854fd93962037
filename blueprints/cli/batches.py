"""``flask --app app batches create`` (the monthly cron job) and ``batches list``."""

import click
from flask import Blueprint
from sqlalchemy import func, select

from billing.batches.listing import BATCH_LIST_LIMIT, batch_list
from billing.batches.preview import BatchRequest
from billing.batches.save import save_and_export
from billing.errors import BillingError
from billing.money import format_money
from billing.settings import company_locale, get_settings
from billing.wording import counted
from clock import today
from models import Customer, db

batches_cli = Blueprint("batches_cli", __name__, cli_group="batches")


def _customer_ids(names: tuple[str, ...]) -> set[int]:
    ids = set()
    for name in names:
        customer_id = db.session.scalar(
            select(Customer.id).where(func.lower(Customer.name) == name.strip().lower())
        )
        if customer_id is None:
            raise click.BadParameter(f"No customer is named {name!r}.", param_hint="--customer")
        ids.add(customer_id)
    return ids


@batches_cli.cli.command("create")
@click.option("--start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--name", default="", help="Batch name (default: the month, e.g. Oct 2026).")
@click.option("--customer", "customers", multiple=True, help="Only this customer (repeatable).")
@click.option(
    "--export/--no-export",
    default=None,
    help="Export to the ledger (default: as Admin > Accounting says for a saved batch).",
)
def create_batch_command(start, end, name: str, customers: tuple[str, ...], export) -> None:
    """Bill a period as the batch builder would (and export it as saving there does); print
    the invoices made and what the export did."""
    request = BatchRequest(
        start.date(), end.date(), name=name, customer_ids=_customer_ids(customers)
    )
    try:
        outcome = save_and_export(request, None, today(), export=export)
    except BillingError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    locale = company_locale(get_settings())
    messages = outcome.messages()
    click.echo(messages[0][0])
    for invoice in sorted(outcome.batch.invoices, key=lambda i: i.number):
        total = format_money(invoice.total_minor, invoice.currency, locale)
        click.echo(f"{invoice.number}  {invoice.customer.name}  {total}")
    for message, _ in messages[1:]:
        click.echo(message, err=True)


@batches_cli.cli.command("list")
@click.option(
    "--limit", default=BATCH_LIST_LIMIT, show_default=True, type=click.IntRange(1, 10_000)
)
def list_batches_command(limit: int) -> None:
    """The batches, newest first, as the Batches page lists them: id, name, period, invoices
    and total."""
    locale = company_locale(get_settings())
    for row in batch_list(limit):
        batch = row.batch
        if row.currencies == 1 and row.total_minor is not None:
            total = format_money(row.total_minor, row.currency, locale)
        else:
            total = "several currencies" if row.currencies else ""
        period = f"{batch.period_start.isoformat()} to {batch.period_end.isoformat()}"
        invoices = counted(row.invoices, "invoice")
        click.echo(f"{batch.id}  {batch.name}  {period}  {invoices}  {total}".rstrip())
