"""Credit notes: issuing one from an invoice, its page, PDF and email, refunds paid from it, and
the Billing page's "Credit notes" tab.

Billing, as the invoices are: ``blueprints.auth.access.BILLING_BLUEPRINTS`` names this one, so
a user who may not see billing gets 403 on every view here.
"""

from flask import Blueprint

bp = Blueprint("credit_notes", __name__)

from blueprints.credit_notes import delivery, routes  # noqa: E402,F401
