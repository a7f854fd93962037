"""``flask --app app payments record --invoice NUMBER --amount 120.00 --date 2026-12-01
--method bank --reference REF``."""

from collections.abc import Callable
from datetime import date

import click
from flask import Blueprint
from sqlalchemy import select

from billing.errors import BillingError, ValidationFailed
from billing.money import format_money, parse_amount
from billing.payments.store import record_payment
from billing.settings import company_locale, get_settings
from clock import today
from models import Invoice, PaymentMethod, db

payments_cli = Blueprint("payments_cli", __name__, cli_group="payments")

# What each option answers for, so a refusal names the option to fix.
OPTIONS = {"amount": "--amount", "method": "--method", "reference": "--reference"}
DAY = click.DateTime(["%Y-%m-%d"])


def money_options(date_help: str) -> Callable[[Callable], Callable]:
    """The options of money received or paid back: ``--amount``, ``--date`` (into ``paid_on``,
    described by ``date_help``), ``--method``, ``--reference`` and ``--note``."""
    methods = click.Choice([m.value for m in PaymentMethod])
    amount_help = "As typed in the company's locale, e.g. 120.00."
    options = [
        click.option("--amount", required=True, help=amount_help),
        click.option("--date", "paid_on", type=DAY, default=None, help=date_help),
        click.option("--method", type=methods, default="bank"),
        click.option("--reference", default="", help="The bank's or card's reference."),
        click.option("--note", default=""),
    ]

    def decorate(command: Callable) -> Callable:
        for option in reversed(options):  # as if stacked in this order above the command
            command = option(command)
        return command

    return decorate


@payments_cli.cli.command("record")
@click.option("--invoice", "number", required=True, help="The invoice paid (its number).")
@money_options("The day it was paid (YYYY-MM-DD). Default: today.")
def record_command(
    number: str, amount: str, paid_on, method: str, reference: str, note: str
) -> None:
    """Record a payment of one invoice's customer, applied to that invoice (what is more than
    its balance is refused); prints what was applied and the new balance."""
    invoice = db.session.scalar(select(Invoice).where(Invoice.number == number.strip()))
    if invoice is None:
        raise click.BadParameter(f"There is no invoice {number}.", param_hint="--invoice")
    locale = company_locale(get_settings())
    paid_date: date = paid_on.date() if paid_on else today()
    try:
        amount_minor = parse_amount(amount, invoice.currency, field="amount", locale=locale)
        payment = record_payment(
            invoice.customer, paid_date, amount_minor, invoice.currency, method, reference,
            note, {invoice.id: amount_minor}, None,
        )  # fmt: skip
    except ValidationFailed as error:
        db.session.rollback()
        hint = OPTIONS.get(error.field or "", "--amount")
        raise click.BadParameter(str(error), param_hint=hint) from None
    except BillingError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    applied = format_money(amount_minor, invoice.currency, locale)
    balance = format_money(invoice.balance_minor, invoice.currency, locale)
    click.echo(
        f"Payment #{payment.id}: {applied} applied to {invoice.number}; "
        f"balance due {balance} ({invoice.status.value.capitalize()})."
    )
