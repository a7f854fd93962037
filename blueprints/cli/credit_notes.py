"""``flask --app app credit-notes create --invoice NUMBER (--whole | --amount 120.00
[--tax-rate NAME] | --lines "1:2,3:0.5") --reason R [--date YYYY-MM-DD]`` and
``flask --app app credit-notes refund --credit-note NUMBER --amount A --date D --method bank``."""

from datetime import date
from decimal import Decimal

import click
from flask import Blueprint
from sqlalchemy import select

from billing.credit_notes.issue import issue_credit_note
from billing.credit_notes.refunds import record_refund
from billing.errors import BillingError, ValidationFailed
from billing.money import format_money, parse_amount
from billing.numbers import parse_quantity
from billing.settings import company_locale, get_settings
from blueprints.cli.payments import DAY, money_options
from clock import today
from models import CreditNote, Invoice, db

credit_notes_cli = Blueprint("credit_notes_cli", __name__, cli_group="credit-notes")

# What each option answers for, so a refusal names the option to fix.
OPTIONS = {
    "kind": "--whole",
    "reason": "--reason",
    "issue_date": "--date",
    "refund_date": "--date",
    "amount": "--amount",
    "tax_rate": "--tax-rate",
    "lines": "--lines",
    "method": "--method",
    "reference": "--reference",
}


def _refusal(error: BillingError) -> click.ClickException:
    """The click error for a refusal: beside the option it names (exit 2), else exit 1."""
    field = getattr(error, "field", None)
    if not isinstance(error, ValidationFailed) or field is None:
        return click.ClickException(str(error))
    hint = "--lines" if field.startswith("qty_") else OPTIONS.get(field, "--amount")
    return click.BadParameter(str(error), param_hint=hint)


def _chosen_lines(text: str, invoice: Invoice) -> dict[int, Decimal]:
    """``"1:2,3:0.5"`` (line positions as the invoice shows them, 1 first; quantities with a
    point) -> invoice line id -> quantity."""
    lines = list(invoice.lines)
    chosen: dict[int, Decimal] = {}
    for part in text.split(","):
        position, sep, quantity = part.strip().partition(":")
        position = position.strip()
        if not sep or not (position.isascii() and position.isdigit()):
            raise ValidationFailed(
                f'Write each line as position:quantity, e.g. "1:2,3:0.5" (not "{part.strip()}").',
                "lines",
            )
        index = int(position)
        if not 1 <= index <= len(lines):
            raise ValidationFailed(
                f"Invoice {invoice.number} has lines 1 to {len(lines)}; there is no line {index}.",
                "lines",
            )
        line_id = lines[index - 1].id
        if line_id in chosen:
            raise ValidationFailed(f"Line {index} is given twice.", "lines")
        chosen[line_id] = parse_quantity(quantity.strip(), field="lines", locale="en_US")
    return chosen


def _tax_rate_id(invoice: Invoice, name: str | None) -> int | None:
    """The rate named ``name`` on the invoice's lines; without a name, the invoice's only rate
    when it has no untaxed line (else None: untaxed)."""
    rates = {line.tax_name: line.tax_rate_id for line in invoice.lines if line.tax_rate_id}
    if name is None:
        untaxed = any(not (line.tax_name or line.tax_rate_id) for line in invoice.lines)
        return next(iter(rates.values())) if len(rates) == 1 and not untaxed else None
    for rate_name, rate_id in rates.items():
        if rate_name.casefold() == name.strip().casefold():
            return rate_id
    used = ", ".join(sorted(rates)) or "none"
    raise ValidationFailed(
        f"Invoice {invoice.number} has no line taxed at {name} (its rates: {used}).", "tax_rate"
    )


@credit_notes_cli.cli.command("create")
@click.option("--invoice", "number", required=True, help="The invoice credited (its number).")
@click.option("--whole", is_flag=True, help="Credit the whole invoice.")
@click.option("--amount", default=None, help="A net amount to credit, e.g. 120.00.")
@click.option("--tax-rate", default=None, help="The rate of --amount (one of the invoice's).")
@click.option("--lines", "chosen", default=None,
              help='Line positions and quantities to credit, e.g. "1:2,3:0.5".')  # fmt: skip
@click.option("--reason", required=True, help="Why (printed on the credit note).")
@click.option("--date", "issued_on", type=DAY, default=None,
              help="Its date (YYYY-MM-DD). Default: today.")  # fmt: skip
def create_command(
    number: str,
    whole: bool,
    amount: str | None,
    tax_rate: str | None,
    chosen: str | None,
    reason: str,
    issued_on,
) -> None:
    """Issue a credit note against an invoice: the whole of it, an amount, or chosen lines;
    prints its number, its total and the invoice's balance."""
    modes = [mode for mode, given in (("whole", whole), ("amount", amount is not None),
                                      ("lines", chosen is not None)) if given]  # fmt: skip
    if len(modes) != 1:
        raise click.UsageError("Give exactly one of --whole, --amount or --lines.")
    invoice = db.session.scalar(select(Invoice).where(Invoice.number == number.strip()))
    if invoice is None:
        raise click.BadParameter(f"There is no invoice {number}.", param_hint="--invoice")
    locale = company_locale(get_settings())
    try:
        kwargs: dict = {}
        if amount is not None:
            kwargs["amount_minor"] = parse_amount(
                amount, invoice.currency, field="amount", locale=locale
            )
            kwargs["tax_rate_id"] = _tax_rate_id(invoice, tax_rate)
        elif chosen is not None:
            kwargs["lines"] = _chosen_lines(chosen, invoice)
        note = issue_credit_note(
            invoice, kind=modes[0], reason=reason, user=None,
            issue_date=issued_on.date() if issued_on else today(), **kwargs,
        )  # fmt: skip
    except BillingError as error:
        db.session.rollback()
        raise _refusal(error) from None
    db.session.commit()

    def money(minor: int) -> str:
        return format_money(minor, invoice.currency, locale)

    said = (
        f"Credit note {note.number}: {money(note.total_minor)} credited on {invoice.number}; "
        f"balance due {money(invoice.balance_minor)} ({invoice.status.value.capitalize()})."
    )
    if note.released_minor:
        said += f" {money(note.released_minor)} already paid is the customer's credit."
    click.echo(said)


@credit_notes_cli.cli.command("refund")
@click.option("--credit-note", "number", required=True, help="The credit note (its number).")
@money_options("The day it was paid back (YYYY-MM-DD). Default: today.")
def refund_command(
    number: str, amount: str, paid_on, method: str, reference: str, note: str
) -> None:
    """Record a refund of what a credit note made the customer's credit; prints it and the
    invoice's status."""
    credit_note = db.session.scalar(select(CreditNote).where(CreditNote.number == number.strip()))
    if credit_note is None:
        raise click.BadParameter(f"There is no credit note {number}.", param_hint="--credit-note")
    locale = company_locale(get_settings())
    paid_date: date = paid_on.date() if paid_on else today()
    try:
        amount_minor = parse_amount(amount, credit_note.currency, field="amount", locale=locale)
        refund = record_refund(credit_note, paid_date, amount_minor, method, reference, note, None)
    except BillingError as error:
        db.session.rollback()
        raise _refusal(error) from None
    db.session.commit()
    invoice = credit_note.invoice
    click.echo(
        f"Refund #{refund.id}: {format_money(amount_minor, credit_note.currency, locale)} paid "
        f"back on credit note {credit_note.number}; invoice {invoice.number} is "
        f"{invoice.status.value.capitalize()}."
    )
