"""Error pages, htmx-aware: an htmx request gets a small fragment aimed at ``#flash``."""

from flask import Blueprint

bp = Blueprint("errors", __name__)

from blueprints.errors import handlers  # noqa: E402,F401
