"""Every money and number field of every form reads input through one parser (issue #13, item 2):
hostile values are a 422 with the message beside the field and nothing saved, never a 500;
amounts are read in the company's locale (en_US "1,234.50", de_DE "1.234,50")."""

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billing.numbers import MAX_QUANTITY
from billing.settings import get_settings
from models import (
    Contract,
    ContractRate,
    ContractService,
    ContractType,
    ContractUnitCount,
    Expense,
    InvoiceLine,
    Product,
    Rate,
    TaxRate,
    TimeEntry,
    db,
)
from tests.factories import (
    make_contract,
    make_customer,
    make_invoice,
    make_product,
    make_rate,
    make_ticket,
)

T = ContractType
AMOUNT = "Enter an amount such as 1,234.50."
GROUPING = f"{AMOUNT} Use “,” between thousands and “.” before decimals."
QUANTITY = "Enter a quantity such as 1 or 2.5."
NUL = "(refused whole: NUL)"
# What the crawl posted into every field, and what an amount field answers.
HOSTILE_AMOUNTS = {
    "-5": "Enter an amount of zero or more.",
    "1e309": AMOUNT,
    "1e3": AMOUNT,
    "9" * 27: "Enter an amount below 1,000,000,000,000.",
    "9" * 20: "Enter an amount below 1,000,000,000,000.",
    "NaN": AMOUNT,
    "Infinity": AMOUNT,
    "²": AMOUNT,
    "١٢": AMOUNT,  # Arabic-Indic digits
    "1_000": AMOUNT,
    "x" * 5000: AMOUNT,
    "1\x00": NUL,
    "1,50": GROUPING,  # not $150.00: ambiguous in en_US
    "1.234,50": GROUPING,
}
HOSTILE_QUANTITIES = {
    "-2": "Enter a quantity above zero.",
    "0": "Enter a quantity above zero.",
    "1e309": QUANTITY,
    "9" * 27: "Enter a quantity below ",
    "NaN": QUANTITY,
    "²": QUANTITY,
    "1_000": QUANTITY,
    "x" * 5000: QUANTITY,
    "\x00": NUL,
    "1,5": QUANTITY,
}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def error_beside(page: str, field_id: str) -> str:
    """The error shown beside the field (``_form_macros.field``), or "". A NUL character is
    refused for the whole request before any form is read (``blueprints.input_guard``)."""
    if "NUL character" in page:
        return NUL
    match = re.search(
        rf'<small class="error" id="{re.escape(field_id)}-error">([^<]*)</small>', page
    )
    return match.group(1) if match else ""


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def set_country(country: str) -> None:
    get_settings().country = country
    db.session.commit()


@dataclass
class Form:
    """A form as posted: its URL, valid data, and what must not change when it is refused."""

    url: str
    data: dict
    saved: Callable[[], object]
    prefix: str = ""

    def post(self, client, field: str, value: str):
        return client.post(self.url, data={**self.data, self.prefix + field: value})


def expense_form() -> Form:
    ticket = make_ticket()
    data = {"expense_date": "2026-03-02", "description": "Cable", "quantity": "2"}
    data |= {"unit_price": "15.00", "discount": "", "billable": "y"}
    prefixed = {f"expense-new-{k}": v for k, v in data.items()}
    return Form(f"/tickets/{ticket.id}/expenses", prefixed, lambda: count(Expense), "expense-new-")


def invoice_line_form() -> Form:
    invoice = make_invoice()
    data = {"description": "Consulting", "quantity": "1", "unit_price": "100.00", "discount": ""}
    prefixed = {f"line-new-{k}": v for k, v in data.items()}
    return Form(f"/invoices/{invoice.id}/lines", prefixed, lambda: count(InvoiceLine), "line-new-")


def product_form() -> Form:
    data = {"name": "Router", "unit_price": "10", "taxable": "", "active": "y"}
    return Form("/admin/products/new", data, lambda: count(Product))


def product_edit_form() -> Form:
    product = make_product(unit_price_minor=4999)
    data = {"name": product.name, "unit_price": "49.99", "active": "y"}
    return Form(f"/admin/products/{product.id}", data, lambda: _price(Product, product.id))


def rate_form() -> Form:
    data = {"name": "Standard", "hourly_price": "120", "active": "y"}
    return Form("/admin/rates/new", data, lambda: count(Rate))


def rate_edit_form() -> Form:
    rate = make_rate(hourly_price_minor=12500)
    data = {"name": rate.name, "hourly_price": "125.00", "active": "y"}
    return Form(f"/admin/rates/{rate.id}", data, lambda: _price(Rate, rate.id))


def contract_rate_form() -> Form:
    contract = make_contract()
    fresh = make_rate(name="Weekend")
    data = {"rate_id": str(fresh.id), "hourly_price": "200"}
    return Form(f"/contracts/{contract.id}/rates", data, lambda: count(ContractRate))


def contract_form(kind: ContractType = T.RETAINER, **terms) -> Callable[[], Form]:
    def build() -> Form:
        customer = make_customer()
        data = {"customer_id": str(customer.id), "name": "Support", "type": kind.value}
        data |= {"start_date": "2026-01-01", "billing_period": "monthly", "active": "y"}
        return Form("/contracts/new", data | terms, lambda: count(Contract))

    return build


def contract_service_form() -> Form:
    contract = make_contract(type=T.RETAINER, quantity=Decimal(1), unit_price_minor=10000)
    data = {"description": "Backup", "quantity": "1", "unit_price": "19.99"}
    return Form(f"/contracts/{contract.id}/services", data, lambda: count(ContractService))


def _price(model, row_id: int) -> int:
    db.session.expire_all()
    row = db.session.get(model, row_id)
    return row.unit_price_minor if model is Product else row.hourly_price_minor


AMOUNT_FIELDS = [
    ("expense unit price", expense_form, "unit_price", "Enter the unit price."),
    ("expense discount", expense_form, "discount", None),
    ("invoice line price", invoice_line_form, "unit_price", "Enter the unit price."),
    ("invoice line discount", invoice_line_form, "discount", None),
    ("product", product_form, "unit_price", "This field is required."),
    ("product edit", product_edit_form, "unit_price", "This field is required."),
    ("rate", rate_form, "hourly_price", "This field is required."),
    ("rate edit", rate_edit_form, "hourly_price", "This field is required."),
    ("contract rate", contract_rate_form, "hourly_price", None),
    ("contract price", contract_form(quantity="1"), "unit_price", AMOUNT),
    ("contract fixed fee", contract_form(T.PROJECT_FIXED), "fixed_amount", AMOUNT),
    (
        "contract block amount",
        contract_form(T.BLOCK_MONEY, overage_rate="150", rounding_minutes="0"),
        "block_amount",
        AMOUNT,
    ),
    ("contract service price", contract_service_form, "unit_price", None),
]


@pytest.mark.parametrize(
    ("build", "field", "empty"),
    [case[1:] for case in AMOUNT_FIELDS],
    ids=[case[0] for case in AMOUNT_FIELDS],
)
def test_hostile_amounts_are_422_beside_the_field_and_save_nothing(
    admin_client, build, field, empty
):
    form = build()
    before = form.saved()
    cases = dict(HOSTILE_AMOUNTS) | ({"": empty} if empty else {})
    for value, message in cases.items():
        response = form.post(admin_client, field, value)
        assert response.status_code == 422, (value, response.status_code)
        assert message in error_beside(text(response), form.prefix + field), value
        assert form.saved() == before, value


QUANTITY_FIELDS = [
    ("expense quantity", expense_form, "quantity", "below 1,000,000."),
    ("invoice line quantity", invoice_line_form, "quantity", "below 1,000,000."),
    ("contract quantity", contract_form(unit_price="100"), "quantity", "below 1,000,000."),
    ("contract service quantity", contract_service_form, "quantity", "below 1,000,000."),
]


@pytest.mark.parametrize(
    ("build", "field", "bound"),
    [case[1:] for case in QUANTITY_FIELDS],
    ids=[case[0] for case in QUANTITY_FIELDS],
)
def test_hostile_quantities_are_422_beside_the_field_and_save_nothing(
    admin_client, build, field, bound
):
    form = build()
    before = form.saved()
    for value, message in (HOSTILE_QUANTITIES | {"": QUANTITY}).items():
        response = form.post(admin_client, field, value)
        assert response.status_code == 422, (value, response.status_code)
        beside = error_beside(text(response), form.prefix + field)
        assert message in beside, value
        if value == "9" * 27:
            assert beside.endswith(bound)
        assert form.saved() == before, value
    assert Decimal(1_000_000) == MAX_QUANTITY  # the one bound every message above names


def _refuses_each(admin_client, form: Form, field: str, cases: dict[str, str]) -> None:
    before = form.saved()
    for value, message in cases.items():
        response = form.post(admin_client, field, value)
        assert response.status_code == 422, (value, response.status_code)
        assert message in error_beside(text(response), form.prefix + field), value
        assert form.saved() == before, value


def test_hostile_tax_percentages(admin_client):
    form = Form("/admin/taxes/new", {"name": "VAT", "active": "y"}, lambda: count(TaxRate))
    example, bounds = "Enter a percentage such as 8.875.", "Enter a percentage from 0 to 100."
    cases = {"": "This field is required.", "-1": bounds, "9" * 27: bounds, "1e309": example}
    cases |= {v: example for v in ("NaN", "²", "1_000", "x" * 5000, "١")} | {"5\x00": NUL}
    cases |= {"8,875": bounds}  # 8875 in en_US: read, and out of range
    cases |= {"8,5": f"{example} Use “,” between thousands and “.” before decimals."}
    _refuses_each(admin_client, form, "percent", cases)


def test_hostile_durations(admin_client):
    ticket = make_ticket()
    data = {"time-entry-new-work_date": "2026-03-02", "time-entry-new-billable": "y"}
    form = Form(f"/tickets/{ticket.id}/time", data, lambda: count(TimeEntry), "time-entry-new-")
    example = "Enter a duration such as 1:30, 90m or 1.5h."
    cases = {"": "Enter how long the work took", "-1": "cannot be negative"}
    cases |= {v: example for v in ("1e309", "²", "٣h", "1_000", "NaN", "x" * 5000)}
    cases |= {"1\x00": NUL}
    cases |= {"9" * 27: "A plain number is hours", "9" * 27 + "m": "at most 24 hours"}
    _refuses_each(admin_client, form, "duration", cases)


def test_hostile_block_hours_and_unit_counts(admin_client):
    hours = contract_form(T.BLOCK_HOURS, unit_price="1000", overage_rate="150")()
    example = "Enter the hours, such as 10 or 7.5."
    cases = {"": example, "-2": "Enter hours above zero.", "9" * 27: "Enter hours below"}
    cases |= {v: example for v in ("1e309", "NaN", "²", "1_000", "x" * 5000)} | {"\x00": NUL}
    _refuses_each(admin_client, hours, "block_hours", cases)
    counts = contract_form(T.PER_UNIT, unit_label="device", unit_price="12")()
    whole = "Enter a whole number"
    cases = {v: whole for v in ("", "-3", "1.5", "1e309", "NaN", "²", "1_000", "x" * 5000)}
    cases |= {"9" * 27: "Enter a whole number below 1,000,000,000."}
    _refuses_each(admin_client, counts, "unit_count", cases)
    contract = make_contract(type=T.PER_UNIT, unit_label="device", unit_price_minor=1200)
    data = {"effective_date": "2026-02-01"}
    added = Form(f"/contracts/{contract.id}/units", data, lambda: count(ContractUnitCount))
    _refuses_each(admin_client, added, "count", {"²": whole, "٣": whole, "9" * 27: whole})


# --- what is read --------------------------------------------------------------------------


def test_en_us_reads_grouped_and_plain_amounts_and_a_currency_symbol(admin_client):
    form = product_form()
    for typed, minor in (("1,234.50", 123450), ("1234.5", 123450), ("$1,000", 100000)):
        response = form.post(admin_client, "unit_price", typed)
        assert response.status_code == 302, typed
        product = db.session.scalars(select(Product).order_by(Product.id.desc())).first()
        assert product.unit_price_minor == minor, typed
        db.session.delete(product)
        db.session.commit()


def test_german_company_reads_german_amounts_and_refuses_english_ones(admin_client):
    set_country("DE")
    product = make_product(name="Router", unit_price_minor=123450, currency="EUR")
    page = text(admin_client.get(f"/admin/products/{product.id}"))
    assert 'value="1234,50"' in page  # given back as it is read
    form = product_edit_form()
    refused = form.post(admin_client, "unit_price", "1,234.50")
    assert refused.status_code == 422
    assert error_beside(text(refused), "unit_price") == (
        "Enter an amount such as 1.234,50. Use “.” between thousands and “,” before decimals."
    )
    url = f"/admin/products/{product.id}"
    for typed, minor in (("1.234,50", 123450), ("99,5", 9950), ("2.000", 200000)):
        data = {"name": "Router", "unit_price": typed, "active": "y"}
        assert admin_client.post(url, data=data).status_code == 302, typed
        assert _price(Product, product.id) == minor, typed


def test_german_quantities_percentages_and_the_edit_forms_round_trip(admin_client):
    set_country("DE")
    invoice = make_invoice()
    data = {"description": "Cable", "quantity": "2,5", "unit_price": "1.000,10", "discount": "0,10"}
    response = admin_client.post(
        f"/invoices/{invoice.id}/lines", data={f"line-new-{k}": v for k, v in data.items()}
    )
    assert response.status_code == 302
    line = db.session.scalar(select(InvoiceLine))
    assert (line.quantity, line.unit_price_minor, line.discount_minor) == (
        Decimal("2.5"),
        100010,
        10,
    )
    edit = text(admin_client.get(f"/invoices/{invoice.id}/lines/{line.id}/edit"))
    assert all(f'value="{v}"' in edit for v in ("2,5", "1000,10", "0,10"))
    tax = Form("/admin/taxes/new", {"name": "MwSt", "active": "y"}, lambda: count(TaxRate))
    assert tax.post(admin_client, "percent", "8,875").status_code == 302
    stored = db.session.scalar(select(TaxRate))
    assert stored.percent == Decimal("8.875")
    page = text(admin_client.get(f"/admin/taxes/{stored.id}"))
    assert 'value="8,875"' in page and "up to 4 decimals, e.g. 8,875." in page
    rate = make_rate(hourly_price_minor=12050, currency="EUR")
    page = text(admin_client.get(f"/admin/rates/{rate.id}"))
    assert 'value="120,50"' in page and "E.g. 120,00" in page  # the hint in the same format
    resubmitted = {"name": rate.name, "hourly_price": "120,50", "active": "y"}
    assert admin_client.post(f"/admin/rates/{rate.id}", data=resubmitted).status_code == 302
    assert _price(Rate, rate.id) == 12050


def test_german_contract_terms_and_their_edit_form(admin_client):
    set_country("DE")
    form = contract_form(T.BLOCK_HOURS, block_hours="7,5", unit_price="1.000,00")()
    data = form.data | {"overage_rate": "150,5", "rounding_minutes": "0"}
    assert admin_client.post(form.url, data=data).status_code == 302
    contract = db.session.scalar(select(Contract))
    assert (contract.block_minutes, contract.unit_price_minor) == (450, 100000)
    assert contract.overage_rate_minor == 15050
    page = text(admin_client.get(f"/contracts/{contract.id}/edit"))
    assert 'value="7,5"' in page and 'value="1000,00"' in page
    assert "E.g. 20 or 7,5." in page
