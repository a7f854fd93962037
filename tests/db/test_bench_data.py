"""The benchmark data generator (``bench.generate``, ``flask bench-data``) at a small size."""

from datetime import date

import pytest
import sqlalchemy as sa
from markupsafe import escape

from bench.generate import DatabaseNotEmpty, generate
from billing.invoices.numbering import take_numbers
from billing.invoices.snapshot import tax_summary
from models import (
    Contract,
    ContractType,
    Customer,
    Expense,
    Invoice,
    InvoiceBatch,
    InvoiceLine,
    InvoiceStatus,
    Ticket,
    TimeEntry,
    db,
)

SMALL = {
    "customers": 12,
    "months": 6,
    "contracts": 40,
    "tickets": 600,
    "entries": 2400,
    "invoices": 300,
    "lines": 3000,
    "today": date(2026, 3, 15),
}


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture
def generated(app) -> dict[str, int]:
    return generate(**SMALL)


def test_counts_are_as_asked(generated):
    asked = {"customers": 12, "contracts": 40, "tickets": 600, "time_entries": 2400}
    asked |= {"invoices": 300, "invoice_lines": 3000, "invoice_batches": 6}
    assert {k: generated[k] for k in asked} == asked
    stored = [Customer, Contract, Ticket, TimeEntry, Invoice, InvoiceLine, InvoiceBatch]
    assert [_count(m) for m in stored] == [asked[k] for k in asked]
    assert _count(Expense) == generated["expenses"] > 0
    # Ids were chosen by the generator: the next row the app adds must not collide.
    db.session.add(Customer(name="Added after the load", currency="USD"))
    db.session.flush()


def test_every_contract_type_and_currency(generated):
    types = set(db.session.scalars(sa.select(Contract.type).distinct()))
    assert types == set(ContractType)
    currencies = set(db.session.scalars(sa.select(Invoice.currency).distinct()))
    assert currencies == {"USD", "EUR", "GBP"}


def test_totals_are_lines_plus_tax_per_rate(generated):
    wrong_subtotal = _count(
        Invoice,
        (Invoice.total_minor != Invoice.subtotal_minor + Invoice.tax_minor)
        | (
            Invoice.subtotal_minor
            != sa.select(sa.func.coalesce(sa.func.sum(InvoiceLine.amount_minor), 0))
            .where(InvoiceLine.invoice_id == Invoice.id)
            .scalar_subquery()
        ),
    )
    # Tax per rate on the sum of its lines, rounded half-up once (percent is stored x 10 000).
    wrong_tax = db.session.scalar(
        sa.text(
            "WITH per_rate AS (SELECT invoice_id, "
            "  (CAST(SUM(amount_minor) AS BIGINT) * tax_percent + 500000) / 1000000 AS tax "
            "  FROM invoice_lines "
            "  WHERE tax_percent > 0 GROUP BY invoice_id, tax_rate_id, tax_name, tax_percent), "
            "per_invoice AS (SELECT invoice_id, SUM(tax) AS tax FROM per_rate GROUP BY invoice_id) "
            "SELECT COUNT(*) FROM invoices i LEFT JOIN per_invoice p ON p.invoice_id = i.id "
            "WHERE i.tax_minor != COALESCE(p.tax, 0)"
        )
    )
    assert (wrong_subtotal, wrong_tax) == (0, 0)
    assert _count(Invoice, Invoice.tax_minor > 0) > 0
    # And as the app itself computes them, for a sample.
    for invoice in db.session.scalars(sa.select(Invoice).where(Invoice.id % 37 == 1)):
        totals = tax_summary(invoice)
        assert (totals.subtotal_minor, totals.tax_minor) == (
            invoice.subtotal_minor,
            invoice.tax_minor,
        )


def test_numbers_unique_and_the_next_one_is_free(generated):
    numbers = list(db.session.scalars(sa.select(Invoice.number).order_by(Invoice.id)))
    assert len(set(numbers)) == len(numbers) == 300
    assert numbers[0] == "INV-0001" and numbers[-1] == "INV-0300"
    assert take_numbers(1) == ["INV-0301"]


def test_the_300_line_invoice(generated):
    big = db.session.get(Invoice, generated["big_invoice_id"])
    assert len(big.lines) == 300
    assert _count(InvoiceLine, InvoiceLine.invoice_id != big.id) == 2700


def test_snapshots_statuses_and_billed_tickets(generated):
    assert _count(Invoice, (Invoice.bill_to_name == "") | (Invoice.bill_to_address == "")) == 0
    assert db.session.get(Invoice, 1).issuer["company_name"]
    by_status = dict(
        db.session.execute(sa.select(Invoice.status, sa.func.count()).group_by(Invoice.status))
        .tuples()
        .all()
    )
    assert by_status[InvoiceStatus.PAID] > sum(by_status.values()) / 2
    assert {InvoiceStatus.DRAFT, InvoiceStatus.SENT, InvoiceStatus.EXPORTED} <= set(by_status)
    drafts = db.session.scalars(sa.select(Invoice.issue_date).where(Invoice.status == "draft"))
    assert set(drafts) == {date(2026, 3, 1)}  # this month's invoices, and only they
    # A billed ticket is closed or resolved, and is billed on an invoice of its batch.
    assert _count(Ticket, Ticket.batch_id.is_not(None), Ticket.status == "open") == 0
    unbilled_lines = (
        sa.select(InvoiceLine.id)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .join(Ticket, Ticket.id == InvoiceLine.ticket_id)
        .where(
            (Ticket.batch_id.is_(None))
            | (Ticket.batch_id != Invoice.batch_id)
            | (Ticket.contract_id != Invoice.contract_id)
        )
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(unbilled_lines.subquery())) == 0
    billed = _count(Ticket, Ticket.batch_id.is_not(None))
    assert billed == generated["billed_tickets"] > 0
    on_lines = db.session.scalar(sa.select(sa.func.count(sa.distinct(InvoiceLine.ticket_id))))
    assert on_lines == billed


def _snapshot() -> tuple:
    invoices = db.session.execute(
        sa.select(
            Invoice.number, Invoice.customer_id, Invoice.status, Invoice.total_minor
        ).order_by(Invoice.id)
    ).all()
    lines = db.session.execute(
        sa.select(
            InvoiceLine.description, InvoiceLine.amount_minor, InvoiceLine.ticket_id
        ).order_by(InvoiceLine.id)
    ).all()
    tickets = db.session.execute(
        sa.select(Ticket.title, Ticket.batch_id, Ticket.closed_at).order_by(Ticket.id)
    ).all()
    return invoices, lines, tickets


def test_same_seed_same_data(app):
    first = generate(**SMALL)
    before = _snapshot()
    db.session.rollback()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            if table.name != "users":
                conn.execute(table.delete())
    assert generate(**SMALL) == first
    assert _snapshot() == before


def test_refuses_a_database_in_use(generated, runner):
    with pytest.raises(DatabaseNotEmpty, match="empty database"):
        generate(**SMALL)
    result = runner.invoke(args=["bench-data", "--customers", "2"])
    assert result.exit_code == 1
    assert "needs an empty database; it has customers" in result.output


def test_too_few_lines_is_refused(app):
    with pytest.raises(ValueError, match="at least 309 lines"):
        generate(**{**SMALL, "invoices": 10, "lines": 100})


def test_cli_prints_counts_and_seconds(runner):
    result = runner.invoke(
        args=["bench-data", "--customers", "3", "--months", "2", "--contracts", "8",
              "--tickets", "40", "--entries", "90", "--invoices", "20", "--lines", "400"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "invoice_lines: 400" in result.output and "Generated in" in result.output
    assert _count(Invoice) == 20


def test_billing_page_and_the_big_invoice_render(generated, admin_client):
    page = admin_client.get("/billing")
    assert page.status_code == 200
    assert "INV-0300" in page.text  # newest number first
    big = db.session.get(Invoice, generated["big_invoice_id"])
    response = admin_client.get(f"/invoices/{big.id}")
    assert response.status_code == 200
    assert big.number in response.text
    for line in (big.lines[0], big.lines[-1]):
        assert str(escape(line.description)) in response.text
