"""Contracts of every type: the list, pages and forms."""

from flask import render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from blueprints.work import bp
from models import Contract, Customer, db

PAGE_SIZE = 50


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
