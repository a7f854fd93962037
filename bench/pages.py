"""Server time of the Billing page and of an invoice page, in process around the WSGI call.

Each request runs in its own app context (a fresh session and ``g``), logged in as the bench
admin, as a browser's request would; the timing covers the whole Flask request.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Flask

from bench.harness import Stats, bench_app, ensure_bench_user

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
        "Billing page, status filter (sent)": "/billing?status=sent",
        "Billing page, status filter (paid: most invoices)": "/billing?status=paid",
        f"Billing page, search ({word!r})": f"/billing?q={word}",
        # A filtered list longer than a page loads its totals after its rows (htmx).
        "Totals after the rows, status filter (paid)": "/billing/totals?status=paid",
        f"Totals after the rows, search ({word!r})": f"/billing/totals?q={word}",
    }


def logged_in_client(app: Flask):
    """A test client whose session is the bench admin's."""
    session_id = ensure_bench_user(app)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


def _get(client, path: str) -> None:
    # The totals come as a fragment to htmx's request (a plain one is redirected).
    headers = {"HX-Request": "true"} if path.startswith("/billing/totals") else {}
    response = client.get(path, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code}")
    response.close()


def page_times(small, large, runs: int = RUNS) -> tuple[dict[str, Stats], dict[str, Stats]]:
    """Server time of each Billing page view and of the 300-line invoice's page, per dataset.

    Requests to the two datasets alternate, so that both sizes share the machine's conditions
    (other processes, CPU frequency) and their ratio is fair even on a busy machine.
    """
    apps = [bench_app(d.url) for d in (small, large)]
    clients = [logged_in_client(app) for app in apps]
    views = billing_views(apps[1])
    paths = [
        {**views, "Invoice page, 300 lines": f"/invoices/{d.big_invoice_id}"}
        for d in (small, large)
    ]
    samples: list[dict[str, list[float]]] = [{}, {}]
    for label in paths[0]:
        for round_ in range(WARMUP + runs):
            for side in (0, 1):
                started = time.perf_counter()
                _get(clients[side], paths[side][label])
                if round_ >= WARMUP:
                    samples[side].setdefault(label, []).append(time.perf_counter() - started)
    for app in apps:
        with app.app_context():
            from models import db

            db.engine.dispose()
    small_stats, large_stats = ({k: Stats.of(v) for k, v in side.items()} for side in samples)
    return small_stats, large_stats
