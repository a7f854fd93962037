"""Ledger exports: the totals the ledger booked, its status there, the kind of the last error,
each QuickBooks connection's tax model, and when an invoice was first emailed.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("accounting_connections") as batch:
        batch.add_column(sa.Column("tax_model", sa.String(16), nullable=False, server_default=""))
    with op.batch_alter_table("invoice_exports") as batch:
        batch.add_column(sa.Column("error_kind", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("sent_total_minor", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("ledger_total", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("ledger_tax", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("ledger_status", sa.String(20), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("total_differs", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("invoice_exports") as batch:
        for name in (
            "total_differs",
            "ledger_status",
            "ledger_tax",
            "ledger_total",
            "sent_total_minor",
            "error_kind",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("accounting_connections") as batch:
        batch.drop_column("tax_model")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("sent_at")
