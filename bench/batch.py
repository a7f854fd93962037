"""Previewing and saving a month's batch for 1,000 contracts: seconds, statements, peak memory.

The month is ``bench.month.build_month`` (the one ``tests/db/test_batch_queries.py`` counts):
1,000 customers with a contract each, of four types in turn, with closed tickets and time.
Every measured run starts from a fresh copy of that database, so each save bills the same work.
Statements are counted at two amounts of work (1 ticket of 1 entry per contract, and 3 tickets
of 4 entries) to show they do not grow with tickets or time entries.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bench.datasets import migrate, postgres_database
from bench.harness import Stats, bench_app, counting_statements
from bench.month import build_month

TODAY = date(2026, 11, 25)
CONTRACTS = 1000
WORK = (3, 4)  # tickets per contract, time entries per ticket
SMALL_WORK = (1, 1)
RUNS = 3


@dataclass(frozen=True)
class BatchFigures:
    """What saving (and previewing) the month cost."""

    preview: Stats
    save: Stats
    preview_statements: int
    save_statements: int
    save_statements_small_work: int
    preview_peak_bytes: int
    save_peak_bytes: int
    invoices: int
    tickets: int
    entries: int


def _template(url: str, work: tuple[int, int]) -> None:
    migrate(url)
    app = bench_app(url)
    with app.app_context():
        build_month(CONTRACTS, *work)
        from models import db

        db.engine.dispose()


@contextmanager
def _copies(backend_url: str | None) -> Iterator[Callable[[tuple[int, int]], Callable]]:
    """``template(work)`` builds a month once and returns ``fresh()``, a new copy's URL."""
    with tempfile.TemporaryDirectory(prefix="msp-bench-batch-") as folder:
        opened = []

        def template(work: tuple[int, int]):
            if backend_url is None:
                source = Path(folder) / f"month-{work[0]}x{work[1]}.db"
                _template(f"sqlite:///{source}", work)

                def fresh() -> str:
                    copy = Path(folder) / f"run-{time.monotonic_ns()}.db"
                    shutil.copyfile(source, copy)
                    return f"sqlite:///{copy}"

                return fresh
            database = postgres_database(backend_url, f"month{work[0]}x{work[1]}")
            url = database.__enter__()
            opened.append(database)
            _template(url, work)
            return lambda: _pg_clone(backend_url, url, opened)

        try:
            yield template
        finally:
            for database in reversed(opened):
                database.__exit__(None, None, None)


def _pg_clone(server_url: str, template_url: str, opened: list) -> str:
    """A new PostgreSQL database made from the template one (dropped with the others)."""
    database = postgres_database(server_url, "run")
    url = database.__enter__()
    opened.append(database)
    name, template = sa.make_url(url).database, sa.make_url(template_url).database
    admin = sa.create_engine(
        sa.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return url


def _run(url: str, action: str, memory: bool = False) -> tuple[float, int, int, int]:
    """One preview or save on a fresh copy: (seconds, statements, peak bytes, invoices)."""
    from billing.batches.preview import BatchRequest, build_preview
    from billing.batches.store import save_batch
    from models import db

    request = BatchRequest(date(2026, 10, 1), date(2026, 10, 31))
    app = bench_app(url)
    with app.app_context():
        db.session.execute(sa.select(1))  # connect outside the measurement
        if memory:
            tracemalloc.start()
        with counting_statements(db.engine) as log:
            started = time.perf_counter()
            if action == "preview":
                made = len(build_preview(request, TODAY).to_bill)
            else:
                made = len(save_batch(request, None, TODAY).invoices)
                db.session.commit()
            seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if memory else 0
        if memory:
            tracemalloc.stop()
        db.session.remove()
        db.engine.dispose()
    return seconds, len(log), peak, made


def batch_figures(backend_url: str | None = None, runs: int = RUNS) -> BatchFigures:
    """Preview and save October for 1,000 contracts (SQLite, or a PostgreSQL server's URL)."""
    with _copies(backend_url) as template:
        small = template(SMALL_WORK)
        _, small_statements, _, _ = _run(small(), "save")
        fresh = template(WORK)
        results: dict[str, list] = {"preview": [], "save": []}
        for action in results:
            _run(fresh(), action)  # warm-up: imports, compiled statements, templates
            results[action] = [_run(fresh(), action) for _ in range(runs)]
        _, _, preview_peak, _ = _run(fresh(), "preview", memory=True)
        _, _, save_peak, _ = _run(fresh(), "save", memory=True)
    return BatchFigures(
        preview=Stats.of([r[0] for r in results["preview"]]),
        save=Stats.of([r[0] for r in results["save"]]),
        preview_statements=results["preview"][0][1],
        save_statements=results["save"][0][1],
        save_statements_small_work=small_statements,
        preview_peak_bytes=preview_peak,
        save_peak_bytes=save_peak,
        invoices=results["save"][0][3],
        tickets=CONTRACTS * WORK[0],
        entries=CONTRACTS * WORK[0] * WORK[1],
    )
