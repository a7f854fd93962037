"""A contract's rates, service lines and counts; technicians' access; the block balance."""

import html
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask, url_for
from sqlalchemy import select

from clock import today as local_today
from models import (
    BlockEntryKind,
    BlockLedgerEntry,
    ContractRate,
    ContractService,
    ContractType,
    ContractUnitCount,
    db,
)
from tests.factories import (
    make_contract,
    make_customer,
    make_product,
    make_rate,
    make_ticket,
    make_time_entry,
)

T = ContractType
HX = {"HX-Request": "true"}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def links(contract) -> list[tuple[str, bool, int | None]]:
    db.session.expire_all()
    rows = db.session.scalars(select(ContractRate).where(ContractRate.contract_id == contract.id))
    return sorted((r.rate.name, r.is_primary, r.hourly_price_minor) for r in rows)


# --- rates ---------------------------------------------------------------------------------


def test_add_rates_first_becomes_primary(admin_client):
    contract = make_contract(type=T.RETAINER)
    standard = make_rate(name="Standard", hourly_price_minor=12500)
    weekend = make_rate(name="Weekend", hourly_price_minor=25000)
    url = f"/contracts/{contract.id}/rates"
    response = admin_client.post(url, data={"rate_id": standard.id, "hourly_price": ""})
    assert response.status_code == 302
    assert response.location == f"/contracts/{contract.id}#contract-rates"
    response = admin_client.post(
        url, data={"rate_id": weekend.id, "hourly_price": "200"}, headers=HX
    )
    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    assert body.strip().startswith('<section class="card" id="contract-rates">')
    assert "Weekend" in body and "$200.00" in body and "$125.00" in body
    assert links(contract) == [("Standard", True, None), ("Weekend", False, 20000)]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"rate_id": ""}, "rate_id", "Choose an active rate from the list."),
        ({"rate_id": "same"}, "rate_id", "is offered under this contract already."),
        ({"rate_id": "inactive"}, "rate_id", "Choose an active rate from the list."),
        ({"rate_id": "euro"}, "hourly_price", "Euro is priced in EUR: enter its price in USD"),
        ({"hourly_price": "abc"}, "hourly_price", "Enter an amount such as 1,234.50."),
    ],
)
def test_invalid_rate_is_422_beside_its_field(admin_client, data, field, message):
    contract = make_contract()  # hourly, with one primary rate
    ids = {
        "same": contract.rates[0].rate_id,
        "inactive": make_rate(active=False).id,
        "euro": make_rate(name="Euro", currency="EUR").id,
    }
    fresh = make_rate(name="Fresh").id
    data = {"rate_id": fresh, "hourly_price": "", **data}
    data["rate_id"] = ids.get(data["rate_id"], data["rate_id"])
    before = links(contract)
    for headers in ({}, HX):
        response = admin_client.post(f"/contracts/{contract.id}/rates", data=data, headers=headers)
        assert response.status_code == 422
        assert message in text(response) and f'id="{field}-error"' in text(response)
        assert ("<html" in text(response)) == (not headers)
    assert links(contract) == before


def test_choose_the_primary_rate(admin_client):
    standard, after = make_rate(name="Standard"), make_rate(name="After hours")
    contract = make_contract(rates=[standard, after])
    link = next(r for r in contract.rates if r.rate_id == after.id)
    response = admin_client.post(f"/contracts/{contract.id}/rates/{link.id}/primary", headers=HX)
    assert response.status_code == 200 and "<html" not in text(response)
    assert links(contract) == [("After hours", True, None), ("Standard", False, None)]


def test_remove_an_unused_rate(admin_client):
    standard, weekend = make_rate(name="Standard"), make_rate(name="Weekend")
    contract = make_contract(rates=[standard, weekend])
    link = next(r for r in contract.rates if r.rate_id == weekend.id)
    response = admin_client.post(f"/contracts/{contract.id}/rates/{link.id}/remove")
    assert response.status_code == 302
    assert links(contract) == [("Standard", True, None)]
    assert "Rate Weekend removed." in text(admin_client.get(f"/contracts/{contract.id}"))


def test_removing_a_rate_used_by_time_is_refused_409(admin_client):
    standard, weekend = make_rate(name="Standard"), make_rate(name="Weekend")
    contract = make_contract(rates=[standard, weekend])
    make_time_entry(make_ticket(contract), rate=weekend)
    make_time_entry(make_ticket(contract), rate=weekend)
    link = next(r for r in contract.rates if r.rate_id == weekend.id)
    for headers in ({}, HX):
        response = admin_client.post(
            f"/contracts/{contract.id}/rates/{link.id}/remove", headers=headers
        )
        assert response.status_code == 409
        assert "2 time entries on this contract's tickets use Weekend" in text(response)
    assert links(contract) == [("Standard", True, None), ("Weekend", False, None)]


def test_removing_the_primary_rate_of_an_hourly_contract_is_refused_409(admin_client):
    contract = make_contract()
    link = contract.rates[0]
    response = admin_client.post(f"/contracts/{contract.id}/rates/{link.id}/remove", headers=HX)
    assert response.status_code == 409 and "make another rate primary first" in text(response)
    assert len(links(contract)) == 1


def test_rate_of_another_contract_is_404(admin_client):
    contract, other = make_contract(), make_contract()
    link = other.rates[0]
    assert admin_client.post(f"/contracts/{contract.id}/rates/{link.id}/primary").status_code == 404


# --- recurring service lines ---------------------------------------------------------------


def test_add_a_service_line_from_a_product(admin_client):
    contract = make_contract(type=T.RETAINER)
    product = make_product(name="Microsoft 365 Business Premium", unit_price_minor=2200)
    data = {"product_id": product.id, "description": "", "quantity": "15", "unit_price": ""}
    response = admin_client.post(f"/contracts/{contract.id}/services", data=data, headers=HX)
    body = text(response)
    assert response.status_code == 200 and 'id="contract-services"' in body
    assert "Microsoft 365 Business Premium" in body and "$330.00" in body  # 15 x 22.00
    line = db.session.scalar(select(ContractService))
    assert (line.description, line.quantity, line.unit_price_minor, line.product_id) == (
        "Microsoft 365 Business Premium",
        Decimal(15),
        2200,
        product.id,
    )


def test_add_a_service_line_without_a_product(admin_client):
    contract = make_contract(type=T.RETAINER)
    data = {"description": "Backup storage", "quantity": "2.5", "unit_price": "19.99"}
    assert admin_client.post(f"/contracts/{contract.id}/services", data=data).status_code == 302
    page = text(admin_client.get(f"/contracts/{contract.id}"))
    assert "Backup storage" in page and "$49.98" in page  # 49.975 rounded half-up


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"quantity": "1"}, "description", "Enter a description, or choose a product."),
        ({"description": "X", "quantity": "0"}, "quantity", "Enter a quantity above zero."),
        ({"description": "X", "quantity": "1.0001"}, "quantity", "Use at most 3 decimals."),
        ({"description": "X", "quantity": "1"}, "unit_price", "Enter a unit price, or choose"),
        ({"product_id": "999999", "quantity": "1"}, "product_id", "Choose an active product"),
    ],
)
def test_invalid_service_line_is_422(admin_client, data, field, message):
    contract = make_contract(type=T.RETAINER)
    response = admin_client.post(f"/contracts/{contract.id}/services", data=data, headers=HX)
    assert response.status_code == 422
    assert message in text(response) and f'id="{field}-error"' in text(response)
    assert db.session.scalar(select(ContractService)) is None


# The largest a service line's form takes: quantity below MAX_QUANTITY (3 decimals), price
# below MAX_AMOUNT (2 decimals in USD); their product, ~10**20 minor units, is past the 64-bit
# columns a batch writes the line's amount to.
LARGEST = {"description": "Everything", "quantity": "999999.999", "unit_price": "999999999999.99"}
TOO_MUCH = "Quantity x unit price comes to too much for one line: lower one of them."


def test_a_service_line_past_the_line_bound_is_422_beside_quantity(admin_client):
    contract = make_contract(type=T.RETAINER)
    for headers in ({}, HX):
        response = admin_client.post(
            f"/contracts/{contract.id}/services", data=LARGEST, headers=headers
        )
        assert response.status_code == 422
        assert TOO_MUCH in text(response) and 'id="quantity-error"' in text(response)
        assert ("<html" in text(response)) == (not headers)
    db.session.expire_all()
    assert db.session.scalar(select(ContractService)) is None
    line = ContractService(description="Backup", quantity=Decimal(1), unit_price_minor=1000)
    contract.services.append(line)
    db.session.commit()
    url = f"/contracts/{contract.id}/services/{line.id}"
    response = admin_client.post(url, data=LARGEST, headers=HX)
    assert response.status_code == 422 and TOO_MUCH in text(response)
    db.session.expire_all()
    assert (line.description, line.quantity, line.unit_price_minor) == (
        "Backup",
        Decimal(1),
        1000,
    )


def test_the_largest_service_line_that_fits_is_saved_and_shown(admin_client):
    contract = make_contract(type=T.RETAINER)
    data = {"description": "Everything", "quantity": "100", "unit_price": "99999999999.99"}
    assert admin_client.post(f"/contracts/{contract.id}/services", data=data).status_code == 302
    line = db.session.scalar(select(ContractService))
    assert (line.quantity, line.unit_price_minor) == (Decimal(100), 9_999_999_999_999)
    page = text(admin_client.get(f"/contracts/{contract.id}"))
    assert "$9,999,999,999,999.00" in page  # 10**15 - 100 minor units, the bound less a dollar


def test_edit_and_remove_a_service_line(admin_client):
    contract = make_contract(type=T.RETAINER)
    line = ContractService(description="Backup", quantity=Decimal(1), unit_price_minor=1000)
    contract.services.append(line)
    db.session.commit()
    url = f"/contracts/{contract.id}/services/{line.id}"
    form = admin_client.get(url, headers=HX)
    assert form.status_code == 200 and 'value="Backup"' in text(form)
    assert "<html" not in text(form) and "Save line" in text(form)
    assert "HX-Request" in form.headers["Vary"]
    assert "Save line" in text(admin_client.get(url))  # without JavaScript: the whole page
    bad = admin_client.post(url, data={"description": "Backup", "quantity": "-1"}, headers=HX)
    assert bad.status_code == 422 and "Enter a quantity above zero." in text(bad)
    data = {"description": "Backup 2 TB", "quantity": "2", "unit_price": "12.50"}
    assert admin_client.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert (line.description, line.quantity, line.unit_price_minor) == (
        "Backup 2 TB",
        Decimal(2),
        1250,
    )
    response = admin_client.post(f"{url}/remove", headers=HX)
    assert response.status_code == 200 and "No service lines." in text(response)
    assert db.session.scalar(select(ContractService)) is None


# --- per-unit counts ------------------------------------------------------------------------


def per_unit(**fields):
    values = dict(type=T.PER_UNIT, unit_label="device", unit_price_minor=1200)
    contract = make_contract(**{**values, **fields})
    contract.unit_counts.append(ContractUnitCount(effective_date=contract.start_date, count=24))
    db.session.commit()
    return contract


def test_record_and_remove_counts(admin_client):
    contract = per_unit(start_date=date(2026, 1, 1))
    url = f"/contracts/{contract.id}/units"
    response = admin_client.post(
        url, data={"effective_date": "2026-02-10", "count": "26"}, headers=HX
    )
    body = text(response)
    assert response.status_code == 200 and 'id="contract-units"' in body and "<html" not in body
    assert "26" in body
    counts = db.session.scalars(
        select(ContractUnitCount).order_by(ContractUnitCount.effective_date)
    )
    assert [(c.effective_date, c.count) for c in counts] == [
        (date(2026, 1, 1), 24),
        (date(2026, 2, 10), 26),
    ]
    page = text(admin_client.get(f"/contracts/{contract.id}"))
    assert '<strong id="current-count">26</strong>' in page  # the latest on or before today
    assert "$312.00" in page  # 26 x 12.00 per period
    later = db.session.scalar(select(ContractUnitCount).where(ContractUnitCount.count == 26))
    response = admin_client.post(f"{url}/{later.id}/remove")
    assert response.status_code == 302
    assert '<strong id="current-count">24</strong>' in text(
        admin_client.get(f"/contracts/{contract.id}")
    )


def test_a_count_past_the_line_bound_is_422_beside_count(admin_client):
    # the largest count the form takes, at $99,999,999,999.99 a unit: ~10**22 minor units
    contract = per_unit(start_date=date(2026, 1, 1), unit_price_minor=9_999_999_999_999)
    url = f"/contracts/{contract.id}/units"
    data = {"effective_date": "2026-02-10", "count": "999999999"}
    for headers in ({}, HX):
        response = admin_client.post(url, data=data, headers=headers)
        assert response.status_code == 422
        assert TOO_MUCH in text(response) and 'id="count-error"' in text(response)
    db.session.expire_all()
    assert [c.count for c in contract.unit_counts] == [24]
    data["count"] = "100"  # 100 x 9,999,999,999,999 = the bound less 100 minor units: fits
    assert admin_client.post(url, data=data).status_code == 302
    assert "$9,999,999,999,999.00" in text(admin_client.get(f"/contracts/{contract.id}"))


def test_a_future_count_is_not_in_force_yet(admin_client):
    contract = per_unit(start_date=date(2026, 1, 1))
    contract.unit_counts.append(ContractUnitCount(effective_date=date(2999, 1, 1), count=99))
    db.session.commit()
    assert '<strong id="current-count">24</strong>' in text(
        admin_client.get(f"/contracts/{contract.id}")
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"effective_date": "2026-01-01", "count": "3"}, "effective_date", "already"),
        ({"effective_date": "2025-12-31", "count": "3"}, "effective_date", "within the contract"),
        ({"effective_date": "2026-07-01", "count": "3"}, "effective_date", "within the contract"),
        ({"count": "3"}, "effective_date", "Enter the date the count applies from."),
        ({"effective_date": "2026-02-01", "count": "-3"}, "count", "Enter a whole number"),
    ],
)
def test_invalid_count_is_422(admin_client, data, field, message):
    contract = per_unit(start_date=date(2026, 1, 1), end_date=date(2026, 6, 30))
    response = admin_client.post(f"/contracts/{contract.id}/units", data=data, headers=HX)
    assert response.status_code == 422
    assert message in text(response) and f'id="{field}-error"' in text(response)
    db.session.expire_all()
    assert len(contract.unit_counts) == 1


def test_counts_are_only_for_per_unit_contracts(admin_client):
    contract = make_contract(type=T.RETAINER)
    data = {"effective_date": "2026-02-01", "count": "3"}
    response = admin_client.post(f"/contracts/{contract.id}/units", data=data, headers=HX)
    assert response.status_code == 409 and "Only per device / per user contracts" in text(response)


# --- technicians -----------------------------------------------------------------------------


def test_technicians_see_the_list_and_page_without_edit_controls(app: Flask, tech_client):
    contract = per_unit()
    contract.services.append(
        ContractService(description="Backup", quantity=Decimal(1), unit_price_minor=1000)
    )
    db.session.commit()
    assert tech_client.get("/contracts").status_code == 200
    assert "New contract" not in text(tech_client.get("/contracts"))
    page = tech_client.get(f"/contracts/{contract.id}")
    assert page.status_code == 200
    body = text(page)
    assert "Backup" in body and "Edit contract" not in body
    for control in ("Add rate", "Add line", "Record count", "Remove", "Make primary", "Edit<"):
        assert control not in body, control


def test_technicians_get_403_on_every_form_and_change(app: Flask, tech_client):
    contract = make_contract()
    endpoints = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("work.contract")
        and rule.endpoint not in ("work.contracts", "work.contract")
    ]
    assert len(endpoints) == 11
    checked = 0
    for rule in endpoints:
        values = {arg: contract.id for arg in rule.arguments}
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = tech_client.open(url, method=method)
            assert response.status_code == 403, (method, url)
            checked += 1
    assert checked == 14


# --- block balance ---------------------------------------------------------------------------


def test_block_hours_balance_on_the_page(admin_client):
    month = local_today().replace(day=1)
    contract = make_contract(
        type=T.BLOCK_HOURS,
        start_date=month,
        block_minutes=600,
        unit_price_minor=100000,
        overage_rate_minor=15000,
        rounding_minutes=15,
        rates=[make_rate(name="Standard")],
    )
    db.session.add(
        BlockLedgerEntry(
            contract_id=contract.id, entry_date=month, kind=BlockEntryKind.PURCHASE, minutes=600
        )
    )
    db.session.commit()
    ticket = make_ticket(contract)
    make_time_entry(ticket, work_date=month, minutes=50)  # billed as 60
    make_time_entry(ticket, work_date=month, minutes=100)  # billed as 105
    page = text(admin_client.get(f"/contracts/{contract.id}"))
    # 10:00 h bought, 2:45 h used: 7:15 h left
    assert '<strong id="block-balance-now">7:15 h</strong>' in page
    row = page[page.index(f'id="balance-{month:%Y-%m}"') :].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in row.split("</td>")[1:-1]]
    assert cells == ["0:00 h", "10:00 h", "0:00 h", "2:45 h", "0:00 h", "0:00 h", "7:15 h"]


def test_block_money_balance_on_the_page(admin_client):
    month = local_today().replace(day=1)
    rate = make_rate(name="Standard", hourly_price_minor=15000)
    contract = make_contract(
        make_customer(),
        type=T.BLOCK_MONEY,
        start_date=month,
        block_amount_minor=500000,
        overage_rate_minor=16500,
        rollover=True,
        rates=[rate],
    )
    ticket = make_ticket(contract)
    for _ in range(4):
        make_time_entry(ticket, work_date=month, minutes=300)  # 4 x 5 h x 150.00 = 3,000.00
    page = text(admin_client.get(f"/contracts/{contract.id}"))
    assert '<strong id="block-balance-now">$2,000.00</strong>' in page
    assert "The period's block, recorded when the period is billed." in page
