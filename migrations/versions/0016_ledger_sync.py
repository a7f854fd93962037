"""Two-way ledgers: payments, refunds and credit notes sent to the ledger, payments brought back.

- ``ledger_records``: a payment's, refund's or credit note's copy in one ledger (or its error),
  and ``ledger_refs``: the ledger objects behind it, looked up when a sync reports them.
- ``payments.recorded_in``: "" for a payment recorded here, else the ledger it came from.
- ``invoice_exports.ledger_flag`` / ``ledger_balance``: voided or deleted there, and its balance.
- ``accounting_connections``: the sync's cursor and how the last sync went.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

AUTOINCREMENT = {"sqlite_autoincrement": True}


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def upgrade():
    op.create_table(
        "ledger_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", _enum("provider", "quickbooks", "xero"), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("state", _enum("export_state", "exported", "failed"), nullable=False),
        sa.Column("external_number", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("error_kind", sa.String(length=16), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "(payment_id IS NULL) <> (credit_note_id IS NULL)",
            name=op.f("ck_ledger_records_one_document"),
        ),
        sa.ForeignKeyConstraint(
            ["credit_note_id"], ["credit_notes.id"],
            name=op.f("fk_ledger_records_credit_note_id_credit_notes"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"],
            name=op.f("fk_ledger_records_payment_id_payments"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_records")),
        sa.UniqueConstraint(
            "provider", "credit_note_id", name=op.f("uq_ledger_records_provider_credit_note_id")
        ),
        sa.UniqueConstraint(
            "provider", "payment_id", name=op.f("uq_ledger_records_provider_payment_id")
        ),
        **AUTOINCREMENT,
    )  # fmt: skip
    op.create_table(
        "ledger_refs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("provider", _enum("provider", "quickbooks", "xero"), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["ledger_records.id"],
            name=op.f("fk_ledger_refs_record_id_ledger_records"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_refs")),
        sa.UniqueConstraint("provider", "ref", name=op.f("uq_ledger_refs_provider_ref")),
        **AUTOINCREMENT,
    )  # fmt: skip
    op.create_index(op.f("ix_ledger_refs_record_id"), "ledger_refs", ["record_id"])
    op.add_column(
        "payments",
        sa.Column("recorded_in", sa.String(length=16), nullable=False, server_default=""),
    )
    op.add_column(
        "invoice_exports",
        sa.Column("ledger_flag", sa.String(length=16), nullable=False, server_default=""),
    )
    op.add_column("invoice_exports", sa.Column("ledger_balance", sa.BigInteger(), nullable=True))
    for name in ("sync_cursor", "sync_summary", "sync_error"):
        kind = sa.String(length=40) if name == "sync_cursor" else sa.Text()
        op.add_column(
            "accounting_connections", sa.Column(name, kind, nullable=False, server_default="")
        )
    for name in ("synced_at", "sync_running_until"):
        op.add_column(
            "accounting_connections", sa.Column(name, sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    for name in ("sync_running_until", "synced_at", "sync_error", "sync_summary", "sync_cursor"):
        op.drop_column("accounting_connections", name)
    op.drop_column("invoice_exports", "ledger_balance")
    op.drop_column("invoice_exports", "ledger_flag")
    op.drop_column("payments", "recorded_in")
    op.drop_index(op.f("ix_ledger_refs_record_id"), table_name="ledger_refs")
    op.drop_table("ledger_refs")
    op.drop_table("ledger_records")
