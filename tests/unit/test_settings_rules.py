"""The settings rules that need no database: templates, prefix, terms, logo, the lists."""

from io import BytesIO

import pytest
from PIL import Image

from billing.errors import ValidationFailed
from billing.locales import currency_for_country
from billing.settings import (
    DEFAULT_EMAIL_BODY,
    DEFAULT_EMAIL_SUBJECT,
    MAX_LOGO_BYTES,
    check_currency,
    check_payment_terms,
    check_prefix,
    check_template,
    countries,
    currencies,
    currency_choices,
    read_logo,
)


def image(fmt: str, mode: str = "RGB") -> bytes:
    buffer = BytesIO()
    Image.new(mode, (3, 2)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "template",
    [
        "",
        "Invoice {number}",
        DEFAULT_EMAIL_SUBJECT,
        DEFAULT_EMAIL_BODY,
        "{company}: {total} due {due_date} for {customer} {{literal}} }}",
    ],
)
def test_templates_with_known_placeholders_pass(template):
    check_template(template, field="email_body")


@pytest.mark.parametrize(
    ("template", "named"),
    [
        ("Invoice {nummer}", "Unknown placeholder {nummer}."),
        ("{a} {b} {a}", "Unknown placeholders {a}, {b}."),  # each named once
        ("{a} {a}", "Unknown placeholder {a}."),  # ...and counted once
        ("{}", "Unknown placeholder {}."),
        ("{0}", "Unknown placeholder {0}."),
        ("{total:>10}", "Unknown placeholder {total:>10}."),
        ("{number!r}", "Unknown placeholder {number!r}."),
        ("{company.__class__}", "Unknown placeholder {company.__class__}."),
        ("{customer[0]}", "Unknown placeholder {customer[0]}."),
    ],
)
def test_unknown_placeholders_are_named(template, named):
    with pytest.raises(ValidationFailed) as refused:
        check_template(template, field="email_subject")
    assert str(refused.value).startswith(named)
    assert "{number}, {customer}, {total}, {due_date}, {company}, {paid}, {balance}" in str(
        refused.value
    )
    assert refused.value.field == "email_subject"


@pytest.mark.parametrize("template", ["{number", "number}", "{", "}", "a {number} }"])
def test_malformed_braces_are_refused(template):
    with pytest.raises(ValidationFailed, match="is not matched"):
        check_template(template, field="email_body")


@pytest.mark.parametrize("prefix", ["", "INV-", "ACME/2025/", "a_b-C", "X" * 20])
def test_good_prefixes(prefix):
    check_prefix(prefix)


@pytest.mark.parametrize("prefix", ["INV ", "INV#", "RÉF-", "X" * 21, "INV-\n"])
def test_bad_prefixes(prefix):
    with pytest.raises(ValidationFailed) as refused:
        check_prefix(prefix)
    assert refused.value.field == "invoice_prefix"


@pytest.mark.parametrize(("days", "ok"), [(0, True), (365, True), (-1, False), (366, False)])
def test_payment_terms_range(days, ok):
    if ok:
        check_payment_terms(days)
    else:
        with pytest.raises(ValidationFailed, match="0 to 365"):
            check_payment_terms(days)


@pytest.mark.parametrize(
    ("fmt", "mimetype"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_logo_formats_are_recognised_by_content(fmt, mimetype):
    assert read_logo(image(fmt)) == mimetype


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"plain text",
        b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
        image("PNG")[:20],  # truncated
        image("BMP"),
        image("TIFF"),
    ],
    ids=["empty", "text", "svg", "truncated-png", "bmp", "tiff"],
)
def test_other_files_are_refused_as_logo(data):
    with pytest.raises(ValidationFailed, match="PNG, JPEG, GIF or WebP") as refused:
        read_logo(data)
    assert refused.value.field == "logo"


def test_logo_over_one_megabyte_is_refused_before_it_is_opened():
    too_big = image("PNG") + b"\0" * MAX_LOGO_BYTES
    with pytest.raises(ValidationFailed, match="at most 1 MB"):
        read_logo(too_big)


def test_country_list_has_two_letter_codes_with_a_currency():
    listed = countries()
    assert listed["DE"] == "Germany" and listed["US"] == "United States"
    assert all(len(code) == 2 and code.isalpha() for code in listed)
    assert "ZZ" not in listed and "001" not in listed  # unknown region, world
    assert list(listed.values()) == sorted(listed.values())


def test_currency_list_has_iso_codes():
    listed = currencies()
    assert listed["EUR"] == "Euro" and "JPY" in listed
    assert all(len(code) == 3 and code.isupper() for code in listed)
    assert list(listed) == sorted(listed)


def test_currency_list_holds_only_currencies_in_use_today():
    listed = currencies()
    for historic in ("DEM", "XEU", "FRF", "HRK", "ZWD", "XAU", "XXX", "USN"):
        assert historic not in listed, historic
    # Every country's own currency (what "Follow the country" bills in) is listed.
    assert {currency_for_country(code) for code in countries()} <= set(listed)


def test_a_stored_currency_no_longer_current_stays_valid_for_its_record():
    assert "HRK" not in currencies()
    assert list(currency_choices("HRK"))[0] == "HRK"
    assert currency_choices("HRK")["HRK"] == "Croatian Kuna"
    assert currency_choices("EUR") == currencies() == currency_choices(None)
    check_currency("HRK", field="currency", kept="HRK")
    check_currency("EUR", field="currency", kept="HRK")
    with pytest.raises(ValidationFailed, match="Choose a currency from the list."):
        check_currency("HRK", field="currency", kept="EUR")
