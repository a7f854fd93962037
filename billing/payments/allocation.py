"""Which open invoices a payment pays, and how much of each: pure, no database."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol


class OpenInvoice(Protocol):
    """What planning needs of an invoice (an :class:`models.Invoice` has it)."""

    id: int
    number: str
    due_date: date

    @property
    def balance_minor(self) -> int: ...


@dataclass
class Allocation:
    """A plan: ``applied`` maps invoice ids to minor units (in payment order); ``unapplied``
    is what is left over, the customer's credit."""

    applied: dict[int, int] = field(default_factory=dict)
    unapplied_minor: int = 0

    @property
    def applied_minor(self) -> int:
        """The sum applied to invoices."""
        return sum(self.applied.values())


def payment_order(invoices: Iterable[OpenInvoice]) -> list[OpenInvoice]:
    """Oldest first: by due date, then by number in its natural order (INV-9 before INV-10)."""
    return sorted(invoices, key=lambda i: (i.due_date, len(i.number), i.number, i.id))


def plan_allocation(
    open_invoices: Iterable[OpenInvoice], amount_minor: int, first_id: int | None = None
) -> Allocation:
    """Spread ``amount_minor`` over ``open_invoices`` oldest first (invoice ``first_id`` before
    them all: the one a payment is recorded from), never more than an invoice's balance; the
    rest is unapplied credit. Invoices owing nothing are skipped."""
    if amount_minor < 0:
        raise ValueError("amount_minor must not be negative")
    plan = Allocation()
    left = amount_minor
    ordered = payment_order(open_invoices)
    ordered.sort(key=lambda invoice: invoice.id != first_id)  # stable: the rest keep their order
    for invoice in ordered:
        if left == 0:
            break
        share = min(left, invoice.balance_minor)
        if share > 0:
            plan.applied[invoice.id] = share
            left -= share
    plan.unapplied_minor = left
    return plan
