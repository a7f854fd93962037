"""Customers: the list, pages and forms."""

from flask import render_template, request
from sqlalchemy import select

from blueprints.work import bp
from models import Customer, db

PAGE_SIZE = 50


@bp.route("/customers")
def customers():
    """All customers by name."""
    query = select(Customer).order_by(Customer.name)
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PAGE_SIZE)
    return render_template("work/customers.html", customers=page)
