"""Admin index."""

from flask import render_template

from blueprints.admin import bp


@bp.route("/")
def index():
    """The admin overview: links to each area."""
    return render_template("admin/index.html")
