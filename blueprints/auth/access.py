"""Who may see what: every endpoint needs a login except the few listed as public."""

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, redirect, request, url_for
from flask_htmx.responses import HTMXResponseClientRedirect
from flask_login import current_user

from billing.process_cache import session_user
from blueprints.auth import bp
from extensions import htmx, login_manager
from models import User

# Endpoints reachable without a login. Everything else is denied by default.
# The ledgers' webhooks are public: their signatures, checked on every call, stand in for a login.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "webhooks.quickbooks", "webhooks.xero"})
# Billing: every view of these blueprints, and the Billing page's own endpoints.
BILLING_BLUEPRINTS = frozenset({"invoices", "batches", "credit_notes", "reports"})
BILLING_ENDPOINTS = frozenset({"main.billing", "main.billing_totals", "main.bulk_status"})
NO_BILLING = (
    "Billing (invoices, batches and their amounts) is not open to you. An admin can allow it "
    "on your user in Admin > Users."
)

login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to continue."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The logged-in user, if the session's token is still the user's (see
    ``User.get_id``); inactive users are refused by Flask-Login itself."""
    ident, _, token = user_id.partition(".")
    if not ident.isascii() or not ident.isdigit() or not token or len(ident) > 18:
        return None
    user = session_user(int(ident))  # kept per worker while current (billing.process_cache)
    if user is None or not secrets.compare_digest(user.session_token, token):
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized() -> Any:
    """Send the visitor to the login page; htmx gets ``HX-Redirect`` instead of a swap."""
    wanted = request.full_path.rstrip("?") if request.method == "GET" else None
    target = url_for("auth.login", next=wanted)
    if htmx:
        return HTMXResponseClientRedirect(target, status=401)
    return redirect(target)


@bp.before_app_request
def require_login() -> Any:
    """Default deny: no endpoint but the public ones runs without a logged-in user."""
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return unauthorized()


def is_billing_endpoint(endpoint: str | None) -> bool:
    """Whether ``endpoint`` shows or changes billing (invoices, batches, amounts billed)."""
    if not endpoint:
        return False
    return endpoint in BILLING_ENDPOINTS or endpoint.partition(".")[0] in BILLING_BLUEPRINTS


@bp.before_app_request
def require_billing_permission() -> Any:
    """The one check of the billing permission: a user who may not see billing gets 403, in
    words, on every billing view (see ``User.sees_billing``); runs after the login check."""
    if not current_user.is_authenticated or current_user.sees_billing:
        return None
    if is_billing_endpoint(request.endpoint):
        abort(403, NO_BILLING)
    return None


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let only admins through; technicians get 403."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
