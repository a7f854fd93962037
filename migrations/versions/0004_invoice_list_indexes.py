"""Indexes for the Billing page: natural number order, status + number, total.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.drop_index("ix_invoices_status_number")
    op.create_index("ix_invoices_number_natural", "invoices", [sa.text("length(number)"), "number"])
    op.create_index(
        "ix_invoices_status_number", "invoices", ["status", sa.text("length(number)"), "number"]
    )
    op.create_index("ix_invoices_total_minor", "invoices", ["total_minor"])


def downgrade():
    op.drop_index("ix_invoices_total_minor", "invoices")
    op.drop_index("ix_invoices_status_number", "invoices")
    op.drop_index("ix_invoices_number_natural", "invoices")
    op.create_index("ix_invoices_status_number", "invoices", ["status", "number"])
