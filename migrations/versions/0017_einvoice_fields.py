"""What EN 16931 e-invoices need (issue #17): the seller's legal and payment identifiers in the
settings, the buyer's in each customer (with the format its emails carry), and each tax rate's
VAT category with its exemption reason.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

COLUMNS = {
    "settings": [
        ("legal_name", sa.String(200), ""),
        ("vat_id", sa.String(32), ""),
        ("tax_registration", sa.String(32), ""),
        ("registration_number", sa.String(64), ""),
        ("endpoint_id", sa.String(100), ""),
        ("endpoint_scheme", sa.String(8), ""),
        ("iban", sa.String(34), ""),
        ("bic", sa.String(11), ""),
        ("payment_terms_text", sa.Text(), ""),
        ("contact_name", sa.String(120), ""),
        ("contact_phone", sa.String(40), ""),
        ("contact_email", sa.String(254), ""),
    ],
    "customers": [
        ("country", sa.String(2), ""),
        ("vat_id", sa.String(32), ""),
        ("endpoint_id", sa.String(100), ""),
        ("endpoint_scheme", sa.String(8), ""),
        ("buyer_reference", sa.String(100), ""),
        ("einvoice_format", sa.String(16), "pdf"),
    ],
    "tax_rates": [
        ("vat_category", sa.String(2), "S"),
        ("exemption_reason", sa.String(200), ""),
        ("exemption_code", sa.String(30), ""),
    ],
}


def upgrade():
    for table, columns in COLUMNS.items():
        for name, kind, default in columns:
            op.add_column(table, sa.Column(name, kind, nullable=False, server_default=default))


def downgrade():
    for table, columns in COLUMNS.items():
        for name, _, _ in reversed(columns):
            op.drop_column(table, name)
