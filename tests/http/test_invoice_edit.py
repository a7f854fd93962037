"""Flexible invoices and editing any Draft over HTTP: creation, lines, header, 422, 409, 403."""

import html
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from billing.invoices.edit import create_invoice
from billing.settings import get_settings
from clock import today
from models import (
    ContractType,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    TicketStatus,
    db,
)
from tests.factories import (
    make_contract,
    make_customer,
    make_product,
    make_tax_rate,
    make_ticket,
    make_time_entry,
)

HX = {"HX-Request": "true"}


def draft(customer=None, **fields) -> Invoice:
    invoice = create_invoice(customer or make_customer(), None, date(2026, 3, 1), None, None)
    for name, value in fields.items():
        setattr(invoice, name, value)
    db.session.commit()
    return invoice


def line_form(**values) -> dict:
    """An add-line post (the add form's fields are prefixed ``line-new-``)."""
    data = {"description": "Consulting", "quantity": "1", "unit_price": "100.00"}
    data.update(values)
    return {f"line-new-{name}": value for name, value in data.items()}


def edit_form(line_id: int, **values) -> dict:
    return {f"line-{line_id}-{name}": value for name, value in values.items()}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).strip()


def stored(invoice_id: int) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, invoice_id)


def counts() -> tuple[int, int, int]:
    """Invoices, lines and events in the database."""
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Invoice, InvoiceLine, InvoiceEvent)
    )


# --- creating a flexible invoice ------------------------------------------------------------


def test_new_invoice_takes_the_next_number_snapshot_and_records_it(admin_client, admin):
    settings = get_settings()
    settings.invoice_prefix, settings.next_invoice_number = "ACME-", 42
    settings.company_name, settings.payment_terms_days = "Acme IT", 14
    db.session.commit()
    customer = make_customer(name="Bistro", currency="EUR", address="2 Rue\nParis")
    contract = make_contract(customer, name="Support")
    page = admin_client.get("/invoices/new")
    assert page.status_code == 200 and "Bistro" in text(page) and "Support" in text(page)
    assert f'value="{today().isoformat()}"' in text(page)  # issue date defaults to today

    response = admin_client.post(
        "/invoices/new",
        data={
            "customer_id": customer.id,
            "contract_id": contract.id,
            "issue_date": "2026-04-01",
            "due_date": "",
        },
    )
    invoice = db.session.scalar(sa.select(Invoice))
    assert response.status_code == 302 and response.location == f"/invoices/{invoice.id}"
    assert invoice.number == "ACME-0042" and get_settings().next_invoice_number == 43
    assert invoice.status == InvoiceStatus.DRAFT and invoice.currency == "EUR"
    assert invoice.contract_id == contract.id and invoice.batch_id is None
    assert invoice.due_date == date(2026, 4, 15)  # issue date + 14 days of terms
    assert (
        invoice.issuer["company_name"] == "Acme IT" and invoice.issuer["payment_terms_days"] == 14
    )
    assert invoice.bill_to_name == "Bistro" and invoice.bill_to_address == "2 Rue\nParis"
    assert invoice.created_by_id == admin.id
    (event,) = invoice.events
    assert (event.kind, event.to_status, event.user_id) == ("created", "draft", admin.id)
    assert "ACME-0042" in text(admin_client.get(response.location))


def test_new_form_offers_only_the_chosen_customers_active_contracts(admin_client):
    mine, other = make_customer(name="Mine"), make_customer(name="Other")
    make_contract(mine, name="Kept")
    make_contract(mine, name="Ended", active=False)
    make_contract(other, name="Theirs")
    body = text(admin_client.get("/invoices/new", query_string={"customer_id": mine.id}))
    contract_field = re.search(r'id="field-contract_id".*?</select>', body, re.S).group(0)
    assert "Kept" in contract_field and "Ended" not in contract_field
    assert "Theirs" not in contract_field


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no customer", "Choose an active customer."),
        ("inactive customer", "Choose an active customer."),
        ("foreign contract", "Choose one of the active contracts of Mine, or none."),
        ("no issue date", "Enter the issue date."),
        ("bad date", "Enter a date such as 2026-01-31."),
        ("due before issue", "The due date cannot be before the issue date."),
    ],
)
def test_new_invoice_refuses_bad_input_with_422_and_takes_no_number(admin_client, case, message):
    mine = make_customer(name="Mine")
    asleep = make_customer(name="Asleep", active=False)
    foreign = make_contract(make_customer(name="Other"))
    form = {"customer_id": mine.id, "issue_date": "2026-04-01", "due_date": "2026-04-30"}
    form |= {
        "no customer": {"customer_id": ""},
        "inactive customer": {"customer_id": asleep.id},
        "foreign contract": {"contract_id": foreign.id},
        "no issue date": {"issue_date": ""},
        "bad date": {"due_date": "30/04/2026"},
        "due before issue": {"due_date": "2026-03-31"},
    }[case]
    response = admin_client.post("/invoices/new", data=form)
    assert response.status_code == 422
    assert message in text(response)
    assert counts() == (0, 0, 0) and get_settings().next_invoice_number == 1


# --- lines ----------------------------------------------------------------------------------


def test_lines_with_several_tax_rates_are_taxed_once_per_rate(admin_client):
    reduced = make_tax_rate(name="Reduced", percent=Decimal(5))
    standard = make_tax_rate(name="Standard", percent=Decimal(20))
    invoice = draft()
    url = f"/invoices/{invoice.id}/lines"
    for _ in range(3):  # 0.005 of tax each, 0.015 -> 0.02 on their sum (not 3 x 0.01)
        admin_client.post(
            url, data=line_form(description="Sticker", unit_price="0.10", tax_rate_id=reduced.id)
        )
    # 1.5 x 33.33 = 49.995 -> 50.00 (half-up), less 5.00 of discount
    admin_client.post(
        url,
        data=line_form(quantity="1.5", unit_price="33.33", discount="5", tax_rate_id=standard.id),
    )
    admin_client.post(url, data=line_form(description="No tax", quantity="0.333", unit_price="10"))
    invoice = stored(invoice.id)
    assert [li.amount_minor for li in invoice.lines] == [10, 10, 10, 4500, 333]
    assert (invoice.subtotal_minor, invoice.tax_minor, invoice.total_minor) == (4863, 902, 5765)
    consulting = invoice.lines[3]
    assert (consulting.tax_rate_id, consulting.tax_name) == (standard.id, "Standard")
    assert consulting.tax_percent == Decimal(20) and consulting.discount_minor == 500
    assert consulting.kind == LineKind.CUSTOM and consulting.quantity == Decimal("1.5")
    body = text(admin_client.get(f"/invoices/{invoice.id}"))
    assert 'data-total="tax-Reduced">$0.02<' in body and 'data-total="tax-Standard">$9.00<' in body
    assert 'data-total="total"><strong>$57.65<' in body


def test_zero_decimal_currency(admin_client):
    tax = make_tax_rate(name="JCT", percent=Decimal(10))
    invoice = draft(make_customer(currency="JPY"))
    url = f"/invoices/{invoice.id}/lines"
    response = admin_client.post(
        url, data=line_form(quantity="3", unit_price="1,234", discount="100", tax_rate_id=tax.id)
    )
    assert response.status_code == 302
    invoice = stored(invoice.id)
    assert invoice.lines[0].amount_minor == 3602 and invoice.lines[0].unit_price_minor == 1234
    assert (invoice.subtotal_minor, invoice.tax_minor, invoice.total_minor) == (3602, 360, 3962)
    assert 'data-total="total"><strong>¥3,962<' in text(admin_client.get(f"/invoices/{invoice.id}"))
    refused = admin_client.post(url, data=line_form(unit_price="12.5"))
    assert refused.status_code == 422 and "JPY amounts have at most 0 decimals." in text(refused)


def test_adding_with_htmx_returns_the_lines_and_swaps_totals_out_of_band(admin_client):
    invoice = draft()
    response = admin_client.post(
        f"/invoices/{invoice.id}/lines", data=line_form(unit_price="80"), headers=HX
    )
    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    assert response.headers["HX-Retarget"] == "#invoice-lines"
    assert response.headers["HX-Trigger"] == "invoice-totals-changed"
    assert body.startswith('<section class="invoice-lines" id="invoice-lines"')
    assert 'id="invoice-totals" aria-label="Totals" hx-swap-oob="true"' in body
    assert 'data-total="total"><strong>$80.00<' in body
    assert 'id="invoice-events"' in body and 'Added line "Consulting".' in body
    blank = re.search(r'<form[^>]*id="line-new".*?</form>', body, re.S).group(0)
    assert 'name="line-new-description" type="text" value=""' in blank


def test_a_product_fills_in_name_price_and_its_tax_rate(admin_client):
    vat = make_tax_rate(name="VAT", percent=Decimal("8.25"))
    product = make_product(name="Firewall", unit_price_minor=45000, tax_rate_id=vat.id)
    invoice = draft()
    prefill = admin_client.post(
        f"/invoices/{invoice.id}/lines/prefill",
        data=line_form(product_id=product.id, description="", quantity="2", unit_price=""),
        headers=HX,
    )
    form = text(prefill)
    assert prefill.status_code == 200 and form.startswith("<form")
    assert 'value="Firewall"' in form and 'value="450.00"' in form and 'value="2"' in form
    assert f'<option selected value="{vat.id}">VAT (8.25 %)</option>' in form
    assert counts()[1] == 0  # filling in saves nothing

    # Without JavaScript, empty fields come from the product too.
    admin_client.post(
        f"/invoices/{invoice.id}/lines",
        data=line_form(
            product_id=product.id, description="", quantity="2", unit_price="", tax_rate_id=vat.id
        ),
    )
    (line,) = stored(invoice.id).lines
    assert (line.kind, line.product_id, line.description) == (
        LineKind.PRODUCT,
        product.id,
        "Firewall",
    )
    assert line.amount_minor == 90000 and line.tax_name == "VAT"


def test_tax_exempt_customer_gets_no_tax_and_is_told(admin_client):
    vat = make_tax_rate(name="VAT", percent=Decimal(20), is_default=True)
    invoice = draft(make_customer(tax_exempt=True))
    page = text(admin_client.get(f"/invoices/{invoice.id}"))
    assert '<option selected value="">No tax</option>' in page  # no default rate offered
    response = admin_client.post(
        f"/invoices/{invoice.id}/lines", data=line_form(tax_rate_id=vat.id), headers=HX
    )
    assert "is tax exempt: the line was saved without tax." in text(response)
    assert 'id="flash" hx-swap-oob="innerHTML"' in text(response)
    (line,) = stored(invoice.id).lines
    assert line.tax_rate_id is None and line.tax_name == "" and stored(invoice.id).tax_minor == 0


def test_editing_a_line_in_place(admin_client):
    invoice = draft()
    admin_client.post(f"/invoices/{invoice.id}/lines", data=line_form(unit_price="100"))
    (line,) = stored(invoice.id).lines
    url = f"/invoices/{invoice.id}/lines/{line.id}/edit"
    form = admin_client.get(url, headers=HX)
    assert form.status_code == 200 and text(form).startswith(f'<tr id="line-{line.id}"')
    assert 'value="Consulting"' in text(form) and 'value="100.00"' in text(form)
    saved = admin_client.post(
        url,
        data=edit_form(
            line.id,
            description="Consulting, March",
            quantity="2.5",
            unit_price="100",
            discount="10.00",
            tax_rate_id="",
        ),
        headers=HX,
    )
    body = text(saved)
    assert saved.status_code == 200 and body.startswith(f'<tr id="line-{line.id}"')
    # after a table row, out-of-band parts only parse whole inside a <template>
    assert "</tr><template>" in body and body.endswith("</template>")
    assert "Consulting, March" in body and 'data-total="total"><strong>$240.00<' in body
    assert 'Changed line "Consulting, March": description, quantity, discount.' in body
    invoice = stored(invoice.id)
    assert invoice.lines[0].amount_minor == 24000 and invoice.total_minor == 24000
    cancel = admin_client.get(f"/invoices/{invoice.id}/lines/{line.id}", headers=HX)
    assert text(cancel).startswith(f'<tr id="line-{line.id}"') and "Edit</a>" in text(cancel)


def test_editing_only_the_text_of_a_batch_line_keeps_what_it_bills(admin_client):
    invoice = draft()
    # 20 minutes at 125.00/h: billed by the minute as 41.67, although 0.333 h x 125 is 41.63
    invoice.lines.append(
        InvoiceLine(
            kind=LineKind.TIME,
            description="Remote fix",
            quantity=Decimal("0.333"),
            unit_price_minor=12500,
            amount_minor=4167,
        )
    )
    db.session.commit()
    line = invoice.lines[0]
    admin_client.post(
        f"/invoices/{invoice.id}/lines/{line.id}/edit",
        data=edit_form(
            line.id,
            description="Remote fix (VPN)",
            quantity="0.333",
            unit_price="125.00",
            discount="",
            tax_rate_id="",
        ),
    )
    line = stored(invoice.id).lines[0]
    assert line.description == "Remote fix (VPN)" and line.amount_minor == 4167


def test_deleting_a_line_recomputes_the_totals(admin_client):
    invoice = draft()
    for price in ("10", "20"):
        admin_client.post(f"/invoices/{invoice.id}/lines", data=line_form(unit_price=price))
    first = stored(invoice.id).lines[0]
    response = admin_client.post(f"/invoices/{invoice.id}/lines/{first.id}/delete", headers=HX)
    body = text(response)
    assert response.status_code == 200 and body.startswith("<template>")  # the row: nothing
    assert 'data-total="total"><strong>$20.00<' in body
    invoice = stored(invoice.id)
    assert [li.amount_minor for li in invoice.lines] == [2000] and invoice.total_minor == 2000
    assert invoice.events[-1].message == 'Removed line "Consulting".'
    plain = admin_client.post(f"/invoices/{invoice.id}/lines/{invoice.lines[0].id}/delete")
    assert plain.status_code == 302 and plain.location == f"/invoices/{invoice.id}#invoice-lines"
    assert stored(invoice.id).total_minor == 0


def test_a_batch_draft_can_be_edited_like_any_other(admin_client):
    contract = make_contract(type=ContractType.HOURLY)
    ticket = make_ticket(contract, status=TicketStatus.CLOSED, title="Printer")
    ticket.closed_at = datetime(2026, 10, 20, tzinfo=UTC)
    make_time_entry(ticket, minutes=90, work_date=date(2026, 10, 15))
    admin_client.post("/batches", data={"start": "2026-10-01", "end": "2026-10-31"})
    invoice = db.session.scalar(sa.select(Invoice))
    assert invoice.batch_id is not None and invoice.total_minor == 18750
    response = admin_client.post(f"/invoices/{invoice.id}/lines", data=line_form(unit_price="50"))
    assert response.status_code == 302
    assert stored(invoice.id).total_minor == 23750


def test_without_javascript_an_add_redirects_to_the_line(admin_client):
    invoice = draft()
    response = admin_client.post(f"/invoices/{invoice.id}/lines", data=line_form())
    line = stored(invoice.id).lines[0]
    assert response.location == f"/invoices/{invoice.id}#line-{line.id}"
    assert "Line added." in text(admin_client.get(response.location))


BAD_LINES = [
    ({"description": ""}, "description", "Enter a description."),
    ({"description": "x" * 501}, "description", "Use at most 500 characters."),
    ({"quantity": "0"}, "quantity", "Enter a quantity above zero."),
    ({"quantity": "-2"}, "quantity", "Enter a quantity above zero."),
    ({"quantity": "two"}, "quantity", "Enter a quantity such as 1 or 2.5."),
    ({"quantity": "1.2345"}, "quantity", "Use at most 3 decimals."),
    ({"quantity": "1000000"}, "quantity", "Enter a quantity below 1,000,000."),
    ({"unit_price": ""}, "unit_price", "Enter the unit price."),
    ({"unit_price": "ten"}, "unit_price", "Enter an amount such as 1,234.50."),
    ({"unit_price": "-5"}, "unit_price", "Enter an amount of zero or more."),
    ({"unit_price": "1.005"}, "unit_price", "USD amounts have at most 2 decimals."),
    ({"unit_price": "1000000000000"}, "unit_price", "Enter an amount below 1,000,000,000,000."),
    (
        {"quantity": "999999", "unit_price": "99999999"},
        "quantity",
        "Quantity x unit price comes to too much for one line: lower one of them.",
    ),
    ({"discount": "100.01"}, "discount", "The discount cannot exceed quantity x unit price."),
    ({"discount": "-1"}, "discount", "Enter an amount of zero or more."),
    ({"tax_rate_id": "inactive"}, "tax_rate_id", "Choose an active tax rate, or no tax."),
    ({"tax_rate_id": "999999"}, "tax_rate_id", "Choose an active tax rate, or no tax."),
    ({"product_id": "999999"}, "product_id", "Choose an active product from the list."),
]


@pytest.fixture
def inactive_tax(app):
    return make_tax_rate(name="Old tax", active=False)


def _resolve(values: dict, inactive_tax) -> dict:
    return {k: (inactive_tax.id if v == "inactive" else v) for k, v in values.items()}


@pytest.mark.parametrize(("values", "field", "message"), BAD_LINES)
def test_bad_line_is_422_beside_its_field_and_saves_nothing(
    admin_client, inactive_tax, values, field, message
):
    invoice = draft()
    before = counts()
    response = admin_client.post(
        f"/invoices/{invoice.id}/lines", data=line_form(**_resolve(values, inactive_tax))
    )
    assert response.status_code == 422
    body = text(response)
    assert f'<small class="error" id="line-new-{field}-error">{message}</small>' in body
    assert "<html" in body  # the whole page again, without JavaScript
    hx = admin_client.post(
        f"/invoices/{invoice.id}/lines",
        data=line_form(**_resolve(values, inactive_tax)),
        headers=HX,
    )
    assert hx.status_code == 422 and text(hx).startswith("<form") and message in text(hx)
    assert counts() == before and stored(invoice.id).total_minor == 0


@pytest.mark.parametrize(("values", "field", "message"), BAD_LINES[:15])
def test_bad_edit_is_422_and_leaves_the_line_as_it_was(admin_client, values, field, message):
    invoice = draft()
    admin_client.post(f"/invoices/{invoice.id}/lines", data=line_form())
    line = stored(invoice.id).lines[0]
    before = counts()
    data = {"description": "Consulting", "quantity": "1", "unit_price": "100.00"} | values
    response = admin_client.post(
        f"/invoices/{invoice.id}/lines/{line.id}/edit", data=edit_form(line.id, **data), headers=HX
    )
    assert response.status_code == 422 and message in text(response)
    assert f'id="line-{line.id}-{field}-error"' in text(response)
    line = stored(invoice.id).lines[0]
    assert (line.description, line.amount_minor) == ("Consulting", 10000) and counts() == before


# --- header -------------------------------------------------------------------------------


def test_header_fields_are_saved_and_recorded(admin_client):
    invoice = draft()
    response = admin_client.post(
        f"/invoices/{invoice.id}/header",
        data={"due_date": "2026-05-01", "reference": "PO-77", "notes": "Thank you."},
        headers=HX,
    )
    body = text(response)
    assert response.status_code == 200 and body.startswith('<section class="invoice-header"')
    assert 'data-fact="reference">PO-77<' in body and 'data-fact="due-date">May 1, 2026<' in body
    assert "Changed due date 2026-03-31 -> 2026-05-01, reference, notes." in body
    invoice = stored(invoice.id)
    assert (invoice.due_date, invoice.reference, invoice.notes) == (
        date(2026, 5, 1),
        "PO-77",
        "Thank you.",
    )


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"due_date": "2026-02-01"}, "due_date", "The due date cannot be before the issue date."),
        ({"due_date": ""}, "due_date", "Enter the due date."),
        ({"reference": "R" * 101}, "reference", "Use at most 100 characters."),
        ({"notes": "n" * 5001}, "notes", "Use at most 5000 characters."),
    ],
)
def test_bad_header_is_422_and_saves_nothing(admin_client, form, field, message):
    invoice = draft()
    before = counts()
    data = {"due_date": "2026-04-30", "reference": "", "notes": ""} | form
    response = admin_client.post(f"/invoices/{invoice.id}/header", data=data)
    assert response.status_code == 422
    assert f'<small class="error" id="{field}-error">{message}</small>' in text(response)
    assert stored(invoice.id).due_date == date(2026, 3, 31) and counts() == before


# --- past Draft: 409 ------------------------------------------------------------------------


def _edit_requests(invoice_id: int, line_id: int):
    base = f"/invoices/{invoice_id}"
    return [
        ("POST", f"{base}/lines", line_form()),
        ("POST", f"{base}/lines/prefill", line_form()),
        ("GET", f"{base}/lines/{line_id}/edit", None),
        (
            "POST",
            f"{base}/lines/{line_id}/edit",
            edit_form(line_id, description="X", quantity="1", unit_price="1"),
        ),
        ("POST", f"{base}/lines/{line_id}/delete", None),
        ("POST", f"{base}/header", {"due_date": "2026-06-01", "reference": "", "notes": ""}),
    ]


@pytest.mark.parametrize("status", [s for s in InvoiceStatus if s != InvoiceStatus.DRAFT])
def test_every_edit_of_an_invoice_past_draft_is_409_and_changes_nothing(admin_client, status):
    invoice = draft()
    admin_client.post(f"/invoices/{invoice.id}/lines", data=line_form())
    invoice = stored(invoice.id)
    invoice.status = status
    db.session.commit()
    line_id, before = invoice.lines[0].id, counts()
    for method, url, data in _edit_requests(invoice.id, line_id):
        response = admin_client.open(url, method=method, data=data)
        assert response.status_code == 409, (method, url)
        assert "only a Draft can be edited" in text(response), url
        hx = admin_client.open(url, method=method, data=data, headers=HX)
        assert hx.status_code == 409 and hx.headers["HX-Retarget"] == "#flash"
    invoice = stored(invoice.id)
    assert counts() == before and invoice.total_minor == 10000
    assert invoice.due_date == date(2026, 3, 31) and invoice.lines[0].description == "Consulting"
    page = text(admin_client.get(f"/invoices/{invoice.id}"))
    assert "Add line" not in page and "/edit" not in page and "Edit due date" not in page
    assert "only a Draft can be edited" in page


# --- who may edit ---------------------------------------------------------------------------


def test_technicians_may_not_create_or_edit(billing_tech_client):
    tech_client = billing_tech_client  # may see invoices, never change them
    invoice = draft()
    invoice.lines.append(
        InvoiceLine(
            kind=LineKind.CUSTOM,
            description="X",
            quantity=Decimal(1),
            unit_price_minor=100,
            amount_minor=100,
        )
    )
    db.session.commit()
    line_id, before = invoice.lines[0].id, counts()
    requests = [
        ("GET", "/invoices/new", None),
        ("POST", "/invoices/new", {"customer_id": invoice.customer_id, "issue_date": "2026-04-01"}),
        ("GET", f"/invoices/{invoice.id}/lines/{line_id}", None),
        ("POST", f"/invoices/{invoice.id}/status", {"status": "sent"}),
        *_edit_requests(invoice.id, line_id),
    ]
    for method, url, data in requests:
        assert tech_client.open(url, method=method, data=data).status_code == 403, (method, url)
    assert counts() == before and stored(invoice.id).status == InvoiceStatus.DRAFT
    assert tech_client.get(f"/invoices/{invoice.id}").status_code == 200


def test_new_invoice_due_date_default_follows_the_terms(admin_client):
    settings = get_settings()
    settings.payment_terms_days = 10
    db.session.commit()
    body = text(admin_client.get("/invoices/new"))
    assert f'value="{(today() + timedelta(days=10)).isoformat()}"' in body
