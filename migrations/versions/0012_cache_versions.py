"""Cache versions: one row whose number goes up with every change to what a worker keeps in
memory (the settings, the Billing page's filter choices), so each worker sees another's change
on its next request (``billing.process_cache``).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "cache_versions",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_cache_versions_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache_versions")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 1}])


def downgrade():
    op.drop_table("cache_versions")
