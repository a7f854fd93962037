"""Alembic environment for Flask-Migrate: the app's engine and the models' metadata."""

import logging
import warnings
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.exc import SAWarning

from integrations.secrets import EncryptedText
from models import ScaledDecimal

config = context.config
fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
options = current_app.extensions["migrate"].configure_args

# SQLite's batch mode reflects a rebuilt table's neighbours (invoices, through a foreign key) and
# SQLAlchemy cannot reflect their expression indexes. Those tables are only read, never rebuilt,
# so the indexes stay as they are; the warning would only alarm whoever runs `make run`.
warnings.filterwarnings(
    "ignore", message="Skipped unsupported reflection of expression-based index", category=SAWarning
)


def render_item(type_, obj, autogen_context):
    """Render our column types as the plain types they store (no import of models needed)."""
    if type_ == "type" and isinstance(obj, ScaledDecimal):
        return "sa.BigInteger()"
    if type_ == "type" and isinstance(obj, EncryptedText):
        return "sa.Text()"
    return False


def _foreign_keys_off(connection) -> None:
    """Turn SQLite's foreign keys off on the migration connection, outside any transaction.

    Batch mode rebuilds a table by copying it, dropping the original and renaming the copy. With
    foreign keys on, that DROP deletes every row first: ON DELETE CASCADE empties the child
    tables (an invoice's lines), SET NULL unlinks them, and other references make it fail. The
    pragma is ignored inside a transaction, so the sqlite3 module must not open one by itself
    (autocommit mode, reset when the connection goes back to the pool); ``BEGIN`` is then ours.
    """
    connection.execution_options(isolation_level="AUTOCOMMIT")
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if connection.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("Could not turn SQLite's foreign keys off for the migrations.")
    connection.commit()  # ends SQLAlchemy's autobegun transaction: Alembic begins its own


def _check_foreign_keys(connection) -> None:
    """Refuse to commit migrations that leave a row pointing at a missing row."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        rows = ", ".join(f"{table} row {rowid} -> {parent}" for table, rowid, parent, _ in broken)
        raise RuntimeError(
            f"Migrations rolled back: broken foreign keys ({len(broken)}): {rows[:500]}"
        )


def run_migrations_offline() -> None:
    context.configure(
        url=db.engine.url.render_as_string(hide_password=False),
        target_metadata=db.metadata,
        literal_binds=True,
        render_item=render_item,
        **options,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def skip_empty(context_, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _foreign_keys_off(connection)
        try:
            context.configure(
                connection=connection,
                target_metadata=db.metadata,
                render_item=render_item,
                process_revision_directives=skip_empty,
                # SQLite has transactional DDL too: all migrations commit together or not at all.
                transactional_ddl=True,
                **options,
            )
            with context.begin_transaction():
                if sqlite:  # in autocommit mode the sqlite3 module opens no transaction itself
                    connection.exec_driver_sql("BEGIN")
                context.run_migrations()
                if sqlite:
                    _check_foreign_keys(connection)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
