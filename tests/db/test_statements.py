"""Customer statements with the database, figures computed by hand: the opening balance from
everything dated before the period (whole payments, unapplied credit included; refunds added
back; Drafts and deleted payments left out), the movements in date order with the running
balance, the closing balance, a credit balance, other currencies apart; the PDF and the email."""

from datetime import date
from email import message_from_bytes
from pathlib import Path

import pytest

from billing.errors import ValidationFailed
from billing.mail import SendFailed
from billing.payments.store import delete_payment
from billing.reports.csv_text import statement_csv
from billing.reports.statement import build_statement, default_period, statement_currencies
from billing.reports.statement_pdf import render_statement_pdf, send_statement
from models import (
    InvoiceStatus,
    Payment,
    PaymentDirection,
    PaymentMethod,
    db,
)
from tests.factories import make_credit_note, make_customer, make_invoice, make_line, make_payment

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def _invoice(customer, total: int, issued: date, status=InvoiceStatus.SENT, **fields):
    return make_invoice(customer, [make_line("Support", total)], status=status,
                        issue_date=issued, due_date=issued.replace(day=28), **fields)  # fmt: skip


def refund(customer, amount: int, day: date) -> Payment:
    """A refund paid out to ``customer`` (a payment out, applied to no invoice)."""
    payment = Payment(customer=customer, payment_date=day, amount_minor=amount,
                      currency=customer.currency, method=PaymentMethod.BANK,
                      direction=PaymentDirection.OUT, reference="RF-1")  # fmt: skip
    db.session.add(payment)
    db.session.commit()
    return payment


@pytest.fixture
def account(app, admin):
    """Acme's USD account: 850.00 owed on Nov 1, then in November an invoice of 300.00, a credit
    note of 100.00 and a payment of 700.00 on Nov 10, a refund of 20.00; 1,000.00 paid Dec 1."""
    acme = make_customer(name="Acme Dental", currency="USD", billing_emails="ap@acme-dental.com")
    first = _invoice(acme, 100000, date(2026, 9, 1), number="INV-0001")
    second = _invoice(acme, 50000, date(2026, 10, 1), number="INV-0002")
    _invoice(acme, 99900, date(2026, 10, 5), status=InvoiceStatus.DRAFT)
    # 600.00 on Oct 10, 400.00 of it applied: the 200.00 left is credit, counted all the same.
    make_payment(acme, 60000, {first.id: 40000}, payment_date=date(2026, 10, 10))
    gone = make_payment(acme, 10000, {second.id: 10000}, payment_date=date(2026, 10, 12))
    delete_payment(gone, "Bounced", admin)
    db.session.commit()
    make_credit_note(
        second, kind="amount", amount_minor=5000, issue_date=date(2026, 10, 20), reason="Goodwill"
    )
    third = _invoice(acme, 30000, date(2026, 11, 5), number="INV-0003")
    make_payment(acme, 70000, {first.id: 60000, second.id: 10000}, payment_date=date(2026, 11, 10),
                 method=PaymentMethod.CARD, reference="REF-9")  # fmt: skip
    make_credit_note(
        third, kind="amount", amount_minor=10000, issue_date=date(2026, 11, 10), reason="Goodwill"
    )
    refund(acme, 2000, date(2026, 11, 20))
    make_payment(acme, 100000, {}, payment_date=date(2026, 12, 1))
    make_invoice(acme, [make_line("Licence", 7777)], status=InvoiceStatus.SENT, currency="EUR",
                 issue_date=date(2026, 11, 3), due_date=date(2026, 12, 3))  # fmt: skip
    return acme


def test_opening_movements_and_closing_by_hand(account):
    statement = build_statement(account, *NOVEMBER, "USD")
    # 1,000.00 + 500.00 invoiced - 600.00 received - 50.00 credited (the Draft and the deleted
    # 100.00 left out)
    assert statement.opening_minor == 85000
    assert [(m.day.day, m.kind, m.number, m.amount_minor, m.balance_minor)
            for m in statement.movements] == [
        (5, "invoice", "INV-0003", 30000, 115000),
        (10, "credit_note", statement.movements[1].number, -10000, 105000),
        (10, "payment", "REF-9", -70000, 35000),
        (20, "refund", "RF-1", 2000, 37000),
    ]  # fmt: skip
    assert statement.movements[2].detail == "Card"
    assert statement.closing_minor == 37000
    assert statement.total("payment") == -70000 and statement.total("invoice") == 30000


def test_a_payment_above_what_is_owed_leaves_a_credit_balance(account):
    statement = build_statement(account, date(2026, 12, 1), date(2026, 12, 3), "USD")
    assert statement.opening_minor == 37000
    assert statement.closing_minor == 37000 - 100000 == -63000


def test_currencies_stay_apart(account):
    assert statement_currencies(account) == ["EUR", "USD"]
    euro = build_statement(account, *NOVEMBER, "EUR")
    assert euro.opening_minor == 0 and euro.closing_minor == 7777
    with pytest.raises(ValidationFailed) as refused:
        build_statement(account, *NOVEMBER, "GBP")
    assert refused.value.field == "currency" and "EUR or USD" in str(refused.value)
    with pytest.raises(ValidationFailed) as refused:
        build_statement(account, date(2026, 11, 30), date(2026, 11, 1), "USD")
    assert refused.value.field == "end"


def test_the_default_period_is_last_month_to_today():
    assert default_period(date(2026, 12, 3)) == (date(2026, 11, 1), date(2026, 12, 3))
    assert default_period(date(2026, 1, 31)) == (date(2025, 12, 1), date(2026, 1, 31))


def test_the_csv_lists_opening_movements_and_closing(account):
    rows = statement_csv(build_statement(account, *NOVEMBER, "USD")).splitlines()
    assert rows[0] == "Date,Type,Number,Details,Amount,Balance,Currency"
    assert rows[1] == "2026-11-01,Opening balance,,,,850.00,USD"
    assert rows[2] == "2026-11-05,Invoice,INV-0003,,300.00,1150.00,USD"
    assert rows[4] == "2026-11-10,Payment received,REF-9,Card,-700.00,350.00,USD"
    assert rows[-1] == "2026-11-30,Closing balance,,,,370.00,USD"


def test_the_pdf_holds_the_figures(account):
    from io import BytesIO

    from pypdf import PdfReader

    pdf = render_statement_pdf(build_statement(account, *NOVEMBER, "USD"))
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    for expected in ("Statement", "Acme Dental", "INV-0003", "Opening balance", "$850.00",
                     "$370.00", "Balance due", "Page 1 of 1"):  # fmt: skip
        assert expected in text, expected


def test_the_email_carries_the_pdf(account, app):
    statement = build_statement(account, *NOVEMBER, "USD")
    result = send_statement(statement, ["ap@acme-dental.com"], "Your statement", "Attached.")
    assert result.outbox_file is not None
    message = message_from_bytes(Path(result.outbox_file).read_bytes())
    assert message["To"] == "ap@acme-dental.com" and message["Subject"] == "Your statement"
    (attachment,) = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert attachment.get_filename().startswith("statement-Acme-Dental-USD-2026-11-01")
    assert attachment.get_payload(decode=True).startswith(b"%PDF")


def test_a_refused_address_or_server_sends_nothing(account, app):
    statement = build_statement(account, *NOVEMBER, "USD")
    with pytest.raises(ValidationFailed) as refused:
        send_statement(statement, ["not an address"], "S", "B")
    assert refused.value.field == "recipients"
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=9)  # nothing listens on discard
    with pytest.raises(SendFailed) as failed:
        send_statement(statement, ["ap@acme-dental.com"], "S", "B")
    assert "127.0.0.1:9" in str(failed.value)
