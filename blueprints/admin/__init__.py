"""Admin: settings, taxes, rates, products and users. Admins only."""

from flask import Blueprint, abort
from flask_login import current_user

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_admin() -> None:
    """Every admin page is for admins; technicians get 403."""
    if not current_user.is_admin:
        abort(403)


from blueprints.admin import (  # noqa: E402,F401
    accounting,
    accounting_mapping,
    products,
    rates,
    reminders,
    routes,
    settings,
    taxes,
    users,
)
