"""The invoice email's placeholders, recipients and payment terms, and the PDF's line of what
was paid (no database, no server)."""

from datetime import date

import pytest

from billing.errors import ValidationFailed
from billing.invoices.mailer import (
    MAX_RECIPIENTS,
    check_recipients,
    fill_template,
    placeholder_values,
)
from billing.invoices.pdf import payment_terms, settlement_text
from billing.money import format_money
from billing.settings import (
    DEFAULT_EMAIL_BODY,
    DEFAULT_EMAIL_BODY_PAID,
    DEFAULT_EMAIL_SUBJECT,
    PLACEHOLDERS,
)
from billing.users import split_addresses
from models import Invoice, InvoiceStatus, Settings


def invoice(**fields) -> Invoice:
    values = dict(
        number="INV-0042",
        bill_to_name="Acme Dental",
        total_minor=123456,
        currency="USD",
        issue_date=date(2026, 10, 31),
        due_date=date(2026, 11, 30),
        issuer={"company_name": "Bright IT"},
    )
    return Invoice(**{**values, **fields})


def settings(**fields) -> Settings:
    return Settings(**{"company_name": "Renamed Since", "country": "US", **fields})


def test_every_placeholder_has_a_value():
    values = placeholder_values(invoice(), settings())
    assert set(values) == set(PLACEHOLDERS)
    assert values == {
        "number": "INV-0042",
        "customer": "Acme Dental",
        "total": "$1,234.56",
        "due_date": "Nov 30, 2026",
        "company": "Bright IT",  # the invoice's snapshot, not today's settings
        "paid": "$0.00",
        "balance": "$1,234.56",
    }


def test_money_and_dates_follow_the_company_locale():
    values = placeholder_values(invoice(currency="EUR"), settings(country="DE"))
    assert values["total"] == "1.234,56\xa0€"
    assert values["due_date"] == "30.11.2026"


def test_company_falls_back_to_the_settings_without_a_snapshot():
    assert placeholder_values(invoice(issuer={}), settings())["company"] == "Renamed Since"


def test_the_default_templates_are_filled():
    values = placeholder_values(invoice(), settings())
    subject = fill_template(DEFAULT_EMAIL_SUBJECT, DEFAULT_EMAIL_SUBJECT, values, "email_subject")
    body = fill_template(DEFAULT_EMAIL_BODY, DEFAULT_EMAIL_BODY, values, "email_body")
    assert subject == "Invoice INV-0042 from Bright IT"
    assert "Hello Acme Dental," in body
    assert "invoice INV-0042 for $1,234.56, due on Nov 30, 2026." in body
    assert body.endswith("Bright IT")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{number} {number}", "INV-0042 INV-0042"),
        ("{{literal}} {customer}", "{literal} Acme Dental"),
        ("No placeholders", "No placeholders"),
        ("", "Invoice INV-0042 from Bright IT"),  # empty: the default
        ("{unknown}", "Invoice INV-0042 from Bright IT"),  # invalid: the default, not a crash
        ("{total.__class__}", "Invoice INV-0042 from Bright IT"),
        ("{0}", "Invoice INV-0042 from Bright IT"),
        ("Unbalanced {", "Invoice INV-0042 from Bright IT"),
    ],
)
def test_templates(template, expected):
    values = placeholder_values(invoice(), settings())
    assert fill_template(template, DEFAULT_EMAIL_SUBJECT, values, "email_subject") == expected


@pytest.mark.parametrize(
    ("text", "addresses"),
    [
        ("a@x.test", ["a@x.test"]),
        ("a@x.test, b@y.test", ["a@x.test", "b@y.test"]),
        ("a@x.test\nb@y.test\r\n\n", ["a@x.test", "b@y.test"]),
        (" a@x.test ; b@y.test ,, ", ["a@x.test", "b@y.test"]),
        ("", []),
    ],
)
def test_split_addresses(text, addresses):
    assert split_addresses(text) == addresses


def test_recipients_are_normalised_and_deduplicated():
    assert check_recipients(["AP@Example.COM", "ap@example.com", "b@example.com"]) == [
        "ap@example.com",
        "b@example.com",
    ]


@pytest.mark.parametrize(
    ("addresses", "message"),
    [
        ([], "at least one"),
        (["not-an-email"], "not-an-email:"),
        (["ok@example.com", "bad@@example.com"], "bad@@example.com:"),
        ([f"u{i}@example.com" for i in range(MAX_RECIPIENTS + 1)], f"at most {MAX_RECIPIENTS}"),
    ],
)
def test_bad_recipients_are_refused_beside_the_field(addresses, message):
    with pytest.raises(ValidationFailed, match=message) as refused:
        check_recipients(addresses)
    assert refused.value.field == "recipients"


@pytest.mark.parametrize(
    ("issue", "due", "text"),
    [
        (date(2026, 10, 31), date(2026, 11, 30), "Payment due within 30 days, by Nov 30, 2026."),
        (date(2026, 10, 31), date(2026, 11, 1), "Payment due within 1 day, by Nov 1, 2026."),
        (date(2026, 10, 31), date(2026, 10, 31), "Payment due on receipt, by Oct 31, 2026."),
    ],
)
def test_payment_terms(issue, due, text):
    assert payment_terms(issue, due) == text


def test_paid_and_balance_of_a_partly_paid_invoice():
    sent = invoice(status=InvoiceStatus.SENT, paid_minor=23456, credited_minor=10000)
    values = placeholder_values(sent, settings())
    assert (values["paid"], values["balance"]) == ("$234.56", "$900.00")
    body = fill_template(DEFAULT_EMAIL_BODY_PAID, DEFAULT_EMAIL_BODY, values, "email_body")
    assert "for $1,234.56, due on Nov 30, 2026. Paid so far: $234.56. Balance due: $900.00." in body


@pytest.mark.parametrize("status", [InvoiceStatus.PAID, InvoiceStatus.REFUNDED])
def test_nothing_is_due_on_a_settled_invoice_even_marked_paid_by_hand(status):
    values = placeholder_values(invoice(status=status, paid_minor=0), settings())
    assert (values["paid"], values["balance"]) == ("$0.00", "$0.00")


def _money(minor: int) -> str:
    return format_money(minor, "USD", "en_US")


@pytest.mark.parametrize(
    ("status", "paid", "credited", "text"),
    [
        (InvoiceStatus.DRAFT, 0, 0, ""),
        (InvoiceStatus.SENT, 0, 0, ""),
        (InvoiceStatus.SENT, 23456, 0, "Paid $234.56 · Balance due $1,000.00"),
        (InvoiceStatus.EXPORTED, 23456, 10000,
         "Paid $234.56 · Credited $100.00 · Balance due $900.00"),
        (InvoiceStatus.SENT, 0, 10000, "Credited $100.00 · Balance due $1,134.56"),
        (InvoiceStatus.PAID, 123456, 0, "Paid in full"),
        (InvoiceStatus.PAID, 113456, 10000, "Paid $1,134.56 · Credited $100.00 · Nothing due"),
        (InvoiceStatus.PAID, 0, 0, "Paid"),  # marked Paid by hand, no payment recorded
        (InvoiceStatus.PAID, 5000, 0, "Paid"),  # partly paid here, the rest elsewhere
        (InvoiceStatus.REFUNDED, 0, 123456, "Refunded"),
    ],
)  # fmt: skip
def test_the_pdf_says_what_was_paid_and_what_is_due(status, paid, credited, text):
    owed = invoice(status=status, paid_minor=paid, credited_minor=credited)
    assert settlement_text(owed, _money) == text
