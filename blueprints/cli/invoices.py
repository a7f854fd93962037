"""``flask --app app invoices send NUMBER``, ``invoices pdf NUMBER --out FILE``,
``invoices xml NUMBER --format FORMAT --out FILE``, ``invoices status NUMBER... --to STATUS``
and ``invoices export NUMBER --to LEDGER``."""

from pathlib import Path

import click
from flask import Blueprint
from sqlalchemy import select

from billing.einvoice.outputs import invoice_file
from billing.errors import BillingError, ValidationFailed
from billing.invoices.mailer import default_subject_body, send_invoice
from billing.invoices.pdf import render_invoice_pdf
from billing.invoices.status import change_statuses
from billing.users import split_addresses
from models import Invoice, InvoiceStatus, db

invoices_cli = Blueprint("invoices_cli", __name__, cli_group="invoices")


def _invoice(number: str) -> Invoice:
    invoice = db.session.scalar(select(Invoice).where(Invoice.number == number.strip()))
    if invoice is None:
        raise click.BadParameter(f"There is no invoice {number}.", param_hint="NUMBER")
    return invoice


def _write(out: Path, data: bytes) -> None:
    """``data`` to the file ``out``, or to standard output for "-"."""
    if str(out) == "-":
        click.get_binary_stream("stdout").write(data)
        return
    out.write_bytes(data)
    click.echo(f"Wrote {out} ({len(data):,} bytes).")


@invoices_cli.cli.command("send")
@click.argument("number")
@click.option(
    "--to",
    "recipients",
    multiple=True,
    help="Recipient (repeatable, or comma-separated). Default: the invoice's billing emails.",
)
def send_command(number: str, recipients: tuple[str, ...]) -> None:
    """Email an invoice with its PDF, with the settings' subject and body.

    Through SMTP when MAIL_SERVER is set, else written to the instance's outbox folder. Exits 1
    with the mail server's error when it refuses; the invoice is then unchanged.
    """
    invoice = _invoice(number)
    addresses = [a for value in recipients for a in split_addresses(value)]
    addresses = addresses or split_addresses(invoice.bill_to_emails)
    subject, body = default_subject_body(invoice)
    try:
        result = send_invoice(invoice, addresses, subject, body, None)
    except ValidationFailed as error:
        raise click.BadParameter(str(error), param_hint="--to") from None
    except BillingError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Invoice {invoice.number}: {result.message}")


@invoices_cli.cli.command("pdf")
@click.argument("number")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
    help='The PDF file to write ("-" for standard output).',
)
def pdf_command(number: str, out: Path) -> None:
    """Write an invoice's PDF, exactly as downloaded from its page."""
    invoice = _invoice(number)
    try:
        data = render_invoice_pdf(invoice)
    except BillingError as error:
        raise click.ClickException(str(error)) from None
    _write(out, data)


@invoices_cli.cli.command("xml")
@click.argument("number")
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(["peppol", "xrechnung", "cii", "facturx"]),
    help="Peppol BIS 3.0 or XRechnung 3.0 (UBL), EN 16931 CII, or the Factur-X PDF.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
    help='The file to write ("-" for standard output).',
)
def xml_command(number: str, fmt: str, out: Path) -> None:
    """Write an invoice's e-invoice, exactly as downloaded from its page; exits 1 saying what
    to fill in when a detail the format needs is missing."""
    invoice = _invoice(number)
    try:
        data = invoice_file(invoice, fmt).content
    except BillingError as error:
        raise click.ClickException(str(error)) from None
    _write(out, data)


@invoices_cli.cli.command("status")
@click.argument("numbers", nargs=-1, required=True)
@click.option("--to", "status", required=True, type=click.Choice([s.value for s in InvoiceStatus]))
@click.option("--why", default="Changed from the command line.", help="Recorded in the trail.")
def status_command(numbers: tuple[str, ...], status: str, why: str) -> None:
    """Move invoices to a status along the allowed transitions, as the Billing page's bulk
    action does; exits 1 when one of them could not be changed."""
    ids = [_invoice(number).id for number in numbers]
    outcome = change_statuses(ids, InvoiceStatus(status), None, why)
    db.session.commit()
    for message, kind in outcome.messages():
        click.echo(message, err=kind == "error")
    if outcome.refused:
        raise SystemExit(1)


@invoices_cli.cli.command("export")
@click.argument("number")
@click.option("--to", "provider", required=True, type=click.Choice(["quickbooks", "xero"]))
def export_command(number: str, provider: str) -> None:
    """Export an invoice to the connected ledger (again: its copy there is updated)."""
    from billing.ledgers.export import export_invoices
    from models import Provider

    invoice = _invoice(number)
    try:
        (outcome,) = export_invoices([invoice], Provider(provider), None)
    except BillingError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    if not outcome.ok:
        raise click.ClickException(outcome.message)
    click.echo(outcome.message)
