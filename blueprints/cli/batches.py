"""``flask --app app batches create``: the monthly cron job."""

import click
from flask import Blueprint
from sqlalchemy import func, select

from billing.batch_preview import BatchRequest
from billing.batches import save_batch
from billing.clock import today
from billing.errors import BillingError
from billing.money import format_money
from billing.settings import company_locale, get_settings
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
def create_batch_command(start, end, name: str, customers: tuple[str, ...]) -> None:
    """Bill a period as the batch builder would, and print the invoices made."""
    request = BatchRequest(
        start.date(), end.date(), name=name, customer_ids=_customer_ids(customers)
    )
    try:
        batch = save_batch(request, None, today())
        db.session.commit()
    except BillingError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    locale = company_locale(get_settings())
    click.echo(f"Batch {batch.name}: {len(batch.invoices)} draft invoices.")
    for invoice in sorted(batch.invoices, key=lambda i: i.number):
        total = format_money(invoice.total_minor, invoice.currency, locale)
        click.echo(f"{invoice.number}  {invoice.customer.name}  {total}")
