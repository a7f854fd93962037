"""Ids are never reused: every table with an integer id becomes AUTOINCREMENT on SQLite.

Without it SQLite hands the highest id out again once its row is deleted (a deleted batch's
invoice 17 came back as another invoice, and old links opened the wrong one). PostgreSQL's
serial sequences never reuse an id: nothing to do there.

SQLite cannot add AUTOINCREMENT to a table, so each is rebuilt (SQLite's own 12-step
procedure): the new table is created from the old one's exact ``CREATE TABLE`` text with the
primary key made ``PRIMARY KEY AUTOINCREMENT`` (every constraint, default and foreign key as it
was), the rows are copied with their ids, the old table is dropped and the new one renamed, and
every index the table had (expression and partial indexes too) is recreated from its saved text.
Foreign keys must be off meanwhile, as that procedure requires: with them on, dropping the old
``invoices`` would cascade-delete every invoice line. env.py runs every SQLite migration so (in
one transaction, checked with ``PRAGMA foreign_key_check`` before it commits); this migration
refuses to start otherwise. The next id is then above the highest id kept.

Revision ID: 0011
Revises: 0010
"""

import re

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = (
    "users",
    "customers",
    "rates",
    "tax_rates",
    "products",
    "contracts",
    "contract_rates",
    "contract_services",
    "contract_unit_counts",
    "block_ledger",
    "tickets",
    "time_entries",
    "expenses",
    "invoice_batches",
    "invoices",
    "contract_charges",
    "invoice_lines",
    "invoice_events",
    "ticket_events",
    "accounting_connections",
    "ledger_mappings",
    "invoice_exports",
)
# How SQLAlchemy writes the id column of these tables, without and with AUTOINCREMENT.
PLAIN = "\tid INTEGER NOT NULL, \n"
INLINE = "\tid INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, \n"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(TABLES, autoincrement=True)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(TABLES, autoincrement=False)


def _rebuild(tables: tuple[str, ...], autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            "0011 needs SQLite's foreign keys off (migrations/env.py does it): with them on, "
            "rebuilding the tables would cascade deletes."
        )
    for table in tables:
        _rebuild_table(bind, table, autoincrement)


def _rebuild_table(bind, table: str, autoincrement: bool) -> None:
    (create,) = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).one()
    new = f"_rebuild_{table}"
    sql = _table_sql(create, table, new, autoincrement)
    if sql is None:
        return  # already as wanted (built by create_all from the models)
    indexes = (
        bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL",
            (table,),
        )
        .scalars()
        .all()
    )
    bind.exec_driver_sql(sql)
    bind.exec_driver_sql(f'INSERT INTO "{new}" SELECT * FROM "{table}"')
    bind.exec_driver_sql(f'DROP TABLE "{table}"')
    bind.exec_driver_sql(f'ALTER TABLE "{new}" RENAME TO "{table}"')
    for index in indexes:  # dropped with the old table, expression and partial ones included
        bind.exec_driver_sql(index)


def _table_sql(create: str, table: str, new: str, autoincrement: bool) -> str | None:
    """The table's ``CREATE TABLE`` text under the name ``new``, its integer id made (or no
    longer) ``PRIMARY KEY AUTOINCREMENT``; None if it already is (or is not). Anything
    unexpected stops the migration rather than guess."""
    head = re.match(rf'CREATE TABLE "?{table}"? \(\n', create)
    if not head:
        raise RuntimeError(f"Unexpected definition of {table}: {create[:80]}")
    body = create[head.end() :]
    constraint = f"\tCONSTRAINT pk_{table} PRIMARY KEY (id), \n"
    if body.startswith(INLINE if autoincrement else PLAIN):
        return None
    if autoincrement and body.startswith(PLAIN) and constraint in body:
        body = INLINE + body[len(PLAIN) :].replace(constraint, "", 1)
    elif not autoincrement and body.startswith(INLINE) and "\n\tCONSTRAINT" in body:
        body = PLAIN + body[len(INLINE) :]
        body = body.replace("\tCONSTRAINT", constraint + "\tCONSTRAINT", 1)
    else:
        raise RuntimeError(f"Unexpected primary key in {table}: {create[:200]}")
    return f'CREATE TABLE "{new}" (\n' + body
