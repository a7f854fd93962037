"""Planning a payment over open invoices, with figures computed by hand."""

from dataclasses import dataclass
from datetime import date

import pytest

from billing.payments.allocation import plan_allocation


@dataclass
class Open:
    id: int
    number: str
    due_date: date
    balance_minor: int


def test_a_split_payment_over_three_invoices_pays_the_oldest_first():
    # Due 1 Oct: 100.00; due 1 Nov: 250.50 (INV-9) and 80.25 (INV-10, after INV-9 naturally).
    # 400.00 pays 100.00 + 250.50 = 350.50, and 49.50 of the 80.25: nothing left over.
    invoices = [
        Open(3, "INV-10", date(2026, 11, 1), 8025),
        Open(1, "INV-2", date(2026, 10, 1), 10000),
        Open(2, "INV-9", date(2026, 11, 1), 25050),
    ]
    plan = plan_allocation(invoices, 40000)
    assert list(plan.applied.items()) == [(1, 10000), (2, 25050), (3, 4950)]
    assert plan.applied_minor == 40000
    assert plan.unapplied_minor == 0


def test_an_overpayment_leaves_the_rest_as_credit_then_pays_a_later_invoice():
    # 300.00 against 120.00 + 99.99 = 219.99 owed: 80.01 credit.
    first = [Open(1, "INV-1", date(2026, 10, 1), 12000), Open(2, "INV-2", date(2026, 10, 15), 9999)]
    plan = plan_allocation(first, 30000)
    assert plan.applied == {1: 12000, 2: 9999}
    assert plan.unapplied_minor == 8001
    # A later invoice of 50.00: the credit pays it all, 30.01 stays credit.
    later = plan_allocation([Open(3, "INV-3", date(2026, 12, 1), 5000)], plan.unapplied_minor)
    assert later.applied == {3: 5000}
    assert later.unapplied_minor == 3001


def test_never_more_than_a_balance_and_settled_invoices_are_skipped():
    invoices = [Open(1, "INV-1", date(2026, 10, 1), 0), Open(2, "INV-2", date(2026, 10, 2), 500)]
    plan = plan_allocation(invoices, 499)
    assert plan.applied == {2: 499}
    assert plan_allocation([], 700).unapplied_minor == 700
    with pytest.raises(ValueError):
        plan_allocation(invoices, -1)


def test_the_invoice_a_payment_is_recorded_from_comes_first():
    # From INV-10's page, 100.00: its 80.25 first, then 19.75 of the oldest (INV-2).
    invoices = [
        Open(3, "INV-10", date(2026, 11, 1), 8025),
        Open(1, "INV-2", date(2026, 10, 1), 10000),
        Open(2, "INV-9", date(2026, 11, 1), 25050),
    ]
    plan = plan_allocation(invoices, 10000, first_id=3)
    assert list(plan.applied.items()) == [(3, 8025), (1, 1975)]
    assert plan_allocation(invoices, 10000, first_id=99).applied == {1: 10000}  # not open
