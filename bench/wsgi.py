"""The WSGI app the throughput benchmark serves with gunicorn: the real app, plus two references.

- ``/_bench/trivial``: a Flask route returning a few bytes (the server and Flask's own cost).
- ``/_bench/floor``: the Billing page's first 50 rows read with one hand-written SQL query and
  rendered by a compiled, cached Jinja template; no ORM, no login, no filters. What the stack
  (gunicorn, Flask, the driver, Jinja) costs for this page: the floor under the real one.

Everything else goes to ``create_app()``, configured from the environment as in production.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import sqlalchemy as sa
from flask import Flask, Response
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from app import create_app

FLOOR_SQL = sa.text(
    "SELECT i.id, i.number, i.issue_date, c.name AS customer, b.id AS batch_id,"
    " b.name AS batch, i.status, i.total_minor, i.currency, i.due_date"
    " FROM invoices i JOIN customers c ON c.id = i.customer_id"
    " LEFT JOIN invoice_batches b ON b.id = i.batch_id"
    " ORDER BY length(i.number) DESC, i.number DESC LIMIT 50"
)


def reference_app(url: str) -> Flask:
    """A bare Flask app with the trivial and the floor routes over the database at ``url``."""
    engine = sa.create_engine(url)
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        auto_reload=False,
    )
    floor_template = templates.get_template("floor.html")
    references = Flask("bench_references")

    @references.route("/trivial")
    def trivial() -> Response:
        """A few bytes, no database."""
        return Response("ok", mimetype="text/plain")

    @references.route("/floor")
    def floor() -> str:
        """The first 50 invoices, newest number first, rendered."""
        with engine.connect() as conn:
            rows = conn.execute(FLOOR_SQL).all()
        return floor_template.render(rows=rows)

    return references


def build() -> DispatcherMiddleware:
    """The real app at ``/`` and the references under ``/_bench``."""
    real = create_app()
    references = reference_app(real.config["SQLALCHEMY_DATABASE_URI"])
    return DispatcherMiddleware(real, {"/_bench": references})


application = build()
