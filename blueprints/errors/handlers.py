"""Handlers for 400 (CSRF), 403, 404, 409/422 (domain errors and writers colliding), 429, 500
and 503 (the database cannot be reached).

Error pages never need the database: when it fails while the usual layout is drawn (it reads
the settings and the logged-in user), the page is drawn with the error layout alone.
"""

from contextlib import suppress

from flask import current_app, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import exc as orm_exc
from werkzeug.exceptions import HTTPException

from billing.db_errors import SIMULTANEOUS_CHANGE, UNREACHABLE, is_unreachable, is_write_conflict
from billing.errors import BillingError
from blueprints.errors import bp
from extensions import htmx
from models import db

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Not possible now",
    413: "Upload too large",
    422: "Please check the input",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Database unavailable",
}
RETRY_AFTER_SECONDS = 60


def error_response(status: int, message: str, headers: dict | None = None, *, bare: bool = False):
    """A full error page, or for htmx a fragment swapped into the flash area.

    ``bare``: drawn without touching the database (not even to load the logged-in user).
    """
    title = TITLES.get(status, "Error")
    headers = dict(headers or {})
    if htmx and not htmx.boosted:
        body = _render("errors/_error.html", bare, title=title, message=message)
        return body, status, {**headers, "HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
    page = _render("errors/error.html", bare, title=title, message=message, status=status)
    return page, status, headers


def _render(template: str, bare: bool, **context) -> str:
    if not bare:
        try:
            return render_template(template, layout="base.html", **context)
        except sa_exc.SQLAlchemyError:
            _rollback()  # the database failed too: draw the page without it
    # Straight from Jinja, without the context processors: Flask-Login's loads the user.
    page = current_app.jinja_env.get_template(template)
    return page.render(layout="errors/layout.html", **context)


def _rollback() -> None:
    # A connection that is gone cannot roll back, and has nothing to undo.
    with suppress(sa_exc.SQLAlchemyError):
        db.session.rollback()


@bp.app_errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    """A missing or stale CSRF token: 400, asking the user to reload the page."""
    return error_response(
        400, "The form expired or was sent from elsewhere. Reload the page and try again."
    )


@bp.app_errorhandler(BillingError)
def billing_error(error: BillingError):
    """A domain rule refused the change (409) or the input (422)."""
    _rollback()
    return error_response(error.status_code, str(error))


@bp.app_errorhandler(sa_exc.DBAPIError)
@bp.app_errorhandler(sa_exc.DisconnectionError)
@bp.app_errorhandler(sa_exc.TimeoutError)
@bp.app_errorhandler(orm_exc.StaleDataError)
@bp.app_errorhandler(orm_exc.ObjectDeletedError)
def database_error(error: Exception):
    """The database could not be reached (503, with Retry-After), or another writer changed
    the same rows at the same moment (409); either way the transaction is rolled back and
    nothing was changed. Any other database error is a 500."""
    _rollback()
    if is_unreachable(error):
        current_app.logger.warning("Database unreachable: %s", error)
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return error_response(503, UNREACHABLE, headers, bare=True)
    if is_write_conflict(error):
        # Usually two writers at once; an IntegrityError may also be a bug: keep the trace.
        current_app.logger.warning("Write conflict answered 409", exc_info=error)
        return error_response(409, SIMULTANEOUS_CHANGE)
    raise error  # a bug: the 500 handler below logs it and answers


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Any other HTTP error (403, 404, 405, 413, 429...)."""
    if error.code == 429:
        message = "Too many attempts. Wait a minute, then try again."
    else:
        message = error.description or TITLES.get(error.code or 500, "")
    return error_response(error.code or 500, message)


@bp.app_errorhandler(500)
def server_error(error):
    """An unexpected failure: undo the half-done transaction and say so."""
    _rollback()
    return error_response(500, "The error was logged. Nothing was saved.")
