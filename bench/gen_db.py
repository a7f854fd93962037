"""Fast bulk loading for the benchmark data: executemany on SQLite, COPY on PostgreSQL.

Rows are tuples of plain Python values in the order of the given columns, with scaled
quantities already as integers and enums as their string values, so that no per-value type
processing runs except for dates, timestamps and JSON (which each backend spells differently).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from models import db

CHUNK = 20_000


def _converters(
    table: sa.Table, columns: Sequence[str], dialect: Any
) -> list[tuple[int, Callable]]:
    """(position, function) for the columns whose values the backend needs converted."""
    found = []
    for position, name in enumerate(columns):
        kind = table.c[name].type
        if isinstance(kind, sa.JSON):
            found.append((position, json.dumps))
        elif dialect.name == "sqlite" and isinstance(kind, sa.Date | sa.DateTime):
            found.append((position, kind.dialect_impl(dialect).bind_processor(dialect)))
    return found


def insert_rows(table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` into ``table`` in the session's transaction; returns how many."""
    conn = db.session.connection()
    dialect = conn.dialect
    convert = _converters(table, columns, dialect)

    def prepared() -> Iterable[Sequence[Any]]:
        if not convert:
            yield from rows
            return
        for row in rows:
            values = list(row)
            for position, function in convert:
                if values[position] is not None:
                    values[position] = function(values[position])
            yield tuple(values)

    names = ", ".join(columns)
    count = 0
    if dialect.name == "postgresql":
        raw = conn.connection.dbapi_connection
        copy_sql = f"COPY {table.name} ({names}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in prepared():
                copy.write_row(row)
                count += 1
        return count
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})"
    chunk: list[Sequence[Any]] = []
    for row in prepared():
        chunk.append(row)
        if len(chunk) >= CHUNK:
            conn.exec_driver_sql(sql, chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        conn.exec_driver_sql(sql, chunk)
        count += len(chunk)
    return count


def fix_sequences(tables: Iterable[sa.Table]) -> None:
    """On PostgreSQL, move each table's id sequence past the ids we chose ourselves."""
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        return  # SQLite hands out max(rowid) + 1
    for table in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"
        )


@contextmanager
def fast_load():
    """On SQLite, trade durability for speed during the load (restored afterwards)."""
    conn = db.session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection
    before = raw.execute("PRAGMA synchronous").fetchone()[0]
    cache = raw.execute("PRAGMA cache_size").fetchone()[0]
    # Set on the driver connection: pysqlite has not begun a transaction before the first write.
    raw.execute("PRAGMA synchronous=OFF")
    raw.execute("PRAGMA cache_size=-262144")  # 256 MB: the indexes stay in memory while loading
    try:
        yield
    except BaseException:
        db.session.rollback()  # the pragmas below cannot run inside a transaction
        raise
    finally:
        raw.execute(f"PRAGMA synchronous={int(before)}")
        raw.execute(f"PRAGMA cache_size={int(cache)}")


def analyze() -> None:
    """Give the query planner statistics for the freshly loaded tables (after the commit)."""
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
