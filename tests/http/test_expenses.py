"""Products and expenses on the ticket page: catalog prices filled in, validation beside the
field, inline edit/delete, and what technicians may not do with prices (422 "Only admins ...")."""

import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import Expense, db
from tests.factories import make_contract, make_customer, make_expense, make_product, make_ticket

HX = {"HX-Request": "true"}
NEW = "expense-new-"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def expenses() -> int:
    return db.session.scalar(select(func.count()).select_from(Expense))


def form(prefix: str = NEW, **fields) -> dict:
    values = {
        "expense_date": "2026-03-02",
        "description": "Patch cable",
        "quantity": "2",
        "unit_price": "15.00",
        "billable": "y",
        **fields,
    }
    return {prefix + name: value for name, value in values.items() if value is not None}


def error_beside(page: str, field: str, prefix: str = NEW) -> str:
    match = re.search(
        rf'id="field-{prefix}{field}">.*?<small class="error"[^>]*>([^<]*)</small>', page, re.S
    )
    return match.group(1) if match else ""


def test_add_a_catalog_product_at_its_price(admin_client, admin):
    product = make_product(name="SSD 1TB", unit_price_minor=8900)
    ticket = make_ticket()
    data = form(product_id=product.id, description="", unit_price="")
    response = admin_client.post(f"/tickets/{ticket.id}/expenses", data=data)
    assert response.status_code == 302 and response.location == f"/tickets/{ticket.id}#expenses"
    expense = db.session.scalar(select(Expense))
    assert expense.product_id == product.id and expense.description == "SSD 1TB"
    assert expense.unit_price_minor == 8900 and expense.quantity == Decimal(2)
    assert expense.user_id == admin.id
    page = text(admin_client.get(response.location))
    assert "Expense added." in page and "$178.00" in page


def test_add_inline_with_htmx_refreshes_the_totals(admin_client):
    ticket = make_ticket()
    data = form(discount="5.00")
    response = admin_client.post(f"/tickets/{ticket.id}/expenses", data=data, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "ticket-totals-changed"
    assert response.headers["HX-Retarget"] == "#expenses"
    body = text(response)
    expense = db.session.scalar(select(Expense))
    assert f'id="expense-{expense.id}"' in body and "$25.00" in body  # 2 x 15.00 - 5.00
    totals = text(admin_client.get(f"/tickets/{ticket.id}/totals"))
    assert "$25.00" in totals


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"unit_price": "12,34.5.6"}, "unit_price", "Enter an amount such as 1,234.50."),
        ({"unit_price": "1.234"}, "unit_price", "at most 2 decimals"),
        ({"unit_price": ""}, "unit_price", "Enter the unit price."),
        ({"discount": "30.01"}, "discount", "cannot be more than the line's 30.00 USD"),
        ({"discount": "-1"}, "discount", "zero or more"),
        ({"quantity": "0"}, "quantity", "above zero"),
        ({"quantity": "1.2345"}, "quantity", "at most 3 decimals"),
        ({"quantity": "1000000"}, "quantity", "below 1,000,000"),
        ({"description": ""}, "description", "Describe the expense, or choose a product."),
        ({"expense_date": "2999-01-01"}, "expense_date", "cannot be in the future"),
        ({"expense_date": ""}, "expense_date", "Enter a date such as"),
    ],
)
def test_invalid_expense_is_refused_beside_the_field(admin_client, fields, field, message):
    ticket = make_ticket()
    response = admin_client.post(f"/tickets/{ticket.id}/expenses", data=form(**fields), headers=HX)
    assert response.status_code == 422
    body = text(response)
    assert body.lstrip().startswith('<form method="post" action=')
    assert message in error_beside(body, field)
    assert expenses() == 0
    page = admin_client.post(f"/tickets/{ticket.id}/expenses", data=form(**fields))
    assert page.status_code == 422 and message in error_beside(text(page), field)
    assert expenses() == 0


def test_product_in_another_currency_needs_a_price(admin_client):
    product = make_product(name="Licence", currency="EUR", unit_price_minor=1000)
    ticket = make_ticket()
    data = form(product_id=product.id, unit_price="")
    response = admin_client.post(f"/tickets/{ticket.id}/expenses", data=data, headers=HX)
    assert response.status_code == 422
    assert "priced in EUR; enter its price in USD" in error_beside(text(response), "unit_price")
    data = form(product_id=product.id, unit_price="11.00")
    assert admin_client.post(f"/tickets/{ticket.id}/expenses", data=data).status_code == 302


def test_choosing_a_product_fills_its_price(admin_client):
    product = make_product(name="Dock", unit_price_minor=12900)
    ticket = make_ticket(make_contract(make_customer(currency="USD")))
    page = text(admin_client.get(f"/tickets/{ticket.id}"))
    assert f'data-hx-get="/tickets/{ticket.id}/expenses/price?prefix={NEW}"' in page
    assert f'data-hx-target="#field-{NEW}unit_price"' in page
    url = f"/tickets/{ticket.id}/expenses/price?prefix={NEW}&{NEW}product_id={product.id}"
    field = text(admin_client.get(url, headers=HX))
    assert field.lstrip().startswith(f'<div class="field" id="field-{NEW}unit_price">')
    assert 'value="129.00"' in field and "readonly" not in field
    assert "Catalog price $129.00" in field
    euro = make_product(currency="EUR")
    url = f"/tickets/{ticket.id}/expenses/price?prefix={NEW}&{NEW}product_id={euro.id}"
    field = text(admin_client.get(url, headers=HX))
    assert 'value=""' in field and "enter a price" in field
    none = text(admin_client.get(f"/tickets/{ticket.id}/expenses/price?prefix={NEW}"))
    assert 'value=""' in none and "What one unit cost." in none


def test_edit_and_delete_inline(admin_client):
    ticket = make_ticket()
    expense = make_expense(ticket, quantity=Decimal("2.500"), unit_price_minor=1000)
    prefix = f"expense-{expense.id}-"
    edit = text(admin_client.get(f"/tickets/{ticket.id}/expenses/{expense.id}/edit", headers=HX))
    assert edit.lstrip().startswith(f'<tr id="expense-{expense.id}" class="editing">')
    assert f'name="{prefix}quantity" type="text" value="2.5"' in edit
    saved = admin_client.post(
        f"/tickets/{ticket.id}/expenses/{expense.id}/edit",
        data=form(prefix, quantity="3", unit_price="10.00"),
        headers=HX,
    )
    assert saved.status_code == 200 and saved.headers["HX-Trigger"] == "ticket-totals-changed"
    assert text(saved).lstrip().startswith(f'<tr id="expense-{expense.id}">')
    assert "$30.00" in text(saved)
    refused = admin_client.post(
        f"/tickets/{ticket.id}/expenses/{expense.id}/edit",
        data=form(prefix, quantity="3", unit_price="10.00", discount="31"),
        headers=HX,
    )
    assert refused.status_code == 422
    assert "cannot be more than" in error_beside(text(refused), "discount", prefix)
    deleted = admin_client.post(f"/tickets/{ticket.id}/expenses/{expense.id}/delete", headers=HX)
    assert deleted.status_code == 200 and deleted.get_data() == b""
    assert expenses() == 0


def test_edit_without_javascript(admin_client):
    ticket = make_ticket()
    expense = make_expense(ticket)
    prefix = f"expense-{expense.id}-"
    page = text(admin_client.get(f"/tickets/{ticket.id}/expenses/{expense.id}/edit"))
    assert "<html" in page and f'<tr id="expense-{expense.id}" class="editing">' in page
    saved = admin_client.post(
        f"/tickets/{ticket.id}/expenses/{expense.id}/edit", data=form(prefix, description="Cat6")
    )
    assert saved.status_code == 302 and saved.location.endswith(f"#expense-{expense.id}")
    db.session.expire_all()
    assert db.session.get(Expense, expense.id).description == "Cat6"
    gone = admin_client.post(f"/tickets/{ticket.id}/expenses/{expense.id}/delete")
    assert gone.status_code == 302 and expenses() == 0


# --- technicians and prices ------------------------------------------------------------------
# Documented choice: a technician's attempt to change a price or give a discount is a 422 with
# "Only admins ..." beside the field (a form error they can correct), never a silent change.


def test_technician_records_a_product_at_its_catalog_price(tech_client, technician):
    product = make_product(unit_price_minor=4999)
    ticket = make_ticket()
    page = text(tech_client.get(f"/tickets/{ticket.id}"))
    assert f'name="{NEW}discount"' not in page  # no discount field for technicians
    url = f"/tickets/{ticket.id}/expenses/price?prefix={NEW}&{NEW}product_id={product.id}"
    field = text(tech_client.get(url, headers=HX))
    assert "readonly" in field and 'value="49.99"' in field and "only admins" in field
    data = form(product_id=product.id, unit_price="49.99")
    assert tech_client.post(f"/tickets/{ticket.id}/expenses", data=data).status_code == 302
    expense = db.session.scalar(select(Expense))
    assert expense.unit_price_minor == 4999 and expense.user_id == technician.id


def test_technician_cannot_change_a_catalog_price(tech_client):
    product = make_product(unit_price_minor=4999)
    ticket = make_ticket()
    data = form(product_id=product.id, unit_price="1.00")
    response = tech_client.post(f"/tickets/{ticket.id}/expenses", data=data, headers=HX)
    assert response.status_code == 422
    assert "Only admins can change prices" in error_beside(text(response), "unit_price")
    assert expenses() == 0


def test_technician_cannot_give_a_discount(tech_client):
    ticket = make_ticket()
    response = tech_client.post(
        f"/tickets/{ticket.id}/expenses", data=form(discount="5.00"), headers=HX
    )
    assert response.status_code == 422
    assert "Only admins can give discounts." in error_beside(text(response), "discount")
    assert expenses() == 0


def test_technician_enters_the_cost_of_a_free_expense(tech_client):
    ticket = make_ticket()
    data = form(description="Parking", quantity="1", unit_price="7.50")
    assert tech_client.post(f"/tickets/{ticket.id}/expenses", data=data).status_code == 302
    assert db.session.scalar(select(Expense)).unit_price_minor == 750


def test_technician_editing_keeps_an_admins_price_and_discount(tech_client, technician):
    product = make_product(unit_price_minor=4999)
    ticket = make_ticket()
    expense = make_expense(  # the technician's own, priced by an admin
        ticket, product=product, unit_price_minor=3999, discount_minor=500, quantity=Decimal(2),
        user_id=technician.id,
    )  # fmt: skip
    prefix = f"expense-{expense.id}-"
    edit = text(tech_client.get(f"/tickets/{ticket.id}/expenses/{expense.id}/edit", headers=HX))
    assert f'name="{prefix}discount"' not in edit and 'value="39.99"' in edit
    data = form(prefix, product_id=product.id, quantity="3", unit_price="39.99")
    response = tech_client.post(
        f"/tickets/{ticket.id}/expenses/{expense.id}/edit", data=data, headers=HX
    )
    assert response.status_code == 200
    db.session.expire_all()
    expense = db.session.get(Expense, expense.id)
    assert expense.quantity == 3 and expense.unit_price_minor == 3999
    assert expense.discount_minor == 500  # the form had no discount field: kept
