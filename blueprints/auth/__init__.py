"""Logging in and out, one's own password, and the rule that every page needs a login."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from blueprints.auth import access, routes  # noqa: E402,F401
