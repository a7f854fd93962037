"""Throw-away PostgreSQL databases, for the test suite and the benchmarks alike.

It needs no pytest and no fixture, so ``bench/`` uses it as ``tests/`` does (``bench/`` already
borrows the fakes from ``tests/``: test infrastructure lives here, and the benchmarks import it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


def psycopg_url(url: str) -> sa.URL:
    """``url`` parsed, with the driver the app would use for it (psycopg 3 for PostgreSQL)."""
    from app import database_url  # the app's own rule; imported late to keep this module light

    return sa.make_url(database_url(url, ""))


@contextmanager
def scratch_database(server_url: str, label: str) -> Iterator[str]:
    """A fresh, empty database on ``server_url``'s server, dropped (connections and all) after.

    Its name is ``server_url``'s database name, ``label`` and a random suffix, so runs side by
    side on one server never meet. Yields its URL, password included.
    """
    base = psycopg_url(server_url)
    name = f"{base.database or 'msp'}_{label}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
