"""The receivables aging report at 1,000 and 100,000 invoices (200,000 payments at the large
scale): the report function and the Receivables page, as of the benchmark's day and of a day
three months before (which reads the invoices settled since through ``settled_on``).

Each scale is generated into a fresh database (``bench.aging_data``); the two are measured in
alternation, so that both share the machine's conditions and their ratio is fair. The plans of
the report's one statement at the large scale are kept for the results.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bench.aging_data import AgingCounts, generate_aging
from bench.harness import Stats, bench_app, ensure_bench_user
from bench.pages import logged_in_client

SCALES = {"1k": (1_000, 2_000), "100k": (100_000, 200_000)}
AS_OF = date(2026, 12, 3)
PAST = date(2026, 9, 3)
RUNS = 30
WARMUP = 5


@dataclass
class AgingFigures:
    """Timings per figure at both scales, what each database held, and the plans."""

    backend: str
    counts: dict[str, AgingCounts]
    stats: dict[str, tuple[Stats, Stats]] = field(default_factory=dict)
    statements: int = 0
    plan: list[str] = field(default_factory=list)


def aging_figures(pg_url: str | None, log: Callable[[str], None] = print) -> AgingFigures:
    """Generate both scales, then time the report and the page at both."""
    from bench.datasets import migrate, postgres_database, vacuum

    with ExitStack() as stack:
        urls = {}
        for label in SCALES:
            if pg_url:
                urls[label] = stack.enter_context(postgres_database(pg_url, f"aging_{label}"))
            else:
                folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="msp-aging-"))
                urls[label] = f"sqlite:///{Path(folder) / f'aging-{label}.db'}"
        counts = {}
        for label, (invoices, payments) in SCALES.items():
            log(f"aging: generating {label} ({invoices:,} invoices)")
            migrate(urls[label])
            app = bench_app(urls[label])
            with app.app_context():
                counts[label] = generate_aging(invoices, payments, AS_OF)
                from models import db

                db.engine.dispose()
            ensure_bench_user(app)  # before logging in: a new user's id is known once saved
            if pg_url:
                vacuum(urls[label])
        figures = AgingFigures("PostgreSQL" if pg_url else "SQLite", counts)
        _measure(figures, [urls[label] for label in SCALES])
        return figures


def _measure(figures: AgingFigures, urls: list[str]) -> None:
    from billing.reports.aging import aging_report
    from models import db

    apps = [bench_app(url, BILLING_TODAY=AS_OF.isoformat()) for url in urls]
    clients = [logged_in_client(app) for app in apps]

    def report(app, day: date) -> Callable[[], object]:
        def run() -> object:
            with app.app_context():
                return aging_report(day)

        return run

    def page(client, day: date) -> Callable[[], object]:
        def run() -> object:
            response = client.get(f"/reports/receivables?as_of={day.isoformat()}")
            if response.status_code != 200:
                raise RuntimeError(f"Receivables page: {response.status_code}")
            return response.close()

        return run

    actions = {
        "Report function, as of today": [report(app, AS_OF) for app in apps],
        "Report function, as of 3 months ago": [report(app, PAST) for app in apps],
        "Receivables page, as of today": [page(c, AS_OF) for c in clients],
        "Receivables page, as of 3 months ago": [page(c, PAST) for c in clients],
    }
    for label, pair in actions.items():
        samples: list[list[float]] = [[], []]
        for round_ in range(WARMUP + RUNS):
            for side in (0, 1):
                started = time.perf_counter()
                pair[side]()
                if round_ >= WARMUP:
                    samples[side].append(time.perf_counter() - started)
        figures.stats[label] = (Stats.of(samples[0]), Stats.of(samples[1]))
    with apps[1].app_context():
        figures.statements, figures.plan = _plan()
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def _plan() -> tuple[int, list[str]]:
    """How many statements one report sends, and the plan of its query (the large scale)."""
    from billing.reports.aging import aging_report
    from models import db

    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        aging_report(AS_OF)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    statement, parameters = sent[-1]
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        plan = [row[-1] for row in rows]
    else:
        rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
        plan = [row[0].strip() for row in rows if "->" in row[0] or not row[0].startswith(" ")]
    db.session.rollback()
    return len(sent), plan
