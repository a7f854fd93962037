"""Invoice batches: the builder with its live summary, saving, the batch page, deleting."""

from flask import Blueprint

bp = Blueprint("batches", __name__, url_prefix="/batches")

from blueprints.batches import routes  # noqa: E402,F401
