"""``flask credit-notes create`` and ``flask credit-notes refund``, through Flask's CLI runner."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from models import CreditNote, Invoice, InvoiceStatus, Payment, PaymentDirection, TaxRate, db
from tests.factories import make_customer, make_invoice, make_line, make_payment, make_tax_rate


def _invoice(number: str = "INV-0001", **fields) -> Invoice:
    """INV-0001: 1 Support 10 x 80.00 at VAT 20% and 2 Cable 3 x 12.34 untaxed; subtotal
    837.02, tax 160.00, total 997.02."""
    vat = db.session.scalar(sa.select(TaxRate).where(TaxRate.name == "VAT"))
    vat = vat or make_tax_rate(name="VAT", percent=Decimal(20))
    lines = [
        make_line("Support", 8000, 10, position=1, tax_rate_id=vat.id, tax_name="VAT",
                  tax_percent=Decimal(20)),
        make_line("Cable", 1234, 3, position=2),
    ]  # fmt: skip
    values = dict(number=number, status=InvoiceStatus.SENT, issue_date=date(2026, 11, 1),
                  subtotal_minor=83702, tax_minor=16000, total_minor=99702)  # fmt: skip
    return make_invoice(fields.pop("customer", None) or make_customer(), lines,
                        **{**values, **fields})  # fmt: skip


def _fresh(invoice: Invoice) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


def _create(runner, *args):
    return runner.invoke(args=["credit-notes", "create", "--invoice", "INV-0001", *args])


def test_credit_by_lines_then_an_amount_then_the_rest_is_refused(app, runner):
    invoice = _invoice()
    # Support 2.5 of 10: 200.00 + VAT 40.00; Cable 1 of 3: 12.34 untaxed; total 252.34.
    result = _create(runner, "--lines", "1:2.5, 2:1", "--reason", "Not delivered",
                     "--date", "2026-12-02")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "Credit note CN-0001: $252.34 credited on INV-0001; balance due $744.68 (Sent)."
    )
    note = db.session.scalars(sa.select(CreditNote)).one()
    assert (note.kind, note.issue_date, note.reason) == (
        "lines",
        date(2026, 12, 2),
        "Not delivered",
    )
    # 100.00 at VAT: 120.00.
    result = _create(runner, "--amount", "100", "--tax-rate", "vat", "--reason", "Goodwill")
    assert result.exit_code == 0, result.output
    assert "Credit note CN-0002: $120.00 credited on INV-0001; balance due $624.68" in result.output
    result = _create(runner, "--amount", "624.69", "--tax-rate", "VAT", "--reason", "Too much")
    assert result.exit_code == 2, result.output
    assert "total less earlier credits" in result.output and "--amount" in result.output
    assert _fresh(invoice).credited_minor == 25234 + 12000


def test_a_whole_credit_of_a_paid_invoice_then_its_refund(app, runner, admin):
    invoice = _invoice()
    make_payment(invoice.customer, 99702, user=admin)
    result = _create(runner, "--whole", "--reason", "Cancelled")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "Credit note CN-0001: $997.02 credited on INV-0001; balance due $0.00 (Paid). "
        "$997.02 already paid is the customer's credit."
    )
    args = ["credit-notes", "refund", "--credit-note", "CN-0001", "--date", "2026-12-10",
            "--method", "bank", "--reference", "RF-9"]  # fmt: skip
    result = runner.invoke(args=[*args, "--amount", "997.03"])
    assert result.exit_code == 2 and "more than can be refunded" in result.output, result.output
    result = runner.invoke(args=[*args, "--amount", "997.02"])
    assert result.exit_code == 0, result.output
    refund = db.session.scalars(
        sa.select(Payment).where(Payment.direction == PaymentDirection.OUT)
    ).one()
    assert result.output.strip() == (
        f"Refund #{refund.id}: $997.02 paid back on credit note CN-0001; "
        "invoice INV-0001 is Refunded."
    )
    assert (refund.payment_date, refund.reference) == (date(2026, 12, 10), "RF-9")
    assert _fresh(invoice).status == InvoiceStatus.REFUNDED


def test_refusals_name_the_option_and_change_nothing(app, runner):
    _invoice()
    _invoice("INV-0002", status=InvoiceStatus.DRAFT)
    cases = [
        (["--invoice", "INV-0404", "--whole"], 2, "There is no invoice INV-0404."),
        (["--invoice", "INV-0001"], 2, "exactly one of --whole, --amount or --lines"),
        (["--invoice", "INV-0001", "--whole", "--amount", "1"], 2, "exactly one of"),
        (["--invoice", "INV-0001", "--lines", "3:1"], 2, "lines 1 to 2; there is no line 3"),
        (["--invoice", "INV-0001", "--lines", "1"], 2, "position:quantity"),
        (["--invoice", "INV-0001", "--lines", "\u00b2:1"], 2, "position:quantity"),
        (["--invoice", "INV-0001", "--lines", "1:1,1:2"], 2, "Line 1 is given twice"),
        (["--invoice", "INV-0001", "--lines", "2:4"], 2, "more than is left to credit"),
        (["--invoice", "INV-0001", "--lines", "2:abc"], 2, "Enter a quantity"),
        (["--invoice", "INV-0001", "--amount", "0"], 2, "above zero"),
        (["--invoice", "INV-0001", "--amount", "1", "--tax-rate", "GST"], 2, "no line taxed at"),
        (["--invoice", "INV-0001", "--whole", "--date", "2026-10-01"], 2, "before its invoice"),
        (["--invoice", "INV-0002", "--whole"], 1, "a Draft is edited, not credited"),
    ]
    for args, code, words in cases:
        result = runner.invoke(args=["credit-notes", "create", *args, "--reason", "R"])
        assert result.exit_code == code, (args, result.output)
        assert words in result.output, result.output
    result = runner.invoke(args=["credit-notes", "create", "--invoice", "INV-0001", "--whole",
                                 "--reason", " "])  # fmt: skip
    assert result.exit_code == 2 and "--reason" in result.output and "Say why" in result.output
    result = runner.invoke(args=["credit-notes", "refund", "--credit-note", "CN-0404",
                                 "--amount", "1"])  # fmt: skip
    assert result.exit_code == 2 and "There is no credit note CN-0404." in result.output
    assert db.session.scalar(sa.select(sa.func.count(CreditNote.id))) == 0
