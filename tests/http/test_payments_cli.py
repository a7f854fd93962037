"""``flask payments record``, through Flask's CLI runner."""

from datetime import date

import sqlalchemy as sa

from models import Invoice, InvoiceStatus, Payment, PaymentMethod, Settings, db
from tests.factories import make_customer, make_invoice, make_line


def _invoice(number: str = "INV-0001", amount: int = 25000, **fields) -> Invoice:
    customer = fields.pop("customer", None) or make_customer()
    values = dict(number=number, status=InvoiceStatus.SENT, issue_date=date(2026, 11, 1))
    return make_invoice(customer, [make_line("Support", amount)], **{**values, **fields})


def _fresh(invoice: Invoice) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


def test_a_partial_payment_then_the_rest_makes_it_paid(app, runner):
    invoice = _invoice()
    args = ["payments", "record", "--invoice", "INV-0001", "--amount", "120.00",
            "--date", "2026-12-01", "--method", "bank", "--reference", "REF-1"]  # fmt: skip
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    payment = db.session.scalars(sa.select(Payment)).one()
    assert result.output.strip() == (
        f"Payment #{payment.id}: $120.00 applied to INV-0001; balance due $130.00 (Sent)."
    )
    assert (payment.amount_minor, payment.payment_date, payment.method, payment.reference) == (
        12000, date(2026, 12, 1), PaymentMethod.BANK, "REF-1",
    )  # fmt: skip
    assert _fresh(invoice).is_partly_paid
    result = runner.invoke(args=["payments", "record", "--invoice", "INV-0001",
                                 "--amount", "$130", "--method", "card"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "$130.00 applied to INV-0001; balance due $0.00 (Paid)." in result.output
    invoice = _fresh(invoice)
    assert (invoice.status, invoice.paid_minor, invoice.balance_minor) == (
        InvoiceStatus.PAID, 25000, 0,
    )  # fmt: skip


def test_the_amount_is_read_in_the_company_locale(app, runner):
    db.session.add(Settings(id=1, country="DE"))
    db.session.commit()
    invoice = _invoice(customer=make_customer(currency="EUR"), amount=200000)
    result = runner.invoke(args=["payments", "record", "--invoice", "INV-0001",
                                 "--amount", "1.234,50"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1.234,50\xa0€ applied to INV-0001; balance due 765,50\xa0€" in result.output
    assert _fresh(invoice).paid_minor == 123450


def test_refusals_name_the_option_and_change_nothing(app, runner):
    _invoice()
    _invoice("INV-0002", status=InvoiceStatus.DRAFT)
    cases = [
        (["--invoice", "INV-0404", "--amount", "10"], "There is no invoice INV-0404."),
        (["--invoice", "INV-0001", "--amount", "250.01"], "more than invoice INV-0001's balance"),
        (["--invoice", "INV-0001", "--amount", "0"], "above zero"),
        (["--invoice", "INV-0001", "--amount", "12.345"], "at most 2 decimals"),
        (["--invoice", "INV-0002", "--amount", "10"], "only a sent or exported invoice"),
    ]
    for args, words in cases:
        result = runner.invoke(args=["payments", "record", *args])
        assert result.exit_code == 2, result.output
        assert words in result.output, result.output
    assert db.session.scalar(sa.select(sa.func.count(Payment.id))) == 0
