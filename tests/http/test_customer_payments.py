"""Payments on the customer page over HTTP: the Payments section (applications, credit, deleted
ones), applying credit (422), recording a payment from the customer (split, 422, 409), the
Activity list, who may do what, and statements per page that do not grow with the rows."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from billing.payments.store import delete_payment
from models import Invoice, InvoiceEvent, InvoiceStatus, Payment, PaymentApplication, db
from tests.factories import make_customer, make_invoice, make_line, make_payment, make_sent_invoice
from tests.pages import fresh, squeeze, text


@pytest.fixture
def acme(app):
    """Acme (USD) with two Sent invoices: INV-0001 $100.00 due Nov 1, INV-0002 $250.50 due
    Dec 1, and a Draft INV-0003 $40.00."""
    customer = make_customer(name="Acme")
    older = make_sent_invoice(customer, 10000, date(2026, 11, 1), "INV-0001")
    newer = make_sent_invoice(customer, 25050, date(2026, 12, 1), "INV-0002")
    draft = make_invoice(customer, [make_line("Setup", 4000)], number="INV-0003")
    return customer, older, newer, draft


def _form(**values) -> dict:
    data = {"payment_date": "2026-12-02", "amount": "", "method": "bank", "reference": "",
            "note": ""}  # fmt: skip
    data.update(values)
    return data


def test_the_payments_section_lists_applications_credit_and_deleted_payments(
    admin_client, admin, acme
):
    customer, older, newer, _ = acme
    wire = make_payment(customer, 16050, user=admin, reference="WIRE-7")  # older, 60.50 of newer
    extra = make_payment(customer, 20000, {newer.id: 19000}, user=admin, reference="OVER",
                         payment_date=date(2026, 12, 2))  # fmt: skip
    gone = make_payment(customer, 500, {}, user=admin, payment_date=date(2026, 11, 20))
    delete_payment(gone, "Bounced", admin)
    db.session.commit()
    page = admin_client.get(f"/customers/{customer.id}")
    assert page.status_code == 200
    words = squeeze(page)
    assert f"Dec 2, 2026 #{extra.id} Bank transfer OVER $200.00 INV-0002 $190.00 $10.00" in words
    assert (
        f"Dec 1, 2026 #{wire.id} Bank transfer WIRE-7 $160.50 INV-0001 $100.00, "
        f"INV-0002 $60.50 –" in words
    )
    assert f"Nov 20, 2026 #{gone.id} Deleted Bounced Bank transfer – $5.00 Reversed –" in words
    body = text(page)
    assert words.index(f"#{extra.id}") < words.index(f"#{wire.id}") < words.index(f"#{gone.id}")
    assert f'href="/invoices/{older.id}">INV-0001</a>' in body
    assert re.search(r'data-credit="USD">Unapplied credit: <strong>\$10\.00</strong>', body)
    assert "Apply credit to open invoices" in body
    assert f'href="/customers/{customer.id}/payments/new"' in body
    # The invoice list's balance: a Draft owes nothing yet, a Paid one nothing any more.
    assert re.search(rf'id="invoice-{older.id}">.*?data-balance>\$0\.00<', body, re.S)
    assert re.search(rf'id="invoice-{newer.id}">.*?data-balance>\$0\.00<', body, re.S)
    assert "Partly paid" not in body


def test_a_customer_without_payments(admin_client, acme):
    customer, *_ = acme
    page = text(admin_client.get(f"/customers/{customer.id}"))
    assert 'id="no-customer-payments">No payments recorded yet.' in page
    assert 'id="no-credit">No unapplied credit.' in page
    assert "Apply credit to open invoices" not in page
    assert 'id="no-activity">Nothing recorded yet.' in page


def test_the_activity_is_the_money_side_of_the_customers_invoices_newest_first(
    admin_client, admin, acme
):
    customer, older, newer, draft = acme
    payment = make_payment(customer, 16050, user=admin)
    delete_payment(payment, "Wrong customer", admin)
    db.session.commit()
    other = make_sent_invoice(make_customer(name="Other"), 500, date(2026, 11, 1), "INV-0009")
    make_payment(other.customer, 500, user=admin)
    page = admin_client.get(f"/customers/{customer.id}")
    body = text(page)
    events = db.session.scalars(
        sa.select(InvoiceEvent).join(Invoice, InvoiceEvent.invoice_id == Invoice.id)
        .where(Invoice.customer_id == customer.id)
        .order_by(InvoiceEvent.created_at.desc(), InvoiceEvent.id.desc())
    ).all()  # fmt: skip
    shown = re.findall(r'id="activity-(\d+)" data-event="([a-z_]+)"', body)
    kinds = {"payment", "payment_deleted", "credit_note", "refund", "reminder", "status"}
    assert shown == [(str(e.id), e.kind) for e in events if e.kind in kinds]
    assert {kind for _, kind in shown} == {"payment", "payment_deleted", "status"}
    assert shown[0][1] == "payment_deleted" and shown[-1][1] == "payment"
    assert "INV-0009" not in squeeze(page)  # another customer's
    assert f'<a href="/invoices/{older.id}">INV-0001</a>' in body
    assert f"Payment #{payment.id} deleted (Wrong customer)" in body
    assert "Ada Admin" in body


def test_apply_credit_pays_the_open_invoices_oldest_first(admin_client, admin, acme):
    customer, older, newer, _ = acme
    make_payment(customer, 12000, {}, user=admin)  # all of it is credit
    response = admin_client.post(f"/customers/{customer.id}/credit/apply", data={"currency": "USD"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{customer.id}#customer-payments")
    assert (fresh(older).status, fresh(older).balance_minor) == (InvoiceStatus.PAID, 0)
    assert fresh(newer).balance_minor == 25050 - 2000
    page = admin_client.get(f"/customers/{customer.id}")
    assert "Credit of $120.00 applied to INV-0001, INV-0002." in text(page)
    assert 'id="no-credit"' in text(page)
    assert "Partly paid" in text(page)  # INV-0002, in the invoice list


@pytest.mark.parametrize("currency", ["USD", "EUR", "", "X" * 500])
def test_apply_credit_with_nothing_to_apply_is_422_beside_the_button(
    admin_client, admin, acme, currency
):
    customer, older, newer, _ = acme
    make_payment(customer, 35050, user=admin)  # both paid in full
    make_payment(customer, 700, {}, user=admin)  # credit, and nothing open to apply it to
    response = admin_client.post(f"/customers/{customer.id}/credit/apply",
                                 data={"currency": currency})  # fmt: skip
    assert response.status_code == 422
    body = text(response)
    if currency == "USD":
        found = re.search(r'id="credit-error-USD">([^<]*)<', body)
        assert found and found.group(1) == "There is no credit, or no open invoice, to apply."
    else:
        assert re.search(r'id="credit-error">The customer has no credit in that currency\.<', body)
    assert re.search(r'data-credit="USD">Unapplied credit: <strong>\$7\.00<', body)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentApplication)) == 2


def test_record_payment_from_the_customer_is_drawn_to_pay_every_open_invoice(admin_client, acme):
    customer, older, newer, draft = acme
    page = admin_client.get(f"/customers/{customer.id}/payments/new")
    assert page.status_code == 200
    body = text(page)
    assert "From <strong>Acme</strong>, in USD." in body
    assert re.search(r'name="amount"[^>]*value="350.50"', body)
    assert re.search(rf'name="apply_{older.id}"[^>]*value="100.00"', body)
    assert re.search(rf'name="apply_{newer.id}"[^>]*value="250.50"', body)
    assert f"apply_{draft.id}" not in body
    assert f'href="/customers/{customer.id}">Back to Acme</a>' in body


def test_a_payment_from_the_customer_split_and_the_rest_kept_as_credit(admin_client, admin, acme):
    customer, older, newer, _ = acme
    data = _form(amount="150", reference="BANK-1",
                 **{f"apply_{older.id}": "100", f"apply_{newer.id}": "20"})  # fmt: skip
    response = admin_client.post(f"/customers/{customer.id}/payments/new", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{customer.id}#customer-payments")
    payment = db.session.scalars(sa.select(Payment)).one()
    assert {a.invoice_id: a.amount_minor for a in payment.applications} == {
        older.id: 10000, newer.id: 2000,
    }  # fmt: skip
    assert payment.created_by_id == admin.id and payment.reference == "BANK-1"
    page = admin_client.get(f"/customers/{customer.id}")
    assert (
        "Payment of $150.00 recorded: applied to INV-0001 ($100.00) and INV-0002 ($20.00). "
        "$30.00 is kept as the customer's credit."
    ) in text(page)
    assert re.search(r'data-credit="USD">Unapplied credit: <strong>\$30\.00<', text(page))


def test_spread_on_the_customer_form(admin_client, acme):
    customer, older, newer, _ = acme
    data = _form(amount="120", spread="1", **{f"apply_{older.id}": "", f"apply_{newer.id}": ""})
    response = admin_client.post(f"/customers/{customer.id}/payments/new", data=data)
    assert response.status_code == 200
    assert re.search(rf'name="apply_{older.id}"[^>]*value="100.00"', text(response))
    assert re.search(rf'name="apply_{newer.id}"[^>]*value="20.00"', text(response))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0


@pytest.mark.parametrize(
    ("amount", "older_share", "field", "message"),
    [
        ("0", "", "amount", "Enter an amount above zero."),
        ("9" * 40, "", "amount", ""),
        ("50", "60", "amount", "$60.00 applied is more than the payment's $50.00."),
        ("500", "101", "apply_{older}", "$101.00 is more than invoice INV-0001's balance"),
    ],
)
def test_refused_input_on_the_customer_form_is_422(
    admin_client, acme, amount, older_share, field, message
):
    customer, older, newer, _ = acme
    data = _form(amount=amount, **{f"apply_{older.id}": older_share, f"apply_{newer.id}": ""})
    response = admin_client.post(f"/customers/{customer.id}/payments/new", data=data)
    assert response.status_code == 422
    field_id = field.format(older=older.id)
    found = re.search(
        rf'<small class="error" id="{field_id}-error">([^<]*)</small>', text(response)
    )
    assert found and message in found.group(1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0


def test_open_invoices_changed_since_the_customer_form_is_409(admin_client, admin, acme):
    customer, older, newer, _ = acme
    make_payment(customer, 10000, {older.id: 10000}, user=admin)  # older is Paid meanwhile
    data = _form(amount="10", **{f"apply_{older.id}": "10", f"apply_{newer.id}": ""})
    response = admin_client.post(f"/customers/{customer.id}/payments/new", data=data)
    assert response.status_code == 409
    assert "open invoices changed since this form was drawn" in text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1


def test_a_payment_in_another_currency_of_the_customer(admin_client, acme):
    customer, older, *_ = acme
    euro = make_sent_invoice(customer, 9900, date(2026, 11, 15), "INV-0004", currency="EUR")
    page = admin_client.get(f"/customers/{customer.id}/payments/new")
    assert f'href="/customers/{customer.id}/payments/new?currency=EUR">EUR</a>' in text(page)
    page = admin_client.get(f"/customers/{customer.id}/payments/new?currency=EUR")
    assert "</strong>, in EUR." in text(page)
    assert f"apply_{euro.id}" in text(page) and f"apply_{older.id}" not in text(page)
    data = _form(amount="99", **{f"apply_{euro.id}": "99"})
    response = admin_client.post(f"/customers/{customer.id}/payments/new?currency=EUR", data=data)
    assert response.status_code == 302
    assert fresh(euro).status == InvoiceStatus.PAID
    # A currency the customer has nothing in is its own currency.
    page = admin_client.get(f"/customers/{customer.id}/payments/new?currency=GBP")
    assert "</strong>, in USD." in text(page)


def test_technicians_neither_see_nor_change_the_customers_payments(
    tech_client, technician, acme, admin
):
    customer, older, *_ = acme
    make_payment(customer, 20000, user=admin)
    page = tech_client.get(f"/customers/{customer.id}")
    assert page.status_code == 200
    assert 'id="customer-payments"' not in text(page) and "Unapplied credit" not in text(page)
    for url, method in (
        (f"/customers/{customer.id}/payments/new", "get"),
        (f"/customers/{customer.id}/payments/new", "post"),
        (f"/customers/{customer.id}/credit/apply", "post"),
    ):
        response = getattr(tech_client, method)(url, data=_form(amount="1", currency="USD"))
        assert response.status_code == 403, url
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1


def test_a_technician_who_sees_billing_reads_the_payments_but_records_none(
    billing_tech_client, acme, admin
):
    customer, *_ = acme
    make_payment(customer, 40000, user=admin)
    page = text(billing_tech_client.get(f"/customers/{customer.id}"))
    assert 'id="customer-payments"' in page and "$49.50" in page
    assert "Apply credit to open invoices" not in page and "Record payment" not in page
    response = billing_tech_client.post(
        f"/customers/{customer.id}/credit/apply", data={"currency": "USD"}
    )
    assert response.status_code == 403


def test_unknown_customers_are_404(admin_client):
    assert admin_client.get("/customers/999999/payments/new").status_code == 404
    assert admin_client.post("/customers/999999/credit/apply", data={}).status_code == 404
    assert admin_client.get("/customers/99999999999999999999/payments/new").status_code == 404


def test_statements_per_customer_page_do_not_grow_with_its_payments(
    admin_client, admin, acme, count_queries
):
    customer, *_ = acme

    def statements() -> int:
        with count_queries() as log:
            assert admin_client.get(f"/customers/{customer.id}").status_code == 200
        return len(log)

    make_payment(customer, 1000, user=admin)
    statements()  # the first request of a process fills its caches (settings, user)
    few = statements()
    for day in range(1, 13):
        make_payment(customer, 500 + day, user=admin, payment_date=date(2026, 11, day))
    make_payment(customer, 100, {}, user=admin)
    assert statements() == few
