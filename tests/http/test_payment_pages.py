"""Payments on the invoice page over HTTP: the Payments card, the payment form (a split over
two invoices, 422 beside the field, 409), deleting with a reason, 403 and CSRF."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from models import Invoice, InvoiceStatus, Payment, PaymentApplication, PaymentMethod, db
from tests.factories import make_customer, make_invoice, make_line, make_payment, make_sent_invoice
from tests.pages import count, error_beside, fresh, squeeze, text

SENT = InvoiceStatus.SENT


@pytest.fixture
def two_open(app):
    """A customer with two Sent invoices: INV-0001 $100.00 (older), INV-0002 $250.50."""
    customer = make_customer(name="Acme")
    older = make_sent_invoice(customer, 10000, date(2026, 11, 1), "INV-0001")
    newer = make_sent_invoice(customer, 25050, date(2026, 12, 1), "INV-0002")
    return older, newer


def _form(invoice: Invoice, **values) -> dict:
    data = {"payment_date": "2026-12-02", "amount": "", "method": "bank", "reference": "",
            "note": ""}  # fmt: skip
    data.update(values)
    return data


def test_the_card_shows_a_partly_paid_invoice_and_its_payments(admin_client, admin, two_open):
    older, newer = two_open
    make_payment(older.customer, 16050, user=admin, reference="WIRE-7")  # all of older, 60.50
    page = admin_client.get(f"/invoices/{newer.id}")
    assert page.status_code == 200
    body = text(page)
    assert "data-partly-paid>Partly paid</span>" in body
    assert re.search(r'data-total="total"><strong>\$250\.50<', body)
    assert re.search(r'data-payment="paid">\$60\.50<', body)
    assert re.search(r'data-payment="balance"><strong>\$190\.00<', body)
    words = squeeze(page)
    payment = db.session.scalars(sa.select(Payment)).one()
    assert (
        f"Dec 1, 2026 Bank transfer WIRE-7 Payment #{payment.id} of $160.50 $60.50 Why delete"
        in words
    )
    assert f"/invoices/{newer.id}/payments/new" in body  # a balance is due: Record payment
    older_page = admin_client.get(f"/invoices/{older.id}")
    assert "Partly paid" not in text(older_page)
    assert f"/invoices/{older.id}/payments/new" not in text(older_page)  # Paid: no button
    assert re.search(r'data-payment="balance"><strong>\$0\.00<', text(older_page))


def test_a_draft_has_no_payments_card(admin_client):
    draft = make_invoice(make_customer(), [make_line("Setup", 5000)])
    page = text(admin_client.get(f"/invoices/{draft.id}"))
    assert 'id="invoice-payments"' not in page
    assert admin_client.get(f"/invoices/{draft.id}/payments/new").status_code == 409


@pytest.mark.parametrize("app_config", [{"BILLING_TODAY": "2026-12-03"}])
def test_the_form_is_prefilled_with_the_balance_of_the_invoice_it_comes_from(
    admin_client, two_open, app_config
):
    older, newer = two_open
    page = admin_client.get(f"/invoices/{newer.id}/payments/new")
    assert page.status_code == 200
    body = text(page)
    assert re.search(r'<input[^>]*name="payment_date"[^>]*value="2026-12-03"', body)
    assert re.search(r'name="amount"[^>]*value="250.50"', body)
    # Recorded from INV-0002's page: its $250.50 goes to it; the older INV-0001 stays open.
    assert re.search(rf'name="apply_{newer.id}"[^>]*value="250.50"', body)
    assert not re.search(rf'name="apply_{older.id}"[^>]*value="[^"]', body)  # left empty
    assert body.index(f"apply_{older.id}") < body.index(f"apply_{newer.id}")  # listed oldest first
    assert '<option selected value="bank">Bank transfer</option>' in body


def test_a_payment_split_over_two_invoices_from_the_form(admin_client, admin, two_open):
    older, newer = two_open
    data = _form(newer, amount="300.00", method="card", reference="CARD-9", note="thanks",
                 **{f"apply_{older.id}": "40.00", f"apply_{newer.id}": "250.50"})  # fmt: skip
    response = admin_client.post(f"/invoices/{newer.id}/payments/new", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/invoices/{newer.id}")
    payment = db.session.scalars(sa.select(Payment)).one()
    assert (payment.amount_minor, payment.method, payment.reference, payment.note) == (
        30000, PaymentMethod.CARD, "CARD-9", "thanks",
    )  # fmt: skip
    assert payment.payment_date == date(2026, 12, 2) and payment.created_by_id == admin.id
    applied = {a.invoice_id: a.amount_minor for a in payment.applications}
    assert applied == {older.id: 4000, newer.id: 25050}
    older, newer = fresh(older), fresh(newer)
    assert (older.paid_minor, older.status, older.is_partly_paid) == (4000, SENT, True)
    assert (newer.balance_minor, newer.status) == (0, InvoiceStatus.PAID)
    page = admin_client.get(f"/invoices/{newer.id}")
    assert (
        "Payment of $300.00 recorded: applied to INV-0001 ($40.00) and INV-0002 ($250.50); "
        "balance due $0.00. $9.50 is kept as the customer's credit."
    ) in text(page)


def test_spread_plans_again_for_the_amount_typed(admin_client, two_open):
    older, newer = two_open
    data = _form(newer, amount="120", spread="1",
                 **{f"apply_{older.id}": "", f"apply_{newer.id}": "1.00"})  # fmt: skip
    response = admin_client.post(f"/invoices/{newer.id}/payments/new", data=data)
    assert response.status_code == 200
    body = text(response)
    assert re.search(rf'name="apply_{older.id}"[^>]*value="100.00"', body)
    assert re.search(rf'name="apply_{newer.id}"[^>]*value="20.00"', body)
    assert count(Payment) == 0


@pytest.mark.parametrize(
    ("amount", "applies", "field", "message"),
    [
        ("0", ("", "0.00"), "amount", "Enter an amount above zero."),
        ("abc", ("", ""), "amount", "Enter an amount such as 1,234.50."),
        ("300", ("", "260.00"), "apply_{newer}",
         "$260.00 is more than invoice INV-0002's balance of $250.50."),
        ("50", ("40.00", "20.00"), "amount", "$60.00 applied is more than the payment's $50.00."),
        ("50", ("1,2,3", ""), "apply_{older}", "Enter an amount such as 1,234.50."),
        ("50", ("", ""), "payment_date", ""),
    ],
)  # fmt: skip
def test_refused_input_is_422_beside_its_field_and_nothing_saved(
    admin_client, two_open, amount, applies, field, message
):
    older, newer = two_open
    values = {f"apply_{older.id}": applies[0], f"apply_{newer.id}": applies[1]}
    data = _form(newer, amount=amount, **values)
    if field == "payment_date":
        data["payment_date"] = "someday"
    response = admin_client.post(f"/invoices/{newer.id}/payments/new", data=data)
    assert response.status_code == 422
    field_id = field.format(older=older.id, newer=newer.id)
    assert message in error_beside(response, field_id)
    assert count(Payment) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentApplication)) == 0
    assert (fresh(older).paid_minor, fresh(newer).paid_minor) == (0, 0)
    assert f'value="{applies[0]}"' in text(response)  # what was typed is kept


def test_open_invoices_changed_since_the_form_is_409(admin_client, admin, two_open):
    older, newer = two_open
    make_payment(older.customer, 10000, {older.id: 10000}, user=admin)  # older is Paid now
    data = _form(newer, amount="10", **{f"apply_{older.id}": "10.00", f"apply_{newer.id}": ""})
    response = admin_client.post(f"/invoices/{newer.id}/payments/new", data=data)
    assert response.status_code == 409
    assert "open invoices changed since this form was drawn" in text(response)
    assert count(Payment) == 1


def test_a_paid_invoice_takes_no_payment_form(admin_client, admin, two_open):
    older, _ = two_open
    make_payment(older.customer, 10000, {older.id: 10000}, user=admin)
    response = admin_client.get(f"/invoices/{older.id}/payments/new")
    assert response.status_code == 409
    assert "only a sent or exported invoice with a balance due takes a payment" in text(response)


def test_technicians_are_refused(tech_client, two_open):
    _, newer = two_open
    data = _form(newer, amount="10", **{f"apply_{newer.id}": "10"})
    # Without the billing permission: 403 on every invoice view, the page included.
    for url in (f"/invoices/{newer.id}/payments/new", f"/invoices/{newer.id}"):
        assert tech_client.get(url).status_code == 403
    assert tech_client.post(f"/invoices/{newer.id}/payments/new", data=data).status_code == 403
    assert count(Payment) == 0


def test_a_billing_technician_sees_the_card_but_changes_nothing(
    billing_tech_client, admin, two_open
):
    older, newer = two_open
    payment = make_payment(older.customer, 16050, user=admin)
    page = billing_tech_client.get(f"/invoices/{newer.id}")
    assert page.status_code == 200 and "Payment #" in text(page)
    assert "payments/new" not in text(page) and "/delete" not in text(page)
    assert billing_tech_client.get(f"/invoices/{newer.id}/payments/new").status_code == 403
    url = f"/invoices/{newer.id}/payments/{payment.id}/delete"
    assert billing_tech_client.post(url, data={"reason": "x"}).status_code == 403
    assert db.session.get(Payment, payment.id).deleted_at is None


def test_delete_needs_a_reason_then_reverses_the_payment(admin_client, admin, two_open):
    older, newer = two_open
    payment = make_payment(older.customer, 16050, user=admin)
    url = f"/invoices/{newer.id}/payments/{payment.id}/delete"
    refused = admin_client.post(url, data={"reason": "  "})
    assert refused.status_code == 422
    (application,) = [a for a in payment.applications if a.invoice_id == newer.id]
    assert "Say why the payment is deleted" in error_beside(
        refused, f"delete-reason-{application.id}"
    )
    assert (
        fresh(newer).paid_minor == 6050 and db.session.get(Payment, payment.id).deleted_at is None
    )
    response = admin_client.post(url, data={"reason": "bounced"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).delete_reason == "bounced"
    assert (fresh(older).paid_minor, fresh(older).status) == (0, SENT)
    assert (fresh(newer).paid_minor, fresh(newer).status) == (0, SENT)
    page = text(admin_client.get(f"/invoices/{newer.id}"))
    assert f"Payment #{payment.id} deleted: balance due $250.50." in page
    assert "No payment applied yet." in page
    again = admin_client.post(url, data={"reason": "twice"})
    assert again.status_code == 409
    assert f"Payment #{payment.id} was already deleted." in text(again)


def test_delete_of_another_customers_payment_is_404(admin_client, admin, two_open):
    _, newer = two_open
    other = make_customer()
    make_sent_invoice(other, 5000, date(2026, 11, 1), "INV-0003")
    payment = make_payment(other, 5000, user=admin)
    url = f"/invoices/{newer.id}/payments/{payment.id}/delete"
    assert admin_client.post(url, data={"reason": "x"}).status_code == 404
    assert db.session.get(Payment, payment.id).deleted_at is None


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_the_forms_are_csrf_protected(admin_client, admin, two_open, app_config):
    older, newer = two_open
    data = _form(newer, amount="10", **{f"apply_{older.id}": "10.00", f"apply_{newer.id}": ""})
    url = f"/invoices/{newer.id}/payments/new"
    assert admin_client.post(url, data=data).status_code == 400
    assert count(Payment) == 0
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', text(admin_client.get(url))
    )
    response = admin_client.post(url, data={**data, "csrf_token": token.group(1)})
    assert response.status_code == 302 and count(Payment) == 1
    payment = db.session.scalars(sa.select(Payment)).one()
    delete_url = f"/invoices/{older.id}/payments/{payment.id}/delete"
    assert admin_client.post(delete_url, data={"reason": "typo"}).status_code == 400
    assert db.session.get(Payment, payment.id).deleted_at is None


def test_the_card_costs_the_same_queries_for_one_payment_or_three(
    admin_client, admin, two_open, count_queries
):
    _, newer = two_open
    make_payment(newer.customer, 11000, {newer.id: 1000}, user=admin)
    admin_client.get(f"/invoices/{newer.id}")  # the per-worker caches (user, settings) filled
    with count_queries() as one:
        assert admin_client.get(f"/invoices/{newer.id}").status_code == 200
    for amount in (2000, 3000):
        make_payment(newer.customer, amount, {newer.id: amount}, user=admin)
    with count_queries() as three:
        page = admin_client.get(f"/invoices/{newer.id}")
    assert text(page).count("data-applied>") == 3
    assert len(three) == len(one)
