""" "Sync now": read what changed in the connected ledgers, and send what is pending there.

One view serves the Billing page (every connected ledger) and Admin > Accounting (``to``
names one); it goes back to the page it came from.
"""

from flask import abort, flash, redirect, request

from billing.errors import Conflict
from billing.ledgers.sync import SyncReport, sync_all, sync_ledger
from billing.wording import counted
from blueprints.auth.access import admin_required
from blueprints.invoices import bp
from blueprints.safe_url import local_path
from models import Provider

SHOWN = 10  # change lines flashed after a sync; the rest are in Admin > Accounting


def flash_report(report: SyncReport) -> None:
    """The outcome of one sync as flash messages: what stopped it, or what it changed."""
    label = report.provider.label
    if report.error:
        flash(report.error, "error")
    if not report.changes:
        if not report.error:
            flash(f"Synced with {label}: nothing changed.", "success")
        return
    flash(f"Synced with {label}: {counted(len(report.changes), 'change')}.", "success")
    for line in report.changes[:SHOWN]:
        flash(line, "success")
    if len(report.changes) > SHOWN:
        flash(f"... and {len(report.changes) - SHOWN} more: see Admin > Accounting.", "success")


@bp.route("/ledgers/sync", methods=["POST"])
@admin_required
def sync_ledgers():
    """Sync one ledger (``to``) or every connected one, then go back to ``next``."""
    back = local_path(request.form.get("next"))
    wanted = request.form.get("to", "")
    if wanted:
        try:
            provider = Provider(wanted)
        except ValueError:
            abort(400, "Choose quickbooks or xero.")
        try:
            reports = [sync_ledger(provider)]
        except Conflict as error:
            flash(str(error), "error")
            return redirect(back)
    else:
        reports = sync_all()
        if not reports:
            flash("Connect QuickBooks Online or Xero in Admin > Accounting first.", "error")
    for report in reports:
        flash_report(report)
    return redirect(back)
