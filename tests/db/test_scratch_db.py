"""``scratch_database``: the one scratch-PostgreSQL helper of the suite and the benchmarks."""

import pytest
import sqlalchemy as sa

from tests.conftest import PG_URL
from tests.scratch_db import psycopg_url, scratch_database


def _databases() -> set[str]:
    engine = sa.create_engine(psycopg_url(PG_URL).set(database="postgres"))
    try:
        with engine.connect() as conn:
            return set(conn.scalars(sa.text("SELECT datname FROM pg_database")))
    finally:
        engine.dispose()


def test_a_bare_postgresql_url_gets_the_psycopg_driver():
    assert psycopg_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert psycopg_url("postgresql://u@h:5432/db").render_as_string() == (
        "postgresql+psycopg://u@h:5432/db"
    )


if PG_URL:  # the PostgreSQL leg only (CI always runs it)

    def test_a_scratch_database_is_new_empty_and_dropped_even_after_an_error():
        with (
            pytest.raises(RuntimeError, match="the block failed"),
            scratch_database(PG_URL, "probe") as url,
        ):
            name = sa.make_url(url).database
            assert name.startswith(f"{sa.make_url(PG_URL).database}_probe_")
            assert name in _databases()
            engine = sa.create_engine(url)
            with engine.connect() as conn:
                tables = conn.scalar(
                    sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
                )
            engine.dispose()
            assert tables == 0
            raise RuntimeError("the block failed")
        assert name not in _databases()
