"""The work the MSP records: customers, contracts, tickets, time and expenses."""

from flask import Blueprint

bp = Blueprint("work", __name__)

from blueprints.work import (  # noqa: E402,F401
    contracts,
    customer_payments,
    customers,
    ticket_items,
    ticket_resolution,
    tickets,
)
