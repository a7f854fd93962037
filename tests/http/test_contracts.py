"""Contracts: the list and its filters, the page, the form of every type, its fields by type."""

import html
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billing.contracts.terms import CLEARED_TERMS, TYPE_FIELDS
from models import (
    BillingPeriod,
    Contract,
    ContractRate,
    ContractType,
    ContractUnitCount,
    db,
)
from tests.factories import (
    make_contract,
    make_customer,
    make_rate,
    make_tax_rate,
    make_ticket,
)

T = ContractType
TERM_FIELDS = sorted({name for names in TYPE_FIELDS.values() for name in names})


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model=Contract) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def terms(contract: Contract) -> dict:
    """The type-specific columns of a contract as stored."""
    return {column: getattr(contract, column) for column in CLEARED_TERMS}


def post_data(customer, kind: ContractType, **fields) -> dict:
    data = {
        "customer_id": str(customer.id),
        "name": "Support",
        "type": kind.value,
        "start_date": "2026-01-01",
        "billing_period": "monthly",
        "active": "y",
    }
    return {**data, **fields}


# --- the list ------------------------------------------------------------------------------


def test_list_shows_contracts_with_links_and_filters(admin_client):
    acme, globex = make_customer(name="Acme"), make_customer(name="Globex")
    retainer = make_contract(acme, name="Managed IT", type=T.RETAINER, is_default=True)
    make_contract(globex, name="Break/fix", active=False)
    page = text(admin_client.get("/contracts"))
    assert "Managed IT" in page and "Break/fix" in page and "Default" in page
    assert f'href="/contracts/{retainer.id}"' in page
    assert 'name="customer"' in page and 'name="type"' in page and 'name="active"' in page
    assert 'hx-get="/contracts"' in page and 'href="/contracts/new"' in page
    only_acme = text(admin_client.get(f"/contracts?customer={acme.id}"))
    assert "Managed IT" in only_acme and "Break/fix" not in only_acme
    hourly = text(admin_client.get("/contracts?type=hourly"))
    assert "Break/fix" in hourly and "Managed IT" not in hourly
    inactive = text(admin_client.get("/contracts?active=0"))
    assert "Break/fix" in inactive and "Managed IT" not in inactive
    none = text(admin_client.get(f"/contracts?customer={acme.id}&type=hourly"))
    assert "No contract matches these filters." in none


def test_list_htmx_gets_the_rows_fragment_and_varies_on_hx_request(admin_client):
    make_contract(name="Managed IT")
    full = admin_client.get("/contracts?type=hourly")
    assert "<html" in text(full) and "HX-Request" in full.headers["Vary"]
    fragment = admin_client.get("/contracts?type=hourly", headers={"HX-Request": "true"})
    body = text(fragment)
    assert fragment.status_code == 200 and "<html" not in body
    assert 'id="contract-rows"' in body
    assert "Managed IT" in body and "HX-Request" in fragment.headers["Vary"]


def test_list_query_count_does_not_grow_with_rows(admin_client, count_queries):
    for _ in range(2):
        make_contract(type=T.RETAINER)
    with count_queries() as few:
        assert admin_client.get("/contracts").status_code == 200
    for _ in range(12):
        make_contract(make_customer(), type=T.BLOCK_HOURS, block_minutes=600)
    with count_queries() as many:
        page = admin_client.get("/contracts")
    assert page.status_code == 200 and text(page).count('<tr id="contract-') == 14
    assert len(many) == len(few)


# --- the page ------------------------------------------------------------------------------


def test_page_shows_terms_rates_services_and_tickets(admin_client):
    customer = make_customer(name="Acme")
    standard = make_rate(name="Standard", hourly_price_minor=12500)
    contract = make_contract(
        customer, name="Managed IT", type=T.RETAINER, quantity=Decimal(2), unit_price_minor=125000
    )
    contract.rates.append(ContractRate(rate=standard, hourly_price_minor=11000, is_primary=True))
    db.session.commit()
    make_ticket(contract)
    make_ticket(contract)
    page = text(admin_client.get(f"/contracts/{contract.id}"))
    assert "Managed IT" in page and "Retainer (flat fee)" in page and "Acme" in page
    assert "$1,250.00" in page and "$2,500.00" in page  # 2 x 1,250.00 per period
    assert "Standard" in page and "$110.00" in page and "Primary" in page
    assert 'href="/tickets?contract=' + str(contract.id) + '"' in page and "2 tickets" in page
    assert f'href="/contracts/{contract.id}/edit"' in page
    assert 'id="contract-services"' in page and 'id="contract-rates"' in page
    assert admin_client.get("/contracts/999999").status_code == 404


def test_page_notes_a_taxable_contract_of_a_tax_exempt_customer(admin_client):
    tax = make_tax_rate(name="Sales tax")
    church = make_customer(name="Oakwood Church", tax_exempt=True)
    contract = make_contract(church, type=T.RETAINER, taxable=True, tax_rate=tax)
    page = text(admin_client.get(f"/contracts/{contract.id}"))
    assert "Oakwood Church is tax exempt, yet this contract is taxable" in page


# --- creating one contract of each type -----------------------------------------------------


def test_new_form_offers_types_and_preselects_the_customer(admin_client):
    customer = make_customer(name="Acme")
    page = text(admin_client.get(f"/contracts/new?customer={customer.id}"))
    assert f'<option selected value="{customer.id}">Acme</option>' in page
    assert 'hx-get="/contracts/fields' in page and 'name="refresh"' in page
    assert "Show fields for this type" in page
    assert 'id="contract-type-fields"' in page
    # a retainer is proposed: only its fields show
    assert 'name="quantity"' in page and 'name="block_hours"' not in page


def create(admin_client, customer, kind, **fields):
    response = admin_client.post("/contracts/new", data=post_data(customer, kind, **fields))
    assert response.status_code == 302, text(response)
    contract = db.session.scalar(select(Contract).order_by(Contract.id.desc()))
    assert response.location == f"/contracts/{contract.id}"
    return contract


def test_create_retainer(admin_client):
    customer = make_customer()
    # stale fields of another type are posted too: they must not be stored
    contract = create(
        admin_client, customer, T.RETAINER, quantity="2", unit_price="1,250.50", block_hours="20"
    )
    assert terms(contract) == {**CLEARED_TERMS, "quantity": Decimal(2), "unit_price_minor": 125050}
    assert contract.billing_period is BillingPeriod.MONTHLY and contract.active
    assert "Contract Support saved." in text(admin_client.get(f"/contracts/{contract.id}"))


def test_create_hourly_on_demand_with_its_primary_rate(admin_client):
    customer, rate = make_customer(), make_rate(name="Standard")
    contract = create(
        admin_client,
        customer,
        T.HOURLY,
        billing_period="on_demand",
        primary_rate_id=str(rate.id),
        rounding_minutes="15",
        unit_price="99",
    )
    assert terms(contract) == {**CLEARED_TERMS, "rounding_minutes": 15}
    assert contract.billing_period is BillingPeriod.ON_DEMAND
    assert [(r.rate_id, r.is_primary, r.hourly_price_minor) for r in contract.rates] == [
        (rate.id, True, None)
    ]


def test_create_block_hours(admin_client):
    contract = create(
        admin_client,
        make_customer(),
        T.BLOCK_HOURS,
        block_hours="20",
        unit_price="2300",
        overage_rate="135",
        rollover="y",
        rounding_minutes="0",
        fixed_amount="5",
    )
    assert terms(contract) == {
        **CLEARED_TERMS,
        "block_minutes": 1200,
        "unit_price_minor": 230000,
        "overage_rate_minor": 13500,
        "rollover": True,
    }
    assert contract.rates == []


def test_create_block_money_in_the_customers_currency(admin_client):
    customer = make_customer(currency="EUR")
    eur_rate = make_rate(currency="EUR", hourly_price_minor=14000)
    contract = create(
        admin_client,
        customer,
        T.BLOCK_MONEY,
        billing_period="quarterly",
        block_amount="5000",
        primary_rate_id=str(eur_rate.id),
        primary_rate_price="150",
        overage_rate="165",
    )
    assert terms(contract) == {
        **CLEARED_TERMS,
        "block_amount_minor": 500000,
        "overage_rate_minor": 16500,
    }
    assert contract.billing_period is BillingPeriod.QUARTERLY
    assert [(r.is_primary, r.hourly_price_minor) for r in contract.rates] == [(True, 15000)]


def test_create_per_unit_with_its_starting_count(admin_client):
    contract = create(
        admin_client,
        make_customer(),
        T.PER_UNIT,
        unit_label="user",
        unit_price="35",
        unit_count="38",
        quantity="4",
    )
    assert terms(contract) == {**CLEARED_TERMS, "unit_label": "user", "unit_price_minor": 3500}
    assert [(c.effective_date, c.count) for c in contract.unit_counts] == [(date(2026, 1, 1), 38)]


def test_create_project_fixed_fee_billed_once(admin_client):
    contract = create(
        admin_client, make_customer(), T.PROJECT_FIXED, fixed_amount="8500", end_date="2026-03-31"
    )
    assert terms(contract) == {**CLEARED_TERMS, "fixed_amount_minor": 850000}
    assert contract.billing_period is BillingPeriod.ONCE  # "monthly" was posted
    assert contract.end_date == date(2026, 3, 31)


def test_create_project_hourly_billed_once(admin_client):
    customer, rate = make_customer(), make_rate()
    contract = create(
        admin_client,
        customer,
        T.PROJECT_HOURLY,
        primary_rate_id=str(rate.id),
        primary_rate_price="95.50",
        rounding_minutes="30",
    )
    assert terms(contract) == {**CLEARED_TERMS, "rounding_minutes": 30}
    assert contract.billing_period is BillingPeriod.ONCE
    assert [(r.is_primary, r.hourly_price_minor) for r in contract.rates] == [(True, 9550)]


def test_create_taxable_contract_for_a_tax_exempt_customer_is_noted(admin_client):
    tax = make_tax_rate()
    church = make_customer(name="Oakwood Church", tax_exempt=True)
    contract = create(
        admin_client,
        church,
        T.RETAINER,
        quantity="1",
        unit_price="500",
        taxable="y",
        tax_rate_id=str(tax.id),
    )
    assert contract.taxable and contract.tax_rate_id == tax.id
    assert "is tax exempt, yet this contract is taxable" in text(
        admin_client.get(f"/contracts/{contract.id}")
    )


# --- refused input --------------------------------------------------------------------------


def _invalid_cases():
    return [
        (T.RETAINER, {"name": ""}, "name", "Enter a name."),
        (T.RETAINER, {"customer_id": ""}, "customer_id", "Choose a customer from the list."),
        (T.RETAINER, {"customer_id": "999999"}, "customer_id", "Choose a customer from the list."),
        (T.RETAINER, {"start_date": ""}, "start_date", "Enter the start date."),
        (T.RETAINER, {"start_date": "2026-13-01"}, "start_date", "Not a valid date value."),
        (
            T.RETAINER,
            {"end_date": "2025-12-31"},
            "end_date",
            "The end date must be after the start date.",
        ),
        (
            T.RETAINER,
            {"billing_period": "on_demand"},
            "billing_period",
            "On demand is only for hourly contracts.",
        ),
        (T.RETAINER, {"quantity": "0"}, "quantity", "Enter a quantity above zero."),
        (
            T.RETAINER,
            {"unit_price": "12.345"},
            "unit_price",
            "USD amounts have at most 2 decimals.",
        ),
        (
            T.RETAINER,
            {"taxable": "y"},
            "tax_rate_id",
            "Choose the tax rate of this taxable contract.",
        ),
        (
            T.RETAINER,
            {"is_default": "y", "active": ""},
            "is_default",
            "An inactive contract cannot be the default.",
        ),
        (T.HOURLY, {}, "primary_rate_id", "Choose the primary rate."),
        (T.HOURLY, {"rounding_minutes": "7"}, "rounding_minutes", "Choose a rounding increment"),
        (T.BLOCK_HOURS, {"block_hours": "lots"}, "block_hours", "Enter the hours, such as 10"),
        (T.BLOCK_MONEY, {"block_amount": "0"}, "block_amount", "Enter an amount above zero."),
        (T.PER_UNIT, {"unit_count": "-1"}, "unit_count", "Enter a whole number of zero or more."),
        # the largest values the fields take, together more than one line can hold
        (
            T.RETAINER,
            {"quantity": "999999.999", "unit_price": "999999999999.99"},
            "quantity",
            "comes to too much for one line",
        ),
        (
            T.PER_UNIT,
            {"unit_count": "999999999", "unit_price": "999999999999.99"},
            "unit_count",
            "comes to too much for one line",
        ),
        (
            T.PROJECT_FIXED,
            {"fixed_amount": ""},
            "fixed_amount",
            "Enter an amount such as 1,234.50.",
        ),
    ]


VALID_TERMS = {
    T.RETAINER: {"quantity": "1", "unit_price": "100"},
    T.HOURLY: {},
    T.BLOCK_HOURS: {"block_hours": "10", "unit_price": "1000", "overage_rate": "150"},
    T.BLOCK_MONEY: {"block_amount": "5000", "overage_rate": "150"},
    T.PER_UNIT: {"unit_label": "device", "unit_price": "12", "unit_count": "3"},
    T.PROJECT_FIXED: {"fixed_amount": "100"},
}


@pytest.mark.parametrize(("kind", "fields", "field", "message"), _invalid_cases())
def test_invalid_input_is_422_with_the_message_beside_its_field(
    admin_client, kind, fields, field, message
):
    customer = make_customer()
    data = post_data(customer, kind, **{**VALID_TERMS[kind], **fields})
    data = {key: value for key, value in data.items() if value != "" or key == "name"}
    response = admin_client.post("/contracts/new", data=data)
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert f'id="{field}-error"' in page  # beside the field, not above the form
    assert count() == 0 and count(ContractRate) == 0 and count(ContractUnitCount) == 0


def test_name_is_unique_per_customer_ignoring_case(admin_client):
    acme, globex = make_customer(name="Acme"), make_customer()
    make_contract(acme, name="Managed IT", type=T.RETAINER)
    data = post_data(acme, T.RETAINER, name="managed it", quantity="1", unit_price="1")
    response = admin_client.post("/contracts/new", data=data)
    assert response.status_code == 422 and "Acme has a contract with this name." in text(response)
    assert count() == 1
    other = post_data(globex, T.RETAINER, name="Managed IT", quantity="1", unit_price="1")
    assert admin_client.post("/contracts/new", data=other).status_code == 302


def test_rate_in_another_currency_needs_a_contract_price(admin_client):
    customer, eur_rate = make_customer(currency="USD"), make_rate(name="Euro", currency="EUR")
    data = post_data(customer, T.HOURLY, primary_rate_id=str(eur_rate.id))
    response = admin_client.post("/contracts/new", data=data)
    assert response.status_code == 422
    assert "Euro is priced in EUR: enter its price in USD" in text(response)
    assert 'id="primary_rate_price-error"' in text(response) and count() == 0


def test_every_broken_rule_shows_at_once(admin_client):
    data = post_data(make_customer(), T.BLOCK_HOURS, name="", block_hours="x", unit_price="")
    page = text(admin_client.post("/contracts/new", data=data))
    for message in ("Enter a name.", "Enter the hours", "Enter an amount such as 1,234.50."):
        assert message in page


# --- the fields of each type ---------------------------------------------------------------


@pytest.mark.parametrize("kind", list(T))
def test_type_fields_fragment_shows_only_that_types_fields(admin_client, kind):
    customer = make_customer(currency="EUR")
    response = admin_client.get(
        f"/contracts/fields?type={kind.value}&customer_id={customer.id}",
        headers={"HX-Request": "true"},
    )
    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    assert body.strip().startswith("<legend>")  # the fieldset's contents
    assert kind.label in body
    for name in TERM_FIELDS:
        assert (f'name="{name}"' in body) == (name in TYPE_FIELDS[kind]), name
    if any(name in TYPE_FIELDS[kind] for name in ("unit_price", "fixed_amount", "block_amount")):
        assert "(EUR)" in body


def test_type_fields_fragment_keeps_what_was_typed(admin_client):
    response = admin_client.get(
        "/contracts/fields?type=per_unit&unit_price=12.50&quantity=3", headers={"HX-Request": "1"}
    )
    assert 'name="unit_price" type="text" value="12.50"' in text(response)


def test_without_javascript_refresh_redraws_the_form_for_the_chosen_type(admin_client):
    customer = make_customer()
    data = post_data(customer, T.BLOCK_MONEY, name="", refresh="1")
    response = admin_client.post("/contracts/new", data=data)
    page = text(response)
    assert response.status_code == 200 and count() == 0
    assert 'name="block_amount"' in page and 'name="quantity"' not in page
    assert 'class="error"' not in page and "Enter a name." not in page
    assert '<option selected value="block_money">' in page


# --- editing -------------------------------------------------------------------------------


def test_edit_form_shows_the_stored_terms_and_saves_changes(admin_client):
    contract = make_contract(
        name="Block",
        type=T.BLOCK_HOURS,
        block_minutes=450,
        unit_price_minor=90000,
        overage_rate_minor=13500,
        rollover=True,
    )
    page = text(admin_client.get(f"/contracts/{contract.id}/edit"))
    assert 'value="7.5"' in page and 'value="900.00"' in page and 'value="135.00"' in page
    terms_ = {"block_hours": "10", "unit_price": "1000", "overage_rate": "140"}
    data = post_data(contract.customer, T.BLOCK_HOURS, name="Block 10", **terms_)
    response = admin_client.post(f"/contracts/{contract.id}/edit", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert contract.name == "Block 10" and contract.block_minutes == 600
    assert contract.rollover is False  # unticked


def test_changing_the_type_clears_the_old_terms_and_counts(admin_client):
    contract = make_contract(type=T.PER_UNIT, unit_label="device", unit_price_minor=1200)
    contract.unit_counts.append(ContractUnitCount(effective_date=date(2026, 1, 1), count=5))
    db.session.commit()
    data = post_data(contract.customer, T.PROJECT_FIXED, fixed_amount="900")
    assert admin_client.post(f"/contracts/{contract.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert terms(contract) == {**CLEARED_TERMS, "fixed_amount_minor": 90000}
    assert contract.unit_counts == [] and count(ContractUnitCount) == 0


@pytest.mark.parametrize("change", ["type", "customer"])
def test_customer_and_type_are_fixed_once_there_are_tickets(admin_client, change):
    contract = make_contract(name="Break/fix")
    make_ticket(contract)
    other = make_customer()
    customer = other if change == "customer" else contract.customer
    kind = T.RETAINER if change == "type" else T.HOURLY
    data = post_data(customer, kind, name="Break/fix", quantity="1", unit_price="1")
    response = admin_client.post(f"/contracts/{contract.id}/edit", data=data)
    assert response.status_code == 409
    assert f"so its {change} cannot change" in text(response)
    db.session.expire_all()
    assert contract.type is T.HOURLY and contract.customer_id != other.id
    page = text(admin_client.get(f"/contracts/{contract.id}/edit"))
    assert "Work is recorded under this contract, so this cannot change." in page


def test_making_a_contract_default_clears_the_customers_old_default(admin_client):
    acme, globex = make_customer(), make_customer()
    old = make_contract(acme, name="Old", type=T.RETAINER, is_default=True)
    elsewhere = make_contract(globex, name="Theirs", type=T.RETAINER, is_default=True)
    new = create(
        admin_client, acme, T.RETAINER, name="New", is_default="y", quantity="1", unit_price="1"
    )
    db.session.expire_all()
    assert (old.is_default, new.is_default, elsewhere.is_default) == (False, True, True)
    data = post_data(acme, T.RETAINER, name="Old", is_default="y", quantity="1", unit_price="1")
    assert admin_client.post(f"/contracts/{old.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert (old.is_default, new.is_default, elsewhere.is_default) == (True, False, True)
