"""Credit notes with the database: by lines with two tax rates, whole, an amount at a rate, the
refusals, their number sequence, and two credit notes on one invoice at once (both backends)."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from billing.credit_notes.issue import creditable_minor, issue_credit_note, line_remaining
from billing.credit_notes.lines import credit_note_totals
from billing.credit_notes.numbering import take_credit_note_number
from billing.errors import ForbiddenChange, ValidationFailed
from billing.payments.store import record_payment
from billing.settings import get_settings
from models import CreditNote, Invoice, InvoiceEvent, InvoiceStatus, PaymentApplication, db
from tests.factories import (
    make_credit_note,
    make_customer,
    make_invoice,
    make_line,
    make_payment,
    make_tax_rate,
)
from tests.races import assert_fair, race

SENT, PAID = InvoiceStatus.SENT, InvoiceStatus.PAID


def _sent(customer=None, amount: int = 10000, status=SENT, **fields) -> Invoice:
    return make_invoice(customer or make_customer(), [make_line("Support", amount)],
                        status=status, issue_date=date(2026, 11, 1), **fields)  # fmt: skip


def _taxed(rate, description, price, quantity, **fields):
    return make_line(description, price, quantity, tax_rate_id=rate.id, tax_name=rate.name,
                     tax_percent=rate.percent, **fields)  # fmt: skip


def _two_rates_invoice():
    """Three lines at two rates. Hand-computed:
    1 Laptop  4 x 250.00 less 100.00 discount = 900.00  VAT 20%
    2 Support 10 x 80.00                      = 800.00  Reduced 8.25%
    3 Cable   3 x 12.34                       =  37.02  VAT 20%
    subtotal 1737.02; VAT 20% of 937.02 = 187.404 -> 187.40; 8.25% of 800.00 = 66.00;
    total 1737.02 + 187.40 + 66.00 = 1990.42."""
    vat = make_tax_rate(name="VAT", percent=Decimal("20"))
    reduced = make_tax_rate(name="Reduced", percent=Decimal("8.25"))
    lines = [
        _taxed(vat, "Laptop", 25000, 4, position=1, discount_minor=10000, amount_minor=90000),
        _taxed(reduced, "Support", 8000, 10, position=2),
        _taxed(vat, "Cable", 1234, 3, position=3),
    ]
    invoice = make_invoice(make_customer(), lines, status=SENT, issue_date=date(2026, 11, 1),
                           subtotal_minor=173702, tax_minor=25340, total_minor=199042)  # fmt: skip
    return invoice, vat, reduced


def _invariants() -> None:
    db.session.expire_all()
    for invoice in db.session.scalars(sa.select(Invoice)):
        credited = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(CreditNote.total_minor), 0)).where(
                CreditNote.invoice_id == invoice.id
            )
        )
        applied = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(PaymentApplication.amount_minor), 0)).where(
                PaymentApplication.invoice_id == invoice.id
            )
        )
        assert (invoice.credited_minor, invoice.paid_minor) == (credited, applied)
        assert invoice.paid_minor >= 0 and invoice.balance_minor >= 0, invoice.number


def test_a_partial_credit_by_lines_with_two_tax_rates(app, admin):
    invoice, vat, reduced = _two_rates_invoice()
    laptop, support, cable = (line.id for line in invoice.lines)
    # Laptop 1 of 4: 900.00 x 1/4 = 225.00 (the discount pro rata); Support 2.5 of 10: 200.00;
    # Cable 1 of 3: 37.02 / 3 = 12.34. Subtotal 437.34; VAT 20% of 237.34 = 47.468 -> 47.47;
    # 8.25% of 200.00 = 16.50; total 437.34 + 47.47 + 16.50 = 501.31.
    chosen = {laptop: Decimal(1), support: Decimal("2.5"), cable: Decimal(1)}
    note = make_credit_note(invoice, "lines", admin, lines=chosen, reason="Damaged in transit")
    assert [(x.description, x.quantity, x.unit_price_minor, x.amount_minor, x.tax_name)
            for x in note.lines] == [
        ("Laptop", Decimal(1), 25000, 22500, "VAT"),
        ("Support", Decimal("2.5"), 8000, 20000, "Reduced"),
        ("Cable", Decimal(1), 1234, 1234, "VAT"),
    ]  # fmt: skip
    assert (note.subtotal_minor, note.tax_minor, note.total_minor) == (43734, 6397, 50131)
    taxes = {t.tax.name: (t.base_minor, t.tax_minor) for t in credit_note_totals(note).taxes}
    assert taxes == {"VAT": (23734, 4747), "Reduced": (20000, 1650)}
    assert (note.number, note.kind, note.released_minor) == ("CN-0001", "lines", 0)
    assert note.bill_to_name == invoice.bill_to_name and note.created_by_id == admin.id
    db.session.expire_all()
    assert (invoice.credited_minor, invoice.balance_minor, invoice.status) == (50131, 148911, SENT)
    assert line_remaining(invoice) == {laptop: 3, support: Decimal("7.5"), cable: 2}
    (event,) = db.session.scalars(
        sa.select(InvoiceEvent).where(InvoiceEvent.kind == "credit_note")
    ).all()
    assert event.data == {"credit_note_id": note.id, "amount_minor": 50131, "released_minor": 0}
    assert "Credit note CN-0001 (chosen lines) of $501.31 issued: Damaged in transit." in (
        event.message
    )
    assert "Balance due $1,489.11." in event.message
    # The rest of the cable takes exactly what is left of it (37.02 - 12.34 = 24.68); 0.333 of
    # a laptop is 900.00 x 0.333 / 4 = 74.925 -> 74.93. Subtotal 99.61, VAT 19.922 -> 19.92.
    again = make_credit_note(invoice, "lines", lines={cable: Decimal(2), laptop: Decimal("0.333")})
    assert [x.amount_minor for x in again.lines] == [7493, 2468]
    assert (again.subtotal_minor, again.tax_minor, again.total_minor) == (9961, 1992, 11953)
    assert line_remaining(invoice) == {laptop: Decimal("2.667"), support: Decimal("7.5"), cable: 0}
    with pytest.raises(ValidationFailed) as refused:
        issue_credit_note(invoice, kind="lines", reason="x", user=None, lines={cable: Decimal(1)})
    assert refused.value.field == f"qty_{cable}" and "nothing" in str(refused.value)
    db.session.rollback()
    with pytest.raises(ValidationFailed) as refused:
        issue_credit_note(invoice, kind="whole", reason="x", user=None)
    assert refused.value.field == "kind" and "credit its lines or an amount" in str(refused.value)
    db.session.rollback()
    assert creditable_minor(invoice) == 199042 - 50131 - 11953
    _invariants()


def test_a_whole_credit_of_an_unpaid_invoice_makes_it_paid_by_itself(app, admin):
    invoice, _, _ = _two_rates_invoice()
    note = make_credit_note(invoice, user=admin)
    assert (note.subtotal_minor, note.tax_minor, note.total_minor) == (173702, 25340, 199042)
    assert [x.amount_minor for x in note.lines] == [90000, 80000, 3702]
    db.session.expire_all()
    assert (invoice.status, invoice.balance_minor, invoice.credited_minor) == (PAID, 0, 199042)
    assert invoice.settled_on == date(2026, 12, 1)
    status = db.session.scalars(sa.select(InvoiceEvent).where(InvoiceEvent.kind == "status")).one()
    assert (status.from_status, status.to_status) == ("sent", "paid")
    assert status.data == {"credit_note_id": note.id}
    assert status.message == f"Settled by credit note {note.number}."
    _invariants()


def test_an_amount_is_credited_at_one_of_the_invoices_rates(app, admin):
    invoice, vat, reduced = _two_rates_invoice()
    other = make_tax_rate(name="Other", percent=Decimal("5"))
    # 100.00 net at 8.25%: tax 8.25, total 108.25.
    note = make_credit_note(invoice, "amount", amount_minor=10000, tax_rate_id=reduced.id,
                            reason="Goodwill")  # fmt: skip
    (line,) = note.lines
    assert (line.description, line.tax_name, line.tax_percent) == (
        "Goodwill",
        "Reduced",
        825 / Decimal(100),
    )
    assert (note.subtotal_minor, note.tax_minor, note.total_minor) == (10000, 825, 10825)
    cases = [
        (dict(amount_minor=100, tax_rate_id=other.id), "tax_rate", "used on invoice"),
        (dict(amount_minor=100, tax_rate_id=None), "tax_rate", "Every line"),
        (dict(amount_minor=0, tax_rate_id=vat.id), "amount", "above zero"),
        (dict(amount_minor=None, tax_rate_id=vat.id), "amount", "above zero"),
    ]
    for fields, field, words in cases:
        with pytest.raises(ValidationFailed) as refused:
            issue_credit_note(invoice, kind="amount", reason="x", user=None, **fields)
        db.session.rollback()
        assert refused.value.field == field and words in str(refused.value), str(refused.value)


def test_never_more_than_the_total_less_earlier_credits(app, admin):
    invoice = _sent(amount=10000)
    make_credit_note(invoice, "amount", amount_minor=6000)
    with pytest.raises(ValidationFailed) as refused:
        issue_credit_note(invoice, kind="amount", reason="x", user=None, amount_minor=4001)
    db.session.rollback()
    assert refused.value.field == "amount"
    assert str(refused.value) == (
        f"$40.01 is more than invoice {invoice.number}'s total less earlier credits ($40.00)."
    )
    make_credit_note(invoice, "amount", amount_minor=4000)
    db.session.expire_all()
    assert (invoice.credited_minor, invoice.balance_minor, invoice.status) == (10000, 0, PAID)
    with pytest.raises(ValidationFailed, match=r"total less earlier credits \(\$0.00\)"):
        issue_credit_note(invoice, kind="amount", reason="x", user=None, amount_minor=1)
    db.session.rollback()
    _invariants()


def test_a_payment_never_passes_the_balance_left_by_a_credit(app, admin):
    customer = make_customer()
    invoice = _sent(customer, amount=10000)
    make_credit_note(invoice, "amount", amount_minor=4000)
    with pytest.raises(ValidationFailed) as refused:
        record_payment(customer, date(2026, 12, 2), 6001, "USD", "bank", "", "",
                       {invoice.id: 6001}, admin)  # fmt: skip
    db.session.rollback()
    assert refused.value.field == f"apply_{invoice.id}" and "balance of $60.00" in str(
        refused.value
    )
    make_payment(customer, 6000, {invoice.id: 6000}, user=admin)
    db.session.expire_all()
    assert (invoice.paid_minor, invoice.balance_minor, invoice.status) == (6000, 0, PAID)
    _invariants()


def test_refusals_say_why(app, admin):
    invoice = _sent(amount=10000)
    draft = _sent(amount=10000, status=InvoiceStatus.DRAFT)
    refunded = _sent(amount=10000, status=InvoiceStatus.REFUNDED)
    for other, words in ((draft, "a Draft is edited, not credited"), (refunded, "Refunded")):
        with pytest.raises(ForbiddenChange) as refused:
            issue_credit_note(other, kind="whole", reason="x", user=admin)
        db.session.rollback()
        assert refused.value.status_code == 409 and words in str(refused.value)
    cases = [
        (dict(kind="whole", reason="  "), "reason", "Say why"),
        (dict(kind="whole", reason="x" * 501), "reason", "500 characters"),
        (dict(kind="refund", reason="x"), "kind", "Choose what to credit"),
        (dict(kind="whole", reason="x", issue_date=date(2026, 10, 31)), "issue_date", "before"),
        (dict(kind="lines", reason="x", lines={}), "lines", "at least one line"),
        (dict(kind="lines", reason="x", lines={10**9: Decimal(1)}), f"qty_{10**9}", "not on"),
    ]
    line_id = invoice.lines[0].id
    for quantity, words in (("0", "above zero"), ("-1", "above zero"), ("NaN", "above zero"),
                            ("0.0001", "3 decimals"), ("1.5", "more than is left")):  # fmt: skip
        cases.append((dict(kind="lines", reason="x", lines={line_id: Decimal(quantity)}),
                      f"qty_{line_id}", words))  # fmt: skip
    for fields, field, words in cases:
        with pytest.raises(ValidationFailed) as refused:
            issue_credit_note(invoice, user=admin, **fields)
        db.session.rollback()
        assert refused.value.field == field and words in str(refused.value), str(refused.value)
    assert db.session.scalar(sa.select(sa.func.count(CreditNote.id))) == 0
    assert get_settings().next_credit_note_number == 1


def test_numbers_follow_their_own_sequence_and_skip_a_taken_one(app, admin):
    first = make_credit_note(_sent(), "amount", amount_minor=100)
    second = make_credit_note(_sent(), "amount", amount_minor=100)
    assert (first.number, second.number) == ("CN-0001", "CN-0002")
    settings = get_settings()
    settings.next_credit_note_number = 2  # set back by hand: CN-0002 is taken, never reused
    db.session.commit()
    third = make_credit_note(_sent(), "amount", amount_minor=100)
    assert third.number == "CN-0003" and get_settings().next_credit_note_number == 4
    settings = get_settings()
    settings.credit_note_prefix = "CR-"
    db.session.commit()
    assert take_credit_note_number() == "CR-0004"
    db.session.rollback()


@pytest.mark.parametrize("amounts", [(3000, 4000), (6000, 7000)])
def test_two_credit_notes_on_one_invoice_at_once_never_pass_its_total(app, admin, amounts):
    invoice = _sent(amount=10000)
    ids = (invoice.id, admin.id)

    def credit(amount: int, ready) -> None:
        person = db.session.get(type(admin), ids[1])
        credited = db.session.get(Invoice, ids[0])
        ready()
        issue_credit_note(credited, kind="amount", reason="Race", user=person,
                          amount_minor=amount)  # fmt: skip

    outcomes = race(app, credit, amounts)
    assert_fair(outcomes, amounts, room=10000)
    _invariants()
    totals = db.session.scalars(sa.select(CreditNote.total_minor)).all()
    assert db.session.get(Invoice, ids[0]).credited_minor == sum(totals) <= 10000
    numbers = db.session.scalars(sa.select(CreditNote.number).order_by(CreditNote.id)).all()
    assert numbers == [f"CN-{n:04d}" for n in range(1, len(numbers) + 1)]
