"""Ledger exports: the totals the ledger booked, its status there, the kind of the last error,
each QuickBooks connection's tax model, and when an invoice was first emailed.

Plain ADD/DROP COLUMN (SQLite has both since 3.35): a batch copy of ``invoices`` would lose its
expression index on ``length(number)``, which SQLite cannot reflect.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

EXPORT_COLUMNS = [
    ("error_kind", sa.String(16), ""),
    ("sent_total_minor", sa.BigInteger(), None),
    ("ledger_total", sa.BigInteger(), None),  # ScaledDecimal(4)
    ("ledger_tax", sa.BigInteger(), None),
    ("ledger_status", sa.String(20), ""),
    ("total_differs", sa.Boolean(), sa.false()),
]


def upgrade():
    op.add_column("invoices", sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "accounting_connections",
        sa.Column("tax_model", sa.String(16), nullable=False, server_default=""),
    )
    for name, kind, default in EXPORT_COLUMNS:
        column = (
            sa.Column(name, kind, nullable=True)
            if default is None
            else sa.Column(name, kind, nullable=False, server_default=default)
        )
        op.add_column("invoice_exports", column)


def downgrade():
    for name, _, _ in reversed(EXPORT_COLUMNS):
        op.drop_column("invoice_exports", name)
    op.drop_column("accounting_connections", "tax_model")
    op.drop_column("invoices", "sent_at")
