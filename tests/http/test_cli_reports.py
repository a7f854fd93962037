"""``flask reports aging``: the table per currency with its totals, as of a day, the CSV, and a
refused date (exit code 2, in words)."""

from datetime import date

import pytest

from models import InvoiceStatus
from tests.factories import make_customer, make_invoice, make_line, make_payment


@pytest.fixture
def app_config():
    return {"BILLING_TODAY": "2026-12-03"}


@pytest.fixture
def owed(app):
    """Acme owes 1,250.00 of 2,500.00 (13 days late) and 400.00 (124 days late); Zeta €99.00."""
    acme = make_customer(name="Acme Dental", currency="USD")
    zeta = make_customer(name="Zeta GmbH", currency="EUR")
    late = make_invoice(acme, [make_line("Support", 250000)], status=InvoiceStatus.SENT,
                        issue_date=date(2026, 10, 21), due_date=date(2026, 11, 20))  # fmt: skip
    make_payment(acme, 125000, {late.id: 125000}, payment_date=date(2026, 11, 25))
    make_invoice(acme, [make_line("Support", 40000)], status=InvoiceStatus.SENT,
                 issue_date=date(2026, 7, 2), due_date=date(2026, 8, 1))  # fmt: skip
    make_invoice(zeta, [make_line("Licence", 9900)], status=InvoiceStatus.EXPORTED,
                 issue_date=date(2026, 11, 20), due_date=date(2026, 12, 20))  # fmt: skip


def test_the_table_per_currency_with_totals(runner, owed):
    result = runner.invoke(args=["reports", "aging"])
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert lines[0] == "Receivables as of 2026-12-03"
    assert "Customer (EUR) Current 1–30 days 31–60 days 61–90 days Over 90 days Total" in lines
    assert "Zeta GmbH €99.00 €0.00 €0.00 €0.00 €0.00 €99.00" in lines
    assert "Acme Dental $0.00 $1,250.00 $0.00 $0.00 $400.00 $1,650.00" in lines
    assert "Total USD $0.00 $1,250.00 $0.00 $0.00 $400.00 $1,650.00" in lines
    assert lines.index("Total EUR €99.00 €0.00 €0.00 €0.00 €0.00 €99.00") < lines.index(
        "Total USD $0.00 $1,250.00 $0.00 $0.00 $400.00 $1,650.00"
    )


def test_as_of_a_past_day_and_nothing_owed(runner, owed):
    result = runner.invoke(args=["reports", "aging", "--as-of", "2026-11-21"])
    assert result.exit_code == 0
    assert "Acme Dental $0.00 $2,500.00 $0.00 $0.00 $400.00 $2,900.00" in " ".join(
        result.output.split()
    )
    empty = runner.invoke(args=["reports", "aging", "--as-of", "2026-01-01"])
    assert empty.output == "Receivables as of 2026-01-01\nNothing is owed.\n"


def test_the_csv(runner, owed):
    result = runner.invoke(args=["reports", "aging", "--csv", "--as-of", "2026-12-03"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "Customer,Currency,Current,1–30 days,31–60 days,61–90 days,Over 90 days,Total",
        "Zeta GmbH,EUR,99.00,0.00,0.00,0.00,0.00,99.00",
        "Acme Dental,USD,0.00,1250.00,0.00,0.00,400.00,1650.00",
    ]


@pytest.mark.parametrize("bad", ["2026-02-30", "03/12/2026", "soon"])
def test_a_bad_date_is_refused_with_a_clear_error(runner, owed, bad):
    result = runner.invoke(args=["reports", "aging", "--as-of", bad])
    assert result.exit_code == 2
    assert "Invalid value for --as-of" in result.output and "YYYY-MM-DD" in result.output
    assert "Traceback" not in result.output
