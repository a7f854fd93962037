"""Lists of customers, contracts and tickets."""

from flask import render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from blueprints.work import bp
from models import Contract, Customer, Ticket, db

PAGE_SIZE = 50


@bp.route("/customers")
def customers():
    """All customers by name."""
    query = select(Customer).order_by(Customer.name)
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PAGE_SIZE)
    return render_template("work/customers.html", customers=page)


@bp.route("/contracts")
def contracts():
    """All contracts, by customer then name."""
    query = (
        select(Contract)
        .join(Contract.customer)
        .options(joinedload(Contract.customer))
        .order_by(Customer.name, Contract.name)
    )
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PAGE_SIZE)
    return render_template("work/contracts.html", contracts=page)


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
