"""The admin overview."""

from flask import render_template
from sqlalchemy import func, select

from billing.invoices.numbering import format_number
from billing.settings import default_currency, get_settings
from blueprints.admin import bp
from models import Product, Rate, Role, TaxRate, User, db


def _count(column, *where) -> int:
    return db.session.scalar(select(func.count(column)).where(*where)) or 0


@bp.route("/")
def index():
    """The admin overview: each area, with what is set up in it so far."""
    settings = get_settings()
    default_tax = db.session.scalar(select(TaxRate).where(TaxRate.is_default.is_(True)))
    return render_template(
        "admin/index.html",
        settings=settings,
        currency=default_currency(settings),
        next_number=format_number(settings.invoice_prefix, settings.next_invoice_number),
        default_tax=default_tax,
        taxes=_count(TaxRate.id, TaxRate.active.is_(True)),
        rates=_count(Rate.id, Rate.active.is_(True)),
        products=_count(Product.id, Product.active.is_(True)),
        users=_count(User.id, User.active.is_(True)),
        admins=_count(User.id, User.active.is_(True), User.role == Role.ADMIN),
    )
