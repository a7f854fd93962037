"""Handlers for 400 (CSRF), 403, 404, 409/422 (domain errors), 429 and 500."""

from flask import render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app import htmx
from billing.errors import BillingError
from blueprints.errors import bp
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
}


def error_response(status: int, message: str):
    """A full error page, or for htmx a fragment swapped into the flash area."""
    title = TITLES.get(status, "Error")
    if htmx and not htmx.boosted:
        body = render_template("errors/_error.html", title=title, message=message)
        return body, status, {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
    return render_template("errors/error.html", title=title, message=message, status=status), status


@bp.app_errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    """A missing or stale CSRF token: 400, asking the user to reload the page."""
    return error_response(
        400, "The form expired or was sent from elsewhere. Reload the page and try again."
    )


@bp.app_errorhandler(BillingError)
def billing_error(error: BillingError):
    """A domain rule refused the change (409) or the input (422)."""
    db.session.rollback()
    return error_response(error.status_code, str(error))


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
    db.session.rollback()
    return error_response(500, "The error was logged. Nothing was saved.")
