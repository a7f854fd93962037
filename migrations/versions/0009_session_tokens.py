"""Users: a session token, so that log-out, a password change or deactivation ends sessions.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "users", sa.Column("session_token", sa.String(32), nullable=False, server_default="")
    )


def downgrade():
    op.drop_column("users", "session_token")
