"""The databases the benchmarks run on: generated once, cached, and on PostgreSQL scratch ones.

SQLite datasets are files ``bench/data-<label>-<key>.db`` (gitignored) where the key hashes the
generator's source and the sizes: a second ``make bench`` reuses them unless the generator or
the sizes changed. Migrations newer than a cached file are applied to it on use.
PostgreSQL databases are created on ``BENCH_DATABASE_URL``'s server for one run and dropped.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bench.harness import BENCH_DIR, ROOT, bench_app, ensure_bench_user
from tests.scratch_db import psycopg_url, scratch_database

# The 100,000-invoice history is the issue's; the 1,000 one is the same MSP a hundred times
# smaller (same customers, contracts and months), so the growth between them is the table's.
SIZES = {
    "1k": dict(
        customers=200,
        months=24,
        contracts=1000,
        tickets=500,
        entries=2_500,
        invoices=1_000,
        lines=10_000,
    ),
    "100k": dict(
        customers=200,
        months=24,
        contracts=1000,
        tickets=50_000,
        entries=250_000,
        invoices=100_000,
        lines=1_000_000,
    ),
}


@dataclass(frozen=True)
class Dataset:
    """A generated database: its URL, what it holds, and how long generating it took."""

    label: str
    url: str
    counts: dict[str, int]
    big_invoice_id: int
    generated_seconds: float | None  # None: reused from the cache


def generator_key(sizes: dict[str, int]) -> str:
    """A hash of the generator's source and of ``sizes``: a cached file is valid for it."""
    digest = hashlib.sha256(json.dumps(sizes, sort_keys=True).encode())
    for path in sorted([BENCH_DIR / "generate.py", *BENCH_DIR.glob("gen_*.py")]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (Alembic, as ``flask db upgrade``)."""
    from flask_migrate import upgrade

    app = bench_app(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        from models import db

        db.engine.dispose()


def _generate(url: str, sizes: dict[str, int]) -> tuple[dict[str, int], float]:
    from bench.generate import generate

    migrate(url)
    app = bench_app(url)
    started = time.perf_counter()
    with app.app_context():
        counts = generate(**sizes)
        from models import db

        db.engine.dispose()
    return counts, time.perf_counter() - started


def _describe(url: str) -> tuple[dict[str, int], int]:
    """What a (cached) database holds, and its 300-line invoice."""
    from models import Invoice, InvoiceLine, db

    app = bench_app(url)
    with app.app_context():
        counts = {
            "invoices": db.session.scalar(sa.select(sa.func.count(Invoice.id))),
            "lines": db.session.scalar(sa.select(sa.func.count(InvoiceLine.id))),
        }
        big = db.session.scalar(
            sa.select(InvoiceLine.invoice_id)
            .group_by(InvoiceLine.invoice_id)
            .having(sa.func.count(InvoiceLine.id) == 300)
            .limit(1)
        )
        db.engine.dispose()
    return counts, big


def sqlite_dataset(label: str, log=print) -> Dataset:
    """The cached SQLite file for ``SIZES[label]``, generated first if need be."""
    sizes = SIZES[label]
    path = BENCH_DIR / f"data-{label}-{generator_key(sizes)}.db"
    seconds = None
    if not path.exists():
        for stale in BENCH_DIR.glob(f"data-{label}-*.db"):
            stale.unlink()
        log(f"Generating the {label} dataset into {path.name} (cached for the next runs)...")
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        _, seconds = _generate(f"sqlite:///{partial}", sizes)
        partial.rename(path)
    url = f"sqlite:///{path}"
    migrate(url)
    ensure_bench_user(bench_app(url))
    counts, big = _describe(url)
    return Dataset(label, url, counts, big, seconds)


@contextmanager
def scratch_copy(dataset: Dataset) -> Iterator[str]:
    """A throw-away copy of a SQLite dataset, for benchmarks that write (export)."""
    source = Path(sa.make_url(dataset.url).database)
    with tempfile.TemporaryDirectory(prefix="msp-bench-") as folder:
        copy = Path(folder) / source.name
        shutil.copyfile(source, copy)
        yield f"sqlite:///{copy}"


def postgres_database(server_url: str, purpose: str) -> AbstractContextManager[str]:
    """A fresh, empty database on ``server_url``'s server for one benchmark, dropped after."""
    return scratch_database(server_url, f"bench_{purpose}")


def vacuum(url: str) -> None:
    """``VACUUM ANALYZE``, as autovacuum would have done by the time a database is in use.

    Right after a bulk load no page is marked all-visible yet, so PostgreSQL cannot answer
    from an index alone; a database in use has been vacuumed in the background.
    """
    engine = sa.create_engine(psycopg_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()


def postgres_dataset(url: str, label: str, log=print) -> Dataset:
    """Generate ``SIZES[label]`` into the empty PostgreSQL database at ``url``."""
    log(f"Generating the {label} dataset on PostgreSQL...")
    _, seconds = _generate(url, SIZES[label])
    vacuum(url)
    ensure_bench_user(bench_app(url))
    counts, big = _describe(url)
    return Dataset(label, url, counts, big, seconds)
