"""Covering indexes for the Billing page's totals: by status, by customer, and for a search.

The totals of a filtered list (count and sum per currency) then read an index alone instead of
the invoices' rows. The natural-number index also carries what a search and its totals test and
sum (customer, currency, total), so a search scans that narrow index rather than the table.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


NATURAL = [sa.text("length(number)"), "number"]


def upgrade():
    op.drop_index("ix_invoices_number_natural", "invoices")
    op.create_index(
        "ix_invoices_number_natural",
        "invoices",
        [*NATURAL, "customer_id", "currency", "total_minor"],
    )
    op.create_index(
        "ix_invoices_status_currency_total", "invoices", ["status", "currency", "total_minor"]
    )
    op.create_index(
        "ix_invoices_customer_currency_total",
        "invoices",
        ["customer_id", "currency", "total_minor"],
    )
    # SQLite plans with the statistics of the last ANALYZE, if any: an index without them looks
    # as good as ix_invoices_status_number for a status filter, and then the page sorts every
    # matching invoice instead of reading 51 in order. Fresh statistics keep the right plan.
    op.execute("ANALYZE invoices")


def downgrade():
    op.drop_index("ix_invoices_customer_currency_total", "invoices")
    op.drop_index("ix_invoices_status_currency_total", "invoices")
    op.drop_index("ix_invoices_number_natural", "invoices")
    op.create_index("ix_invoices_number_natural", "invoices", NATURAL)
