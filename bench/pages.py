"""Server time of the Billing page and of an invoice page, in process around the WSGI call.

Each request runs in its own app context (a fresh session and ``g``), logged in as the bench
admin, as a browser's request would; the timing covers the whole Flask request.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from bench.harness import Stats, bench_app, ensure_bench_user, timed

RUNS = 30
WARMUP = 5


def billing_views(app: Flask) -> dict[str, str]:
    """The Billing page views measured: first page, a status filter and a search."""
    from models import Customer, db

    with app.app_context():
        name = db.session.scalar(sa.select(Customer.name).order_by(Customer.id).limit(1)) or ""
    # A word of a customer's name, as someone would type it: matches its invoices and others.
    word = max(name.split(), key=len, default="a")[:6].lower()
    return {
        "Billing page, first page": "/billing",
        "Billing page, status filter (paid)": "/billing?status=paid",
        f"Billing page, search ({word!r})": f"/billing?q={word}",
    }


def logged_in_client(app: Flask):
    """A test client whose session is the bench admin's."""
    user_id = ensure_bench_user(app)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def _get(client, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code}")
    response.close()


def page_times(url: str, big_invoice_id: int, runs: int = RUNS) -> dict[str, Stats]:
    """Server time of each Billing page view and of the big invoice's page."""
    app = bench_app(url)
    client = logged_in_client(app)
    paths = {**billing_views(app), "Invoice page, 300 lines": f"/invoices/{big_invoice_id}"}
    results = {}
    for label, path in paths.items():
        results[label] = timed(lambda p=path: _get(client, p), runs, WARMUP)
    with app.app_context():
        from models import db

        db.engine.dispose()
    return results
