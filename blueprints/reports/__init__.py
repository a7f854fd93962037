"""Reports: Receivables (aging, its drill-down, CSV) and customer statements (page, PDF, CSV,
email). Billing: ``blueprints.auth.access.BILLING_BLUEPRINTS`` names this one, so a user who
may not see billing gets 403 on every view here; sending a statement is for admins."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from blueprints.reports import receivables, statements  # noqa: E402,F401
