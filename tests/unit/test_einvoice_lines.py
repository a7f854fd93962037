"""EN 16931 lines and addresses from stored data: R120 arithmetic, VAT categories, breakdown."""

from dataclasses import replace
from decimal import Decimal

import pytest

from billing.einvoice.address import split_address
from billing.einvoice.cii import cii_xml
from billing.einvoice.document import HOUR, ONE, Address, VatCategory
from billing.einvoice.lines import SourceLine, breakdown, categories, en_line
from billing.einvoice.outputs import format_lacks
from billing.einvoice.ubl import ubl_xml
from billing.errors import Conflict
from models import TaxRate
from tests.einvoice.validation import assert_valid
from tests.unit.einvoice_samples import sample_invoice

VAT19 = TaxRate(id=1, name="USt 19 %", percent=Decimal("19.0000"), vat_category="S",
                exemption_reason="", exemption_code="")  # fmt: skip
REVERSE = TaxRate(id=2, name="Reverse charge", percent=Decimal(0), vat_category="AE",
                  exemption_reason="Reverse charge", exemption_code="VATEX-EU-AE")  # fmt: skip
RATES = {1: VAT19, 2: REVERSE}


def source(position=1, quantity="1", price=0, amount=0, discount=0, rate=1, hourly=False):
    return SourceLine(
        position=position,
        description=f"Line {position}",
        quantity=Decimal(quantity),
        unit_price_minor=price,
        amount_minor=amount,
        discount_minor=discount,
        hourly=hourly,
        tax_rate_id=rate,
        taxed=rate is not None,
        tax_percent=RATES[rate].percent if rate else Decimal(0),
    )


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("Friedrichstraße 123\n10117 Berlin", "DE",
         Address("Friedrichstraße 123", "", "Berlin", "10117", "DE")),
        ("Rue de la Loi 16\nBâtiment B\n1000 Brussels\nBelgium", "BE",
         Address("Rue de la Loi 16", "Bâtiment B", "Brussels", "1000", "BE")),
        ("500 Congress Ave\nSuite 200\nAustin, TX 78701", "US",
         Address("500 Congress Ave", "Suite 200", "Austin", "78701", "US")),
        ("10 Downing Street\nLondon SW1A 2AA", "GB",
         Address("10 Downing Street", "", "London", "SW1A 2AA", "GB")),
        ("Keizersgracht 1\n1015 CJ Amsterdam", "NL",
         Address("Keizersgracht 1", "", "Amsterdam", "1015 CJ", "NL")),
        ("Somewhere without a post code\nVaduz", "LI",
         Address("Somewhere without a post code", "", "Vaduz", "", "LI")),
        ("", "DE", Address(country="DE")),
    ],
)  # fmt: skip
def test_an_address_is_read_into_its_parts(text, country, expected):
    assert split_address(text, country, {"BE": "Belgium"}) == expected


def test_a_line_that_adds_up_is_written_as_it_is():
    line = en_line(source(quantity="2.5", price=8000, amount=20000, hourly=True),
                   VatCategory("S", Decimal(19)), "EUR")  # fmt: skip
    assert (line.quantity, line.price, line.net, line.allowance) == (
        Decimal("2.5"), Decimal("80.00"), Decimal("200.00"), Decimal("0.00"),
    )  # fmt: skip
    assert line.unit_code == HOUR


def test_a_discount_is_the_line_allowance():
    line = en_line(source(quantity="3", price=1999, amount=5497, discount=500),
                   VatCategory("S", Decimal(19)), "EUR")  # fmt: skip
    assert line.quantity * line.price - line.allowance == line.net == Decimal("54.97")
    assert line.unit_code == ONE


def test_an_older_prorated_line_gets_the_price_its_amount_implies():
    # Stored before lines had to add up: 1 x 1,500.00 = 750.00 is written as 1 x 750.00.
    line = en_line(source(quantity="1", price=150000, amount=75000), VatCategory("S", 19), "EUR")
    assert (line.quantity, line.price, line.net) == (Decimal(1), Decimal("750.0000"),
                                                      Decimal("750.00"))  # fmt: skip


def test_one_minor_unit_of_rounding_is_left_as_it_is():
    # A credit note's share of a line: 1/3 of 100.00 = 33.33 against 0.333 x 100.00 = 33.30.
    line = en_line(source(quantity="0.333", price=10000, amount=3331), VatCategory("S", 19), "EUR")
    assert line.price == Decimal("100.00")


def test_a_line_without_a_rate_joins_the_one_untaxed_category():
    lines = [source(1, "1", 10000, 10000, rate=2), source(2, "1", 5000, 5000, rate=None)]
    found = categories(lines, RATES)
    assert [vat.code for vat in found] == ["AE", "AE"]


def test_a_free_line_without_a_rate_joins_the_first_category():
    lines = [source(1, "1", 10000, 10000, rate=1), source(2, "1.5", 0, 0, rate=None)]
    assert [vat.code for vat in categories(lines, RATES)] == ["S", "S"]


def test_a_costing_line_without_any_category_is_refused_with_what_to_do():
    lines = [source(1, "1", 10000, 10000, rate=1), source(2, "1", 5000, 5000, rate=None)]
    with pytest.raises(Conflict, match=r"Line 2 \(Line 2\) has no tax rate.*BT-151"):
        categories(lines, RATES)


def test_tax_is_computed_once_per_category_and_rate():
    # 3 x 0.05 h x 120.00 = 6.00 each; 19 % of 18.00 once = 3.42 (per line 3 x 1.14 = 3.42)
    lines = [source(i, "1", 333, 333) for i in (1, 2, 3)] + [source(4, "1", 1000, 1000, rate=2)]
    vats = categories(lines, RATES)
    groups, net, tax = breakdown(lines, vats, "EUR")
    assert (net, tax) == (1999, 190)  # 19 % of 9.99 = 1.8981 -> 1.90 (per line 3 x 0.63)
    assert [(g.vat.code, g.taxable, g.tax) for g in groups] == [
        ("AE", Decimal("10.00"), Decimal("0.00")),
        ("S", Decimal("9.99"), Decimal("1.90")),
    ]
    assert groups[1].vat.percent == Decimal(19) and str(groups[1].vat.percent) == "19"


def test_control_characters_a_description_may_hold_do_not_break_the_xml():
    doc = sample_invoice()
    first = replace(doc.lines[0], name="Backup\x0bcheck\x1f & <restore>")
    doc = replace(doc, lines=(first, *doc.lines[1:]), note="Thanks\x07!")
    assert_valid(ubl_xml(doc, "peppol"), "peppol")
    assert_valid(cii_xml(doc, "en16931"), "cii")
    assert b"Backup check  &amp; &lt;restore&gt;" in ubl_xml(doc, "peppol")


def test_what_a_format_lacks_is_named_with_its_business_term():
    doc = sample_invoice()
    assert format_lacks(doc, "peppol") == []
    assert format_lacks(doc, "xrechnung") == []
    dinars = replace(doc, currency="KWD")
    assert [text.split(":")[0] for text in format_lacks(dinars, "cii")] == [
        "Invoice currency (BT-5)"
    ]
    anonymous = replace(doc, buyer=replace(doc.buyer, endpoint_id=""), payment=None)
    assert [text.split(":")[0] for text in format_lacks(anonymous, "xrechnung")] == [
        "Buyer electronic address (BT-49)",
        "Payment account (BT-84)",
    ]
    assert format_lacks(anonymous, "cii") == []
