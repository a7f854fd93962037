"""Customers: one invoice per contract (the default) or one per customer.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "customers",
        sa.Column("invoice_grouping", sa.String(16), nullable=False, server_default="contract"),
    )


def downgrade():
    op.drop_column("customers", "invoice_grouping")
