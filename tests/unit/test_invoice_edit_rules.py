"""The rules of billing.invoices.edit: quantities, amounts, tax snapshots, limits, statuses."""

from datetime import date
from decimal import Decimal

import pytest

from billing.errors import Conflict, ValidationFailed
from billing.invoices.edit import (
    MAX_TOTAL_MINOR,
    LineInput,
    add_line,
    create_invoice,
    delete_line,
    parse_quantity,
    set_status_by_hand,
    update_header,
    update_line,
)
from models import InvoiceStatus, db
from tests.factories import make_contract, make_customer, make_product, make_tax_rate


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1", "1"),
        ("2.5", "2.5"),
        ("0.001", "0.001"),
        ("1,000", "1000"),
        ("999999.999", "999999.999"),
    ],
)
def test_quantities_read(typed, expected):
    assert parse_quantity(typed) == Decimal(expected)


@pytest.mark.parametrize("typed", ["", "0", "-1", "abc", "NaN", "Infinity", "1.0001", "1000000"])
def test_quantities_refused(typed):
    with pytest.raises(ValidationFailed) as caught:
        parse_quantity(typed)
    assert caught.value.field == "quantity"


@pytest.fixture
def invoice(app):
    created = create_invoice(make_customer(), None, date(2026, 3, 1), None, None)
    db.session.commit()
    return created


def test_create_defaults_the_due_date_and_checks_the_contract(app):
    customer, other = make_customer(), make_customer()
    invoice = create_invoice(customer, None, date(2026, 3, 1), None, None)
    assert invoice.due_date == date(2026, 3, 31) and invoice.number == "INV-0001"
    with pytest.raises(ValidationFailed, match="active contracts") as caught:
        create_invoice(customer, make_contract(other), date(2026, 3, 1), None, None)
    assert caught.value.field == "contract_id"
    with pytest.raises(ValidationFailed, match="before the issue date"):
        create_invoice(customer, None, date(2026, 3, 1), date(2026, 2, 1), None)


def test_tax_is_a_snapshot_kept_when_the_rate_changes_later(invoice):
    vat = make_tax_rate(name="VAT", percent=Decimal(20))
    saved = add_line(invoice, LineInput("Support", "1", "100", tax_rate_id=vat.id))
    vat.percent, vat.name = Decimal(25), "VAT new"
    update_line(saved.line, LineInput("Support, March", "1", "100", tax_rate_id=vat.id))
    line = saved.line
    assert (line.tax_rate_id, line.tax_name, line.tax_percent) == (vat.id, "VAT", Decimal(20))
    assert invoice.tax_minor == 2000 and invoice.total_minor == 12000


def test_an_inactive_rate_stays_on_the_line_that_has_it(invoice):
    old = make_tax_rate(name="Old", percent=Decimal(10))
    saved = add_line(invoice, LineInput("Support", "1", "100", tax_rate_id=old.id))
    old.active = False
    update_line(saved.line, LineInput("Support", "2", "100", tax_rate_id=old.id))
    assert saved.line.tax_rate_id == old.id and invoice.tax_minor == 2000
    with pytest.raises(ValidationFailed, match="active tax rate"):
        add_line(invoice, LineInput("Other", "1", "1", tax_rate_id=old.id))


def test_exempt_customer_line_is_saved_without_tax_with_a_notice(app):
    invoice = create_invoice(make_customer(tax_exempt=True), None, date(2026, 3, 1), None, None)
    vat = make_tax_rate(percent=Decimal(20))
    saved = add_line(invoice, LineInput("Support", "1", "100", tax_rate_id=vat.id))
    assert saved.line.tax_rate_id is None and "tax exempt" in saved.notice
    assert add_line(invoice, LineInput("More", "1", "1")).notice == ""


def test_a_product_priced_in_another_currency_needs_a_price(invoice):
    product = make_product(name="Router", currency="EUR", unit_price_minor=9900)
    with pytest.raises(ValidationFailed, match="priced in EUR; enter its price in USD"):
        add_line(invoice, LineInput("", "1", "", product_id=product.id))
    saved = add_line(invoice, LineInput("", "1", "120", product_id=product.id))
    assert saved.line.description == "Router" and saved.line.unit_price_minor == 12000


def test_a_line_and_an_invoice_stay_within_the_limit(invoice):
    with pytest.raises(ValidationFailed, match="comes to too much") as caught:
        add_line(invoice, LineInput("Huge", "999999", "999999999"))
    assert caught.value.field == "quantity"
    add_line(invoice, LineInput("Big", "100", "99999999999.99"))
    assert invoice.total_minor == MAX_TOTAL_MINOR - 100
    with pytest.raises(ValidationFailed, match="total would be too large"):
        add_line(invoice, LineInput("Too much", "1", "1.01"))


def test_positions_follow_the_last_line_and_delete_recomputes(invoice):
    first = add_line(invoice, LineInput("A", "1", "10")).line
    second = add_line(invoice, LineInput("B", "1", "20")).line
    assert (first.position, second.position) == (0, 1)
    delete_line(first)
    db.session.flush()
    assert [li.description for li in invoice.lines] == ["B"] and invoice.total_minor == 2000
    assert [e.kind for e in invoice.events] == ["created", "edited", "edited", "edited"]


def test_header_records_only_what_changed(invoice):
    assert update_header(invoice, "", "", invoice.due_date) == []
    assert update_header(invoice, "Hi", "", invoice.due_date) == ["notes"]
    assert len(invoice.events) == 2


@pytest.mark.parametrize("status", [s for s in InvoiceStatus if s != InvoiceStatus.DRAFT])
def test_nothing_is_edited_past_draft(invoice, status):
    line = add_line(invoice, LineInput("A", "1", "10")).line
    invoice.status = status
    for edit in (
        lambda: add_line(invoice, LineInput("B", "1", "1")),
        lambda: update_line(line, LineInput("B", "1", "1")),
        lambda: delete_line(line),
        lambda: update_header(invoice, "x", "", invoice.due_date),
    ):
        with pytest.raises(Conflict, match="only a Draft can be edited"):
            edit()
    assert line.description == "A" and invoice.total_minor == 1000


def test_back_to_draft_by_hand_needs_a_reason(invoice):
    assert set_status_by_hand(invoice, "sent", "", None) is True
    with pytest.raises(ValidationFailed, match="Say why") as caught:
        set_status_by_hand(invoice, "draft", " ", None)
    assert caught.value.field == "reason"
    assert set_status_by_hand(invoice, "draft", "Wrong hours", None) is True
    assert invoice.events[-1].message == "Wrong hours"
    assert set_status_by_hand(invoice, "draft", "", None) is False
    with pytest.raises(Conflict, match="cannot become Refunded"):
        set_status_by_hand(invoice, "refunded", "", None)
