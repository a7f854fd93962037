"""Ids are never handed out twice: after a batch is deleted, the next batch's invoices, lines
and batch get new ids (an old link never opens another invoice). On both backends as the
models build the schema, and on an SQLite database made before 0011 and upgraded."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from billing.batches.preview import BatchRequest
from billing.batches.store import delete_batch, save_batch
from models import ContractType, Invoice, InvoiceBatch, InvoiceLine, TicketStatus, db
from tests.conftest import _test_config
from tests.factories import make_contract, make_customer, make_ticket, make_time_entry

TODAY = date(2026, 11, 25)
OCTOBER = BatchRequest(date(2026, 10, 1), date(2026, 10, 31))


def _october_work() -> None:
    customer = make_customer(name="Acme")
    make_contract(customer, name="Managed", type=ContractType.RETAINER, quantity=Decimal(1),
                  unit_price_minor=100000)  # fmt: skip
    hourly = make_contract(customer, name="Break/fix")
    for minutes in (60, 90):
        ticket = make_ticket(hourly, status=TicketStatus.CLOSED)
        ticket.closed_at = datetime(2026, 10, 20, tzinfo=UTC)
        make_time_entry(ticket, minutes=minutes, work_date=date(2026, 10, 10))


def _ids(batch: InvoiceBatch) -> dict[str, list[int]]:
    invoices = db.session.scalars(sa.select(Invoice.id).where(Invoice.batch_id == batch.id)).all()
    lines = db.session.scalars(
        sa.select(InvoiceLine.id).where(InvoiceLine.invoice_id.in_(invoices))
    ).all()
    return {"batch": [batch.id], "invoices": list(invoices), "lines": list(lines)}


def _save_delete_save() -> tuple[dict, dict]:
    """A batch saved then deleted, and the same period saved again: both batches' ids."""
    first = save_batch(OCTOBER, None, TODAY)
    db.session.commit()
    deleted = _ids(first)
    assert len(deleted["invoices"]) == 2 and deleted["lines"]
    delete_batch(first, None)
    db.session.commit()
    gone = sa.select(sa.func.count(Invoice.id)).where(Invoice.id.in_(deleted["invoices"]))
    assert db.session.scalar(gone) == 0
    again = save_batch(OCTOBER, None, TODAY)
    db.session.commit()
    return deleted, _ids(again)


def _assert_all_new(deleted: dict, new: dict) -> None:
    for kind, old_ids in deleted.items():
        assert new[kind] and min(new[kind]) > max(old_ids), (kind, old_ids, new[kind])


def test_a_deleted_batch_ids_are_never_given_again(app):
    _october_work()
    deleted, new = _save_delete_save()
    _assert_all_new(deleted, new)


# Columns a row needs at 0009 (NOT NULL, no default), filled by type when a test does not care.
def _filler(column: sa.Column):
    kind = column.type.python_type if hasattr(column.type, "impl") else None
    for sa_type, value in (
        (sa.Boolean, False),
        (sa.Integer, 0),
        (sa.DateTime, datetime(2026, 10, 1, tzinfo=UTC)),
        (sa.Date, date(2026, 10, 1)),
        (sa.JSON, {}),
        (sa.String, ""),
        (sa.Text, ""),
    ):
        if isinstance(column.type, sa_type):
            return value
    return kind() if kind else ""


def _insert(conn, table: sa.Table, **values) -> None:
    for column in table.columns:
        needed = not column.nullable and column.server_default is None
        if needed and column.name not in values:
            values[column.name] = _filler(column)
    conn.execute(table.insert().values(**values))


# Reflection skips expression indexes (length(number)); they are checked by their text below.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_an_upgraded_sqlite_database_keeps_its_rows_and_never_reuses_ids(tmp_path):
    app = create_app(_test_config(f"sqlite:///{tmp_path / 'before-0011.db'}"))
    with app.app_context():
        upgrade(revision="0009")
        meta = sa.MetaData()
        meta.reflect(db.engine, only=["customers", "invoices", "invoice_lines"])
        invoices, lines = meta.tables["invoices"], meta.tables["invoice_lines"]
        with db.engine.begin() as conn:
            _insert(conn, meta.tables["customers"], id=1, name="Old customer", currency="USD")
            for n in (1, 2, 3):
                _insert(conn, invoices, id=n, number=f"OLD-{n}", customer_id=1, currency="USD",
                        status="draft", total_minor=100 * n, subtotal_minor=100 * n,
                        issue_date=date(2026, 9, 1), due_date=date(2026, 9, 30))  # fmt: skip
                _insert(conn, lines, id=n, invoice_id=n, kind="custom", description=f"Line {n}",
                        quantity=1000, unit_price_minor=100 * n, amount_minor=100 * n)  # fmt: skip
        upgrade()
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            indexes = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type='index'")
            indexes = dict(indexes.all())
            tables = dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master").all())
        # Expression and partial indexes came back with the rebuilt tables.
        assert "length(number)" in indexes["ix_invoices_number_natural"]
        assert "WHERE is_default" in indexes["uq_contracts_one_default"]
        assert "WHERE is_primary" in indexes["uq_contract_rates_one_primary"]
        assert "AUTOINCREMENT" in tables["invoices"] and "AUTOINCREMENT" in tables["tickets"]
        assert "ck_invoices_due_after_issue" in tables["invoices"]  # constraints kept
        assert "REFERENCES invoices (id) ON DELETE CASCADE" in tables["invoice_lines"]
        old = db.session.execute(sa.select(Invoice.id, Invoice.number, Invoice.total_minor))
        assert sorted(old.all()) == [(1, "OLD-1", 100), (2, "OLD-2", 200), (3, "OLD-3", 300)]
        assert db.session.get(Invoice, 2).lines[0].description == "Line 2"
        # Deleting the newest invoice cascades to its lines (foreign keys still on)...
        db.session.delete(db.session.get(Invoice, 3))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(InvoiceLine.id))) == 2
        # ...and its id is not given again; nor are a deleted batch's.
        _october_work()
        deleted, new = _save_delete_save()
        assert min(deleted["invoices"]) > 3
        _assert_all_new(deleted, new)
        db.session.remove()
        db.engine.dispose()
