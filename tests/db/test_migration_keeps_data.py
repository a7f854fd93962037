"""Upgrading a database that holds billed work keeps every row and every link between them.

On SQLite the migrations rebuild tables (batch mode copies a table, drops it and renames the
copy). With foreign keys on, dropping ``invoices`` would delete its lines (ON DELETE CASCADE) and
unlink its events (SET NULL): the migrations must run with them off, and fail rather than commit
a broken link.
"""

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from models import db
from tests.conftest import _test_config
from tests.db.test_migrations import empty_database_url  # noqa: F401 (a fixture)


def _head() -> str:
    """The newest revision in migrations/ (the test follows new migrations)."""
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    folder = Path(__file__).resolve().parents[2] / "migrations"
    config = Config()
    config.set_main_option("script_location", str(folder))
    return ScriptDirectory.from_config(config).get_current_head()


# A customer's billed October at revision 0002, in plain SQL (every NOT NULL column given).
AT_0002 = (
    "INSERT INTO users (id, email, name, password_hash, role, active, created_at) VALUES "
    "(5, 'tech@example.com', 'Tech', 'x', 'technician', true, '2026-10-01 09:00:00')",
    "INSERT INTO customers (id, name, billing_emails, address, tax_exempt, currency, active, "
    "notes, created_at) VALUES (7, 'Acme', '', '', false, 'USD', true, '', '2026-10-01 09:00:00')",
    "INSERT INTO contracts (id, customer_id, name, type, billing_period, start_date, active, "
    "is_default, taxable, notes, rounding_minutes, rollover, created_at) VALUES (11, 7, "
    "'Break/fix', 'hourly', 'monthly', '2026-01-01', true, true, false, '', 0, false, "
    "'2026-10-01 09:00:00')",
    "INSERT INTO invoice_batches (id, name, period_start, period_end, detail_level, created_at) "
    "VALUES (13, 'October', '2026-10-01', '2026-10-31', 'ticket', '2026-11-01 09:00:00')",
    "INSERT INTO tickets (id, customer_id, contract_id, title, description, status, created_at, "
    "closed_at, batch_id) VALUES (17, 7, 11, 'Printer', '', 'closed', '2026-10-02 09:00:00', "
    "'2026-10-20 09:00:00', 13)",
    "INSERT INTO time_entries (id, ticket_id, user_id, work_date, minutes, billable, note, "
    "created_at) VALUES (19, 17, 5, '2026-10-10', 90, true, '', '2026-10-10 09:00:00')",
    "INSERT INTO invoices (id, number, customer_id, contract_id, batch_id, issue_date, due_date, "
    "currency, status, reference, notes, bill_to_name, bill_to_address, bill_to_emails, issuer, "
    "subtotal_minor, tax_minor, total_minor, created_at, updated_at) VALUES (23, 'INV-0023', 7, "
    "11, 13, '2026-11-01', '2026-11-30', 'USD', 'sent', '', '', 'Acme', '', '', '{}', 17500, 0, "
    "17500, '2026-11-01 09:00:00', '2026-11-01 09:00:00')",
    "INSERT INTO invoice_lines (id, invoice_id, position, kind, description, quantity, "
    "unit_price_minor, discount_minor, amount_minor, tax_name, tax_percent, contract_id, "
    "ticket_id, time_entry_id) VALUES "
    "(29, 23, 0, 'ticket', 'Printer', 1000, 2500, 0, 2500, '', 0, 11, 17, NULL), "
    "(31, 23, 1, 'time', '1.5 h', 1500, 10000, 0, 15000, '', 0, 11, 17, 19)",
    "INSERT INTO invoice_events (id, invoice_id, invoice_number, kind, message, data, created_at) "
    "VALUES (37, 23, 'INV-0023', 'sent', 'Sent to Acme', '{}', '2026-11-02 09:00:00')",
    "INSERT INTO contract_charges (id, contract_id, period_start, period_end, invoice_id) "
    "VALUES (41, 11, '2026-10-01', '2026-10-31', 23)",
)

# Each table's rows as (id, the columns that link it to others).
LINKS = {
    "users": "id",
    "customers": "id",
    "contracts": "id, customer_id",
    "invoice_batches": "id",
    "tickets": "id, customer_id, contract_id, batch_id",
    "time_entries": "id, ticket_id, user_id",
    "invoices": "id, number, customer_id, contract_id, batch_id",
    "invoice_lines": "id, invoice_id, contract_id, ticket_id, time_entry_id",
    "invoice_events": "id, invoice_id",
    "contract_charges": "id, contract_id, invoice_id",
}
EXPECTED = {
    "users": [(5,)],
    "customers": [(7,)],
    "contracts": [(11, 7)],
    "invoice_batches": [(13,)],
    "tickets": [(17, 7, 11, 13)],
    "time_entries": [(19, 17, 5)],
    "invoices": [(23, "INV-0023", 7, 11, 13)],
    "invoice_lines": [(29, 23, 11, 17, None), (31, 23, 11, 17, 19)],
    "invoice_events": [(37, 23)],
    "contract_charges": [(41, 11, 23)],
}


def _rows(conn: sa.Connection) -> dict[str, list[tuple]]:
    return {
        table: [
            tuple(row) for row in conn.execute(sa.text(f"SELECT {cols} FROM {table} ORDER BY id"))
        ]
        for table, cols in LINKS.items()
    }


def _billed_october_at_0002(url: str):
    app = create_app(_test_config(url))
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as conn:
            for statement in AT_0002:
                conn.execute(sa.text(statement))
            assert _rows(conn) == EXPECTED
    return app


# Reflection skips expression indexes (length(number)) while the migrations rebuild tables.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_upgrading_to_head_keeps_every_row_and_link(empty_database_url):  # noqa: F811
    app = _billed_october_at_0002(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            assert _rows(conn) == EXPECTED
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                # The app's connections enforce foreign keys again after the migrations.
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert version == _head()
        db.engine.dispose()


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_an_upgrade_leaving_a_broken_link_on_sqlite_fails_and_changes_nothing(tmp_path, capfd):
    app = _billed_october_at_0002(f"sqlite:///{tmp_path / 'broken.db'}")
    with app.app_context():
        with db.engine.begin() as conn:  # a line of an invoice that is gone
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.execute(sa.text("UPDATE invoice_lines SET invoice_id = 99 WHERE id = 31"))
        db.engine.dispose()  # the next connection enforces foreign keys again
        with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits
            upgrade()
        assert "broken foreign keys (1): invoice_lines row 31 -> invoices" in capfd.readouterr().err
        with db.engine.connect() as conn:
            assert (
                conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0002"
            )
            tables = set(sa.inspect(conn).get_table_names())
            assert "ticket_events" not in tables and not any("_alembic_tmp" in t for t in tables)
            rows = _rows(conn)
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert rows["invoice_lines"] == [(29, 23, 11, 17, None), (31, 99, 11, 17, 19)]
        assert rows["invoice_events"] == EXPECTED["invoice_events"]
        db.engine.dispose()
