"""Users: may a technician see billing; bulk jobs (PDF, send, export of many invoices in chunks).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "users",
        sa.Column("can_see_billing", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "bulk_jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("invoice_ids", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("running_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_bulk_jobs_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_bulk_jobs"),
    )
    op.create_index("ix_bulk_jobs_user_id", "bulk_jobs", ["user_id"])
    op.create_index("ix_bulk_jobs_created_at", "bulk_jobs", ["created_at"])


def downgrade():
    op.drop_index("ix_bulk_jobs_created_at", table_name="bulk_jobs")
    op.drop_index("ix_bulk_jobs_user_id", table_name="bulk_jobs")
    op.drop_table("bulk_jobs")
    op.drop_column("users", "can_see_billing")
