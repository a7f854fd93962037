"""Invoices: the invoice page, flexible invoices and their lines, statuses, PDF and email."""

from flask import Blueprint

bp = Blueprint("invoices", __name__, url_prefix="/invoices")

from blueprints.invoices import (  # noqa: E402,F401
    bulk_jobs,
    delivery,
    einvoices,
    export,
    ledger_sync,
    lines,
    payments,
    reminders,
    routes,
)
