"""The invoice email's placeholders, recipients and payment terms (no database, no server)."""

from datetime import date

import pytest

from billing.errors import ValidationFailed
from billing.invoices.mailer import (
    MAX_RECIPIENTS,
    check_recipients,
    fill_template,
    placeholder_values,
)
from billing.invoices.pdf import payment_terms
from billing.settings import DEFAULT_EMAIL_BODY, DEFAULT_EMAIL_SUBJECT, PLACEHOLDERS
from billing.users import split_addresses
from models import Invoice, Settings


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
