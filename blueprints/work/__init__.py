"""The work the MSP records: customers, contracts, tickets, time and expenses."""

from flask import Blueprint

bp = Blueprint("work", __name__)

from blueprints.work import contracts, customers, ticket_items, tickets  # noqa: E402,F401
