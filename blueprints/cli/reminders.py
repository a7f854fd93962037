"""``flask --app app reminders send [--dry-run]``: the overdue reminders due today, for cron."""

import click
from flask import Blueprint

from billing.reminders.send import DueReminder, plan_reminders, send_due
from billing.wording import counted
from clock import today

reminders_cli = Blueprint("reminders_cli", __name__, cli_group="reminders")


def _line(due: DueReminder) -> str:
    return f"{due.number} · {due.customer} · {due.step} · {', '.join(due.recipients)}"


@reminders_cli.cli.command("send")
@click.option("--dry-run", is_flag=True, help="Print what is due without sending anything.")
def send_command(dry_run: bool) -> None:
    """Email every overdue reminder due today (one per invoice: the highest step reached, never
    a step twice), each with its PDF; prints one line per invoice and a summary. Exits 1 when
    any failed (printed with the server's words; the step is tried again next run)."""
    if dry_run:
        plan = plan_reminders(today())
        for due in plan.sent:
            click.echo(f"Would send: {_line(due)}")
        _no_email(plan.no_email)
        if not plan.sent:
            click.echo("No reminders are due.")
        else:
            click.echo(f"{counted(len(plan.sent), 'reminder')} due; nothing sent (dry run).")
        return
    report = send_due(today())
    for due in report.sent:
        click.echo(f"Sent: {_line(due)}")
    for due, reason in report.failed:
        click.echo(f"Failed: {_line(due)}: {reason}", err=True)
    for due in report.skipped:
        click.echo(f"Skipped (sent meanwhile by another run): {_line(due)}")
    _no_email(report.no_email)
    if not (report.sent or report.failed or report.skipped):
        click.echo("No reminders are due.")
        return
    summary = f"{counted(len(report.sent), 'reminder')} sent"
    if report.failed:
        summary += f", {len(report.failed)} failed"
    if report.skipped:
        summary += f", {len(report.skipped)} skipped"
    click.echo(summary + ".")
    if report.failed:
        raise SystemExit(1)


def _no_email(numbers: list[str]) -> None:
    if numbers:
        click.echo(
            f"No email address, so no reminder: {', '.join(numbers)} "
            "(add a billing email to the customer)."
        )
