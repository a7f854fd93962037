"""Payments: payments received (or refunded), their applications to invoices, and each
invoice's amount paid (the sum of its applications, kept in the same transaction).

On SQLite the new column and its CHECK are added in one ``ALTER TABLE ... ADD COLUMN`` (SQLite
takes a column constraint there; a separate CHECK would need the table rebuilt), and the new
tables are AUTOINCREMENT like every other (0011).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

AUTOINCREMENT = {"sqlite_autoincrement": True}


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE invoices ADD COLUMN paid_minor BIGINT DEFAULT '0' NOT NULL "
            "CONSTRAINT ck_invoices_paid_minor_nonneg CHECK (paid_minor >= 0)"
        )
    else:
        op.add_column(
            "invoices",
            sa.Column("paid_minor", sa.BigInteger(), nullable=False, server_default="0"),
        )
        op.create_check_constraint("ck_invoices_paid_minor_nonneg", "invoices", "paid_minor >= 0")
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("method", sa.Enum("bank", "card", "cash", "cheque", "other",
                                    name="payment_method", native_enum=False,
                                    create_constraint=True, length=24), nullable=False),
        sa.Column("direction", sa.Enum("in", "out", name="payment_direction",
                                       native_enum=False, create_constraint=True, length=24),
                  nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_payments_amount_positive")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_payments_customer_id_customers")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_payments_created_by_id_users")),
        sa.ForeignKeyConstraint(["deleted_by_id"], ["users.id"],
                                name=op.f("fk_payments_deleted_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        **AUTOINCREMENT,
    )  # fmt: skip
    op.create_index("ix_payments_customer_date", "payments", ["customer_id", "payment_date"])
    op.create_table(
        "payment_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount_minor > 0", name=op.f("ck_payment_applications_amount_positive")
        ),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"],
                                name=op.f("fk_payment_applications_payment_id_payments")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"],
                                name=op.f("fk_payment_applications_invoice_id_invoices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_applications")),
        **AUTOINCREMENT,
    )  # fmt: skip
    op.create_index("ix_payment_applications_payment_id", "payment_applications", ["payment_id"])
    op.create_index("ix_payment_applications_invoice_id", "payment_applications", ["invoice_id"])


def downgrade():
    op.drop_index("ix_payment_applications_invoice_id", table_name="payment_applications")
    op.drop_index("ix_payment_applications_payment_id", table_name="payment_applications")
    op.drop_table("payment_applications")
    op.drop_index("ix_payments_customer_date", table_name="payments")
    op.drop_table("payments")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_invoices_paid_minor_nonneg", "invoices", type_="check")
    # SQLite drops the column with its own CHECK (a column constraint).
    op.drop_column("invoices", "paid_minor")
