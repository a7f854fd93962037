"""Credit notes, refunds, receivables as of a date, and overdue reminders.

- ``invoices.credited_minor`` (the sum of its credit notes) and ``invoices.settled_on`` (the
  day nothing more was owed), filled in for invoices already Paid or Refunded: the latest
  payment applied to them, else the day they were marked Paid, else their issue date.
- ``payment_applications`` become signed and dated (``applied_on``, filled in with the
  payment's date): a credit note on a paid invoice releases payment with a negative row.
  SQLite cannot change a CHECK in place, so that table is rebuilt (``batch_alter_table``).
- ``credit_notes`` and their lines, with their own number sequence in the settings.
- ``reminder_steps`` (the schedule), ``reminders_sent`` (one per invoice and step) and the
  customers' opt-out.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

AUTOINCREMENT = {"sqlite_autoincrement": True}


def _add_money_column(table: str, column: str, sqlite: bool) -> None:
    check = f"ck_{table}_{column}_nonneg"
    if sqlite:
        # A column constraint in ADD COLUMN: SQLite cannot add a table CHECK without a rebuild.
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} BIGINT DEFAULT '0' NOT NULL "
            f"CONSTRAINT {check} CHECK ({column} >= 0)"
        )
    else:
        op.add_column(table, sa.Column(column, sa.BigInteger(), nullable=False, server_default="0"))
        op.create_check_constraint(check, table, f"{column} >= 0")


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    _add_money_column("invoices", "credited_minor", sqlite)
    op.add_column("invoices", sa.Column("settled_on", sa.Date(), nullable=True))
    op.create_index("ix_invoices_settled_on", "invoices", ["settled_on"])

    if sqlite:
        op.execute(
            "ALTER TABLE settings ADD COLUMN next_credit_note_number INTEGER DEFAULT '1' NOT NULL "
            "CONSTRAINT ck_settings_next_credit_note_positive "
            "CHECK (next_credit_note_number >= 1)"
        )
    else:
        op.add_column(
            "settings",
            sa.Column("next_credit_note_number", sa.Integer(), nullable=False, server_default="1"),
        )
        op.create_check_constraint(
            "ck_settings_next_credit_note_positive", "settings", "next_credit_note_number >= 1"
        )
    op.add_column(
        "settings",
        sa.Column("credit_note_prefix", sa.String(20), nullable=False, server_default="CN-"),
    )
    op.add_column(
        "customers",
        sa.Column("reminders_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()),
    )

    op.create_table(
        "credit_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("released_minor", sa.BigInteger(), nullable=False),
        sa.Column("bill_to_name", sa.String(200), nullable=False),
        sa.Column("bill_to_address", sa.Text(), nullable=False),
        sa.Column("bill_to_emails", sa.Text(), nullable=False),
        sa.Column("issuer", sa.JSON(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("total_minor > 0", name=op.f("ck_credit_notes_total_positive")),
        sa.CheckConstraint("subtotal_minor >= 0", name=op.f("ck_credit_notes_subtotal_minor_nonneg")),
        sa.CheckConstraint("tax_minor >= 0", name=op.f("ck_credit_notes_tax_minor_nonneg")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"],
                                name=op.f("fk_credit_notes_invoice_id_invoices")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_credit_notes_customer_id_customers")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_credit_notes_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_notes_number")),
        **AUTOINCREMENT,
    )  # fmt: skip
    op.create_index("ix_credit_notes_invoice_id", "credit_notes", ["invoice_id"])
    op.create_index("ix_credit_notes_customer_date", "credit_notes", ["customer_id", "issue_date"])
    op.create_table(
        "credit_note_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_note_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("invoice_line_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_rate_id", sa.Integer(), nullable=True),
        sa.Column("tax_name", sa.String(80), nullable=False),
        sa.Column("tax_percent", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_minor >= 0",
                           name=op.f("ck_credit_note_lines_amount_minor_nonneg")),
        sa.ForeignKeyConstraint(["credit_note_id"], ["credit_notes.id"], ondelete="CASCADE",
                                name=op.f("fk_credit_note_lines_credit_note_id_credit_notes")),
        sa.ForeignKeyConstraint(["invoice_line_id"], ["invoice_lines.id"], ondelete="SET NULL",
                                name=op.f("fk_credit_note_lines_invoice_line_id_invoice_lines")),
        sa.ForeignKeyConstraint(["tax_rate_id"], ["tax_rates.id"], ondelete="SET NULL",
                                name=op.f("fk_credit_note_lines_tax_rate_id_tax_rates")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note_lines")),
        **AUTOINCREMENT,
    )  # fmt: skip
    op.create_index("ix_credit_note_lines_credit_note_id", "credit_note_lines", ["credit_note_id"])
    op.create_index(
        "ix_credit_note_lines_invoice_line_id", "credit_note_lines", ["invoice_line_id"]
    )

    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("credit_note_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_payments_credit_note_id_credit_notes"), "credit_notes", ["credit_note_id"], ["id"]
        )
        batch.create_index("ix_payments_credit_note_id", ["credit_note_id"])

    with op.batch_alter_table("payment_applications", recreate="auto") as batch:
        batch.add_column(sa.Column("applied_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("credit_note_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE payment_applications SET applied_on = (SELECT payment_date FROM payments "
        "WHERE payments.id = payment_applications.payment_id)"
    )
    with op.batch_alter_table(
        "payment_applications", recreate="always" if sqlite else "auto"
    ) as batch:
        batch.alter_column("applied_on", existing_type=sa.Date(), nullable=False)
        batch.drop_constraint(op.f("ck_payment_applications_amount_positive"), type_="check")
        batch.create_check_constraint(op.f("ck_payment_applications_amount_nonzero"), "amount_minor <> 0")
        batch.create_foreign_key(
            op.f("fk_payment_applications_credit_note_id_credit_notes"),
            "credit_notes", ["credit_note_id"], ["id"],
        )  # fmt: skip
        batch.create_index("ix_payment_applications_credit_note_id", ["credit_note_id"])
        batch.create_index("ix_payment_applications_invoice_applied", ["invoice_id", "applied_on"])

    # Invoices already settled: the latest payment applied, else the day marked Paid.
    op.execute(
        "UPDATE invoices SET settled_on = (SELECT MAX(applied_on) FROM payment_applications "
        "WHERE payment_applications.invoice_id = invoices.id) "
        "WHERE status IN ('paid', 'refunded')"
    )
    day = "date(created_at)" if sqlite else "CAST(created_at AS DATE)"
    op.execute(
        f"UPDATE invoices SET settled_on = (SELECT MAX({day}) FROM invoice_events "
        "WHERE invoice_events.invoice_id = invoices.id AND invoice_events.kind = 'status' "
        "AND invoice_events.to_status IN ('paid', 'refunded')) "
        "WHERE status IN ('paid', 'refunded') AND settled_on IS NULL"
    )
    op.execute(
        "UPDATE invoices SET settled_on = issue_date "
        "WHERE status IN ('paid', 'refunded') AND settled_on IS NULL"
    )

    op.create_table(
        "reminder_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("days_overdue", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("days_overdue >= 1", name=op.f("ck_reminder_steps_days_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_steps")),
        sa.UniqueConstraint("days_overdue", name=op.f("uq_reminder_steps_days_overdue")),
        **AUTOINCREMENT,
    )
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], ondelete="CASCADE",
                                name=op.f("fk_reminders_sent_invoice_id_invoices")),
        sa.ForeignKeyConstraint(["step_id"], ["reminder_steps.id"], ondelete="CASCADE",
                                name=op.f("fk_reminders_sent_step_id_reminder_steps")),
        sa.ForeignKeyConstraint(["sent_by_id"], ["users.id"],
                                name=op.f("fk_reminders_sent_sent_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders_sent")),
        sa.UniqueConstraint("invoice_id", "step_id",
                            name=op.f("uq_reminders_sent_invoice_id_step_id")),
        **AUTOINCREMENT,
    )  # fmt: skip
    op.create_index("ix_reminders_sent_step_id", "reminders_sent", ["step_id"])


def downgrade():
    op.drop_index("ix_reminders_sent_step_id", table_name="reminders_sent")
    op.drop_table("reminders_sent")
    op.drop_table("reminder_steps")
    # Released payment (negative rows) cannot be kept under the old CHECK: it goes back to
    # the applications it came from.
    op.execute("DELETE FROM payment_applications WHERE amount_minor < 0")
    with op.batch_alter_table("payment_applications", recreate="auto") as batch:
        batch.drop_index("ix_payment_applications_invoice_applied")
        batch.drop_index("ix_payment_applications_credit_note_id")
        batch.drop_constraint(
            op.f("fk_payment_applications_credit_note_id_credit_notes"), type_="foreignkey"
        )
        batch.drop_constraint(op.f("ck_payment_applications_amount_nonzero"), type_="check")
        batch.create_check_constraint(op.f("ck_payment_applications_amount_positive"), "amount_minor > 0")
        batch.drop_column("credit_note_id")
        batch.drop_column("applied_on")
    with op.batch_alter_table("payments") as batch:
        batch.drop_index("ix_payments_credit_note_id")
        batch.drop_constraint(op.f("fk_payments_credit_note_id_credit_notes"), type_="foreignkey")
        batch.drop_column("credit_note_id")
    op.drop_index("ix_credit_note_lines_invoice_line_id", table_name="credit_note_lines")
    op.drop_index("ix_credit_note_lines_credit_note_id", table_name="credit_note_lines")
    op.drop_table("credit_note_lines")
    op.drop_index("ix_credit_notes_customer_date", table_name="credit_notes")
    op.drop_index("ix_credit_notes_invoice_id", table_name="credit_notes")
    op.drop_table("credit_notes")
    op.drop_column("customers", "reminders_opt_out")
    op.drop_column("settings", "credit_note_prefix")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_settings_next_credit_note_positive", "settings", type_="check")
    op.drop_column("settings", "next_credit_note_number")
    op.drop_index("ix_invoices_settled_on", table_name="invoices")
    op.drop_column("invoices", "settled_on")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_invoices_credited_minor_nonneg", "invoices", type_="check")
    op.drop_column("invoices", "credited_minor")
