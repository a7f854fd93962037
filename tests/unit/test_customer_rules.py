"""Customer rules that need no database: billing emails."""

import pytest

from billing.errors import ValidationFailed
from billing.work.customers import MAX_EMAILS, parse_billing_emails


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ap@acme.example", ["ap@acme.example"]),
        ("AP@Acme.Example", ["ap@acme.example"]),
        ("a@x.example, b@x.example", ["a@x.example", "b@x.example"]),
        ("a@x.example\nb@x.example\r\nc@x.example", ["a@x.example", "b@x.example", "c@x.example"]),
        ("a@x.example;b@x.example", ["a@x.example", "b@x.example"]),
        (" b@x.example ,, A@x.example\n\na@x.example ", ["b@x.example", "a@x.example"]),
    ],
)
def test_parse_billing_emails(text, expected):
    assert parse_billing_emails(text) == expected


def test_ten_distinct_emails_are_allowed_and_duplicates_do_not_count():
    ten = [f"u{n}@x.example" for n in range(MAX_EMAILS)]
    assert parse_billing_emails(",".join(ten + ten)) == ten


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter at least one billing email."),
        (" , \n", "Enter at least one billing email."),
        ("ok@x.example, nope", "nope: An email address must have an @-sign."),
        ("a@@x.example", "a@@x.example: "),
        (",".join(f"u{n}@x.example" for n in range(11)), "Enter at most 10 billing emails."),
    ],
)
def test_parse_billing_emails_refuses(text, message):
    with pytest.raises(ValidationFailed, match=message) as refused:
        parse_billing_emails(text, field="emails")
    assert refused.value.field == "emails"
