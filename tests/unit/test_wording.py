"""Counted nouns and the overdue rule with its badge: one definition each, shared by the pages,
the Billing list and its Overdue filter."""

from datetime import date

import pytest

from billing.wording import counted, noun, overdue_text
from models import Invoice, InvoiceStatus, overdue_days

S = InvoiceStatus
TODAY = date(2026, 3, 31)


@pytest.mark.parametrize(
    ("count", "words"),
    [(0, "0 invoices"), (1, "1 invoice"), (2, "2 invoices"), (1000, "1000 invoices")],
)
def test_counted_gives_the_singular_for_exactly_one(count, words):
    assert counted(count, "invoice") == words


def test_an_irregular_plural_is_named():
    assert counted(1, "time entry", "time entries") == "1 time entry"
    assert counted(3, "time entry", "time entries") == "3 time entries"
    assert [noun(n, "is", "are") for n in (1, 2)] == ["is", "are"]


@pytest.mark.parametrize(
    ("status", "due", "days"),
    [
        (S.SENT, date(2026, 3, 19), 12),
        (S.EXPORTED, date(2026, 3, 30), 1),
        (S.SENT, TODAY, 0),  # due today: not late yet
        (S.EXPORTED, date(2026, 4, 30), 0),
        (S.DRAFT, date(2026, 1, 31), 0),  # never sent, so nobody is late paying it
        (S.PAID, date(2026, 1, 31), 0),
        (S.REFUNDED, date(2026, 1, 31), 0),
    ],
)
def test_only_a_sent_or_exported_invoice_past_due_is_overdue(status, due, days):
    invoice = Invoice(number="INV-9", status=status, due_date=due)
    assert overdue_days(status, due, TODAY) == invoice.days_overdue(TODAY) == days
    assert invoice.is_overdue(TODAY) is (days > 0)


@pytest.mark.parametrize(
    ("days", "badge"), [(0, ""), (1, "Overdue · 1 day"), (12, "Overdue · 12 days")]
)
def test_overdue_badge_says_how_many_days_late(days, badge):
    assert overdue_text(days) == badge


def test_the_sql_rule_is_the_same_statuses_and_dates():
    clause = Invoice.is_overdue(TODAY).compile(compile_kwargs={"literal_binds": True})
    sql = " ".join(str(clause).split())
    assert "invoices.status IN ('sent', 'exported')" in sql
    assert "invoices.due_date < '2026-03-31'" in sql
