"""The Billing page: invoices, newest number first."""

from flask import redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from blueprints.main import bp
from models import Invoice, db

PAGE_SIZE = 50


@bp.route("/")
def index():
    """Home is the Billing page."""
    return redirect(url_for("main.billing"))


@bp.route("/billing")
def billing():
    """List invoices, newest number first, a page at a time."""
    page = request.args.get("page", 1, type=int)
    query = (
        select(Invoice)
        .options(joinedload(Invoice.customer), joinedload(Invoice.batch))
        .order_by(Invoice.id.desc())
    )
    invoices = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template("main/billing.html", invoices=invoices)
