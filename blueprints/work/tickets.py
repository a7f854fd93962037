"""Tickets, their time entries and expenses."""

from flask import render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from blueprints.work import bp
from models import Ticket, db

PAGE_SIZE = 50


@bp.route("/tickets")
def tickets():
    """All tickets, newest first."""
    query = (
        select(Ticket)
        .options(joinedload(Ticket.customer), joinedload(Ticket.contract))
        .order_by(Ticket.id.desc())
    )
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PAGE_SIZE)
    return render_template("work/tickets.html", tickets=page)
