"""What every benchmark shares: timing statistics, the app under test, statement counting.

Each figure is a median over several runs after a warm-up; timings that are compared with each
other are taken in the same run of ``python -m bench``.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
BENCH_EMAIL = "bench@example.com"
BENCH_PASSWORD = "bench-password-not-secret"
SECRET_KEY = "bench-secret-key-not-secret"


@dataclass(frozen=True)
class Stats:
    """Median and 95th percentile of some timings, in seconds."""

    median: float
    p95: float
    runs: int

    @classmethod
    def of(cls, samples: list[float]) -> Stats:
        """The statistics of ``samples`` (nearest-rank 95th percentile)."""
        ordered = sorted(samples)
        rank = max(0, min(len(ordered) - 1, round(0.95 * len(ordered)) - 1))
        return cls(statistics.median(ordered), ordered[rank], len(ordered))


def timed(action: Callable[[], object], runs: int, warmup: int = 3) -> Stats:
    """Run ``action`` ``warmup`` times unmeasured, then ``runs`` times measured."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return Stats.of(samples)


def app_config(url: str) -> dict:
    """The app's configuration for a benchmark on the database at ``url``."""
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": SECRET_KEY,
        "MAIL_SERVER": "",
        "RATELIMIT_ENABLED": False,
    }


def bench_app(url: str, **overrides: object) -> Flask:
    """The real app (``create_app``) on the database at ``url``."""
    from app import create_app

    return create_app({**app_config(url), **overrides})


def ensure_bench_user(app: Flask) -> str:
    """The session id (``User.get_id``) of the admin the benchmarks log in as (created with a
    known password)."""
    from models import Role, User, db

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == BENCH_EMAIL))
        if user is None:
            user = User(email=BENCH_EMAIL, name="Bench", role=Role.ADMIN)
            user.set_password(BENCH_PASSWORD)
            db.session.add(user)
        session_id = user.get_id()
        db.session.commit()
        return session_id


@contextmanager
def counting_statements(engine: sa.Engine) -> Iterator[list[str]]:
    """``with counting_statements(db.engine) as log:`` then ``len(log)``: statements sent."""
    log: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        log.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> str:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        return f"{pages * size / 2**30:.1f} GiB"
    except (ValueError, OSError, AttributeError):
        return "unknown"


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    return {
        "CPU": _cpu_model(),
        "Cores": str(os.cpu_count()),
        "RAM": _memory_gib(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "SQLAlchemy": sa.__version__,
    }
