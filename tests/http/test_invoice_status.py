"""Status changes by hand: the whole flow, refusals (409), back to Draft with its reason."""

import html
import re
from datetime import date

import pytest
import sqlalchemy as sa

from billing.invoices.edit import create_invoice
from models import Invoice, InvoiceEvent, InvoiceStatus, db
from tests.factories import make_customer

HX = {"HX-Request": "true"}
S = InvoiceStatus


@pytest.fixture
def invoice(app) -> Invoice:
    created = create_invoice(make_customer(), None, date(2026, 3, 1), None, None)
    db.session.commit()
    return created


def move(client, invoice, status, reason=None, **kwargs):
    data = {"status": status.value if isinstance(status, S) else status}
    if reason is not None:
        data["reason"] = reason
    return client.post(f"/invoices/{invoice.id}/status", data=data, **kwargs)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def status_events(invoice) -> list[tuple]:
    db.session.expire_all()
    return [
        (e.from_status, e.to_status, e.message, e.user.name if e.user else None)
        for e in db.session.scalars(
            sa.select(InvoiceEvent)
            .where(InvoiceEvent.invoice_id == invoice.id, InvoiceEvent.kind == "status")
            .order_by(InvoiceEvent.id)
        )
    ]


def current(invoice) -> S:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id).status


def buttons(client, invoice) -> set[str]:
    page = text(client.get(f"/invoices/{invoice.id}"))
    return set(re.findall(r'data-target-status="(\w+)"', page))


def test_draft_sent_paid_refunded_with_the_buttons_each_step_allows(admin_client, invoice):
    assert buttons(admin_client, invoice) == {"sent", "exported", "paid"}
    for target, offered in [
        (S.SENT, {"draft", "exported", "paid"}),
        (S.PAID, {"refunded", "sent", "exported"}),
        (S.REFUNDED, set()),
    ]:
        response = move(admin_client, invoice, target)
        assert response.status_code == 302 and response.location == f"/invoices/{invoice.id}"
        assert current(invoice) == target
        page = text(admin_client.get(response.location))
        assert f"is now {target.value.capitalize()}" in page
        assert set(re.findall(r'data-target-status="(\w+)"', page)) == offered
    assert status_events(invoice) == [
        ("draft", "sent", "", "Ada Admin"),
        ("sent", "paid", "", "Ada Admin"),
        ("paid", "refunded", "", "Ada Admin"),
    ]
    page = text(admin_client.get(f"/invoices/{invoice.id}"))
    assert 'data-status="refunded"' in page
    assert "Paid → Refunded" in page


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], S.REFUNDED),
        ([S.SENT, S.PAID, S.REFUNDED], S.DRAFT),
        ([S.SENT, S.PAID, S.REFUNDED], S.PAID),
        ([S.SENT, S.PAID], S.DRAFT),
    ],
)
def test_transitions_outside_the_table_are_409_and_change_nothing(
    admin_client, invoice, path, refused
):
    for step in path:
        move(admin_client, invoice, step)
    before = status_events(invoice)
    response = move(admin_client, invoice, refused, reason="because")
    assert response.status_code == 409
    assert f"cannot become {refused.value.capitalize()}" in text(response)
    assert current(invoice) == (path[-1] if path else S.DRAFT)
    assert status_events(invoice) == before


def test_refusal_with_htmx_goes_to_the_flash_area(admin_client, invoice):
    response = move(admin_client, invoice, S.REFUNDED, headers=HX)
    assert response.status_code == 409 and response.headers["HX-Retarget"] == "#flash"
    assert "<html" not in text(response)


def test_success_with_htmx_reloads_the_page(admin_client, invoice):
    response = move(admin_client, invoice, S.SENT, headers=HX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/invoices/{invoice.id}"


def test_back_to_draft_needs_a_reason_and_records_it(admin_client, invoice):
    move(admin_client, invoice, S.SENT)
    refused = move(admin_client, invoice, S.DRAFT, reason="  ")
    assert refused.status_code == 422
    assert "Say why the invoice goes back to Draft." in text(refused)
    hx = move(admin_client, invoice, S.DRAFT, headers=HX)
    assert hx.status_code == 422 and text(hx).strip().startswith('<div class="status-actions')
    assert 'id="reopen-reason-error"' in text(hx)
    assert current(invoice) == S.SENT

    response = move(admin_client, invoice, S.DRAFT, reason="Customer disputed the hours")
    assert response.status_code == 302 and current(invoice) == S.DRAFT
    assert status_events(invoice)[-1] == (
        "sent",
        "draft",
        "Customer disputed the hours",
        "Ada Admin",
    )
    page = text(admin_client.get(f"/invoices/{invoice.id}"))
    assert "Add line" in page and "Customer disputed the hours" in page


def test_unknown_status_is_422_and_same_status_records_nothing(admin_client, invoice):
    assert move(admin_client, invoice, "void").status_code == 422
    same = move(admin_client, invoice, S.DRAFT)
    assert same.status_code == 302 and current(invoice) == S.DRAFT
    assert "was already Draft" in text(admin_client.get(same.location))
    assert status_events(invoice) == []


def test_technicians_cannot_change_a_status(tech_client, invoice):
    assert move(tech_client, invoice, S.SENT).status_code == 403
    assert current(invoice) == S.DRAFT and status_events(invoice) == []
    assert buttons(tech_client, invoice) == set()
