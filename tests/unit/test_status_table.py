"""The whole invoice status table: every pair, allowed or refused."""

from itertools import product

import pytest

from billing.errors import Conflict
from billing.invoices.status import TRANSITIONS, change_status, ensure_editable
from models import Invoice, InvoiceStatus

S = InvoiceStatus
ALLOWED = {
    (S.DRAFT, S.SENT), (S.DRAFT, S.EXPORTED), (S.DRAFT, S.PAID),
    (S.SENT, S.DRAFT), (S.SENT, S.EXPORTED), (S.SENT, S.PAID),
    (S.EXPORTED, S.DRAFT), (S.EXPORTED, S.SENT), (S.EXPORTED, S.PAID),
    (S.PAID, S.REFUNDED), (S.PAID, S.SENT), (S.PAID, S.EXPORTED),
}  # fmt: skip


def test_table_is_exactly_the_documented_one():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize(("current", "target"), [p for p in product(S, S) if p[0] != p[1]])
def test_every_transition(app, current, target):
    invoice = Invoice(
        number="INV-9",
        status=current,
        currency="USD",
        total_minor=0,
        paid_minor=0,
        credited_minor=0,
    )
    if (current, target) in ALLOWED:
        change_status(invoice, target, None, "test")
        assert invoice.status == target
        assert invoice.events[-1].from_status == current.value
        assert invoice.events[-1].to_status == target.value
    else:
        with pytest.raises(Conflict, match="cannot become"):
            change_status(invoice, target, None)
        assert invoice.status == current


@pytest.mark.parametrize("status", list(S))
def test_only_drafts_are_editable(status):
    invoice = Invoice(number="INV-9", status=status)
    if status == S.DRAFT:
        ensure_editable(invoice)
    else:
        with pytest.raises(Conflict, match="only a Draft can be edited"):
            ensure_editable(invoice)
