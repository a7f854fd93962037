"""Webhooks from QuickBooks Online and Xero: public (no login, no CSRF token: the ledgers'
signatures stand in for both), and each verified call only asks for a sync
(:mod:`billing.ledgers.webhooks`)."""

from flask import Blueprint

from extensions import csrf

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)

from blueprints.webhooks import routes  # noqa: E402,F401
