"""Deleting a batch voids or deletes its ledger copies in the same action, or deletes nothing;
a batch that cannot be deleted says why before the click."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from models import Invoice, InvoiceBatch, InvoiceEvent, InvoiceStatus, Provider, db
from tests.factories import make_payment
from tests.ledgers import connect, fake_settings, ledger_invoices, make_invoices, prepare_fake

pytestmark = pytest.mark.usefixtures("ledgers_agree")


@pytest.fixture
def app_config(ledger):
    return fake_settings(*ledger)


def _batch(invoices) -> InvoiceBatch:
    batch = InvoiceBatch(name="November", period_start=date(2026, 11, 1),
                         period_end=date(2026, 11, 30))  # fmt: skip
    for invoice in invoices:
        invoice.batch = batch
    db.session.commit()
    return batch


def _export(client, invoices, provider: Provider) -> None:
    ids = [str(i.id) for i in invoices]
    client.post("/invoices/bulk/export", data={"to": provider.value, "ids": ids})


def _status(provider: Provider, copy: dict) -> str:
    if provider == Provider.XERO:
        return copy["Status"]
    return "VOIDED" if copy.get("PrivateNote") == "Voided" else "OPEN"


def test_deleting_an_exported_batch_withdraws_its_copies_first(admin_client, ledger):
    provider, fake = ledger
    draft, sent = make_invoices(2, customers=1)
    sent.sent_at = sent.created_at  # the customer has this one
    db.session.commit()
    batch = _batch([draft, sent])
    connect(provider, fake)
    _export(admin_client, [draft, sent], provider)
    page = admin_client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert f"INV-0001, INV-0002 will be voided or deleted in {provider.label}" in page
    response = admin_client.post(f"/batches/{batch.id}/delete")
    assert response.status_code == 302
    listed = admin_client.get(response.location).get_data(as_text=True)
    assert "2 ledger copies voided or deleted" in listed
    assert db.session.scalar(sa.select(sa.func.count(Invoice.id))) == 0
    copies = {c.get("DocNumber") or c["InvoiceNumber"]: c for c in ledger_invoices(provider, fake)}
    assert _status(provider, copies["INV-0002"]) == "VOIDED"  # sent: voided, number kept
    if provider == Provider.XERO:
        assert copies["INV-0001"]["Status"] == "DELETED"  # a Xero draft is deleted
    else:
        assert "INV-0001" not in copies  # never sent: deleted from QuickBooks


def test_a_ledger_refusal_deletes_nothing_here_and_says_why(admin_client, ledger):
    provider, fake = ledger
    (invoice,) = make_invoices(1, customers=1)
    invoice.sent_at = invoice.created_at
    db.session.commit()
    batch = _batch([invoice])
    connect(provider, fake)
    _export(admin_client, [invoice], provider)
    external_id = invoice.exports[0].external_id
    fake.apply_payment(external_id, "100.00")  # the customer paid part of it in the ledger
    response = admin_client.post(f"/batches/{batch.id}/delete")
    page = admin_client.get(response.location).get_data(as_text=True)
    said = re.findall(r'class="flash[^"]*"[^>]*>(.*?)</', page, re.S)
    assert f"{provider.label} would not void or delete INV-0001" in page, said
    assert "nothing was deleted here" in page
    db.session.expire_all()
    assert db.session.get(InvoiceBatch, batch.id) is not None
    assert db.session.get(Invoice, invoice.id).exports[0].ledger_status not in ("VOIDED",)


def test_a_batch_with_a_paid_invoice_shows_why_it_cannot_be_deleted(admin_client, ledger):
    provider, fake = ledger
    first, second = make_invoices(2, customers=1)
    second.status = InvoiceStatus.PAID
    db.session.commit()
    batch = _batch([first, second])
    page = admin_client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert 'disabled aria-describedby="delete-refusal"' in page
    assert "Batch November cannot be deleted: INV-0002 (paid) is paid or refunded." in page
    assert admin_client.post(f"/batches/{batch.id}/delete").status_code == 409
    prepare_fake(provider, fake)


def test_a_batch_with_a_payment_applied_shows_why_it_cannot_be_deleted(admin_client, ledger):
    provider, fake = ledger
    first, second = make_invoices(2, customers=1)
    second.status = InvoiceStatus.SENT
    db.session.commit()
    batch = _batch([first, second])
    make_payment(second.customer, 5000, {second.id: 5000})  # partly paid: still Sent
    page = admin_client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert 'disabled aria-describedby="delete-refusal"' in page
    assert (
        "Batch November cannot be deleted: INV-0002 has payments applied "
        "(delete those payments first)."
    ) in page
    assert admin_client.post(f"/batches/{batch.id}/delete").status_code == 409
    db.session.expire_all()
    assert db.session.get(Invoice, second.id).paid_minor == 5000
    prepare_fake(provider, fake)


def test_deleting_a_draft_made_by_hand_withdraws_its_copy(admin_client, ledger):
    provider, fake = ledger
    (invoice,) = make_invoices(1, customers=1)
    connect(provider, fake)
    _export(admin_client, [invoice], provider)
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    invoice.status = InvoiceStatus.DRAFT  # moved back to Draft by an admin, say
    db.session.commit()
    page = admin_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert f"Its copy in {provider.label} is voided or deleted there." in page
    response = admin_client.post(f"/invoices/{invoice.id}/delete")
    listed = admin_client.get(response.location).get_data(as_text=True)
    assert "Draft INV-0001 deleted; the number is not reused." in listed
    assert db.session.scalar(sa.select(sa.func.count(Invoice.id))) == 0
    copies = ledger_invoices(provider, fake)
    if provider == Provider.XERO:
        assert [c["Status"] for c in copies] == ["DELETED"]
    else:
        assert copies == []
    events = db.session.scalars(sa.select(InvoiceEvent.kind).where(
        InvoiceEvent.invoice_number == "INV-0001")).all()  # fmt: skip
    assert "deleted" in events and "ledger_withdrawn" in events  # the trail outlives it


def test_a_batch_invoice_is_deleted_with_its_batch_not_alone(admin_client, ledger):
    (invoice,) = make_invoices(1, customers=1)
    _batch([invoice])
    response = admin_client.post(f"/invoices/{invoice.id}/delete")
    assert response.status_code == 409
    assert "delete the batch" in response.get_data(as_text=True)
    assert db.session.get(Invoice, invoice.id) is not None
