"""The Alembic migrations build exactly the models' schema, on SQLite and on PostgreSQL."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from models import db
from tests.conftest import BACKENDS, PG_URL, _test_config
from tests.scratch_db import scratch_database


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path):
    """A brand-new empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with scratch_database(PG_URL, "mig") as url:
        yield url


def _schema_diff(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


# Neither backend reflects expression indexes (length(number)); they are checked by name below.
EXPRESSION_INDEXES = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index"
)


@EXPRESSION_INDEXES
def test_upgrade_from_empty_gives_the_models_schema(empty_database_url):
    app = create_app(_test_config(empty_database_url))
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        assert _schema_diff(db.engine) == []
        names = {i["name"] for i in sa.inspect(db.engine).get_indexes("invoices")}
        with db.engine.connect() as conn:
            if db.engine.dialect.name == "sqlite":
                rows = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type='index'"))
            else:
                rows = conn.execute(sa.text("SELECT indexname FROM pg_indexes"))
            names |= {row[0] for row in rows}
        assert {"ix_invoices_number_natural", "ix_invoices_status_number"} <= names
        db.engine.dispose()


@EXPRESSION_INDEXES
def test_downgrade_to_empty_and_back(empty_database_url):
    app = create_app(_test_config(empty_database_url))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert _schema_diff(db.engine) == []
        db.engine.dispose()
