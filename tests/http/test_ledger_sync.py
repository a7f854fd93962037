"""Syncing with the ledger fakes, through "Sync now" (issue #16): money recorded in the ledger
comes in, money recorded here goes out, each once; an invoice voided there is flagged here."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from billing.credit_notes.refunds import record_refund
from billing.ledgers.choices import ledger_choices
from billing.ledgers.mapping import BANK_ACCOUNT
from billing.payments.store import apply_credit
from models import (
    AccountingConnection,
    CreditNote,
    Invoice,
    InvoiceEvent,
    InvoiceExport,
    InvoiceStatus,
    LedgerMapping,
    LedgerRecord,
    LedgerRef,
    Payment,
    PaymentMethod,
    Provider,
    db,
)
from tests.factories import make_credit_note, make_payment
from tests.ledgers import api_requests, connect, fake_settings, ledger_invoices, make_invoices
from tests.pages import squeeze


@pytest.fixture
def app_config(ledger):
    provider, fake = ledger
    return fake_settings(provider, fake)


def _exported(admin_client, provider: Provider, fake, count: int = 1) -> list[Invoice]:
    """``count`` invoices, sent here (Xero's copies are approved) and exported."""
    invoices = make_invoices(count, customers=1)
    for invoice in invoices:
        invoice.status, invoice.sent_at = InvoiceStatus.SENT, invoice.created_at
    db.session.commit()
    connect(provider, fake)
    response = admin_client.post(
        "/invoices/bulk/export",
        data={"to": provider.value, "ids": [str(i.id) for i in invoices]},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert {i.status for i in invoices} == {InvoiceStatus.EXPORTED}
    return invoices


def _map_bank(provider: Provider, fake) -> str:
    connection = db.session.scalar(sa.select(AccountingConnection))
    if provider == Provider.QUICKBOOKS:
        fake.add_account("Business Checking")
    bank_id, name = ledger_choices(connection).bank[0]
    mapping = LedgerMapping(connection_id=connection.id, kind="account", local_key="bank",
                            external_id=bank_id, external_name=name)  # fmt: skip
    db.session.add(mapping)
    db.session.commit()
    assert BANK_ACCOUNT == "account:bank"
    return bank_id


def _ledger_id(invoice: Invoice) -> str:
    return db.session.scalar(
        sa.select(InvoiceExport.external_id).where(InvoiceExport.invoice_id == invoice.id)
    )


def _copy(provider: Provider, fake, invoice: Invoice) -> dict:
    ledger_id = _ledger_id(invoice)
    key = "Id" if provider == Provider.QUICKBOOKS else "InvoiceID"
    return next(i for i in ledger_invoices(provider, fake) if str(i[key]) == ledger_id)


def _due_there(provider: Provider, fake, invoice: Invoice) -> Decimal:
    copy = _copy(provider, fake, invoice)
    field = "Balance" if provider == Provider.QUICKBOOKS else "AmountDue"
    return Decimal(str(copy[field]))


def _pay_there(provider: Provider, fake, invoice: Invoice, amount: str) -> date:
    """A payment there as its user records it; the date it has there."""
    if provider == Provider.XERO:
        fake.apply_payment(_ledger_id(invoice), amount, date="2026-12-01")
        return date(2026, 12, 1)
    fake.apply_payment(_ledger_id(invoice), amount)
    return date.fromisoformat(fake.entities("Payment")[-1]["TxnDate"])


def _void_there(provider: Provider, fake, invoice: Invoice) -> None:
    if provider == Provider.QUICKBOOKS:
        fake.void_in_ledger("Invoice", _ledger_id(invoice))
    else:
        fake.void_invoice(_ledger_id(invoice))


def _sync(admin_client, **data) -> str:
    response = admin_client.post(
        "/invoices/ledgers/sync", data={"next": "/billing", **data}, follow_redirects=True
    )
    assert response.status_code == 200
    return squeeze(response)


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Payment, InvoiceEvent, LedgerRecord, LedgerRef, CreditNote)
    )


def test_a_payment_in_the_ledger_makes_the_invoice_paid_here(admin_client, ledger):
    provider, fake = ledger
    (invoice,) = _exported(admin_client, provider, fake)
    _pay_there(provider, fake, invoice, "288.24")
    page = _sync(admin_client)
    assert f"Synced with {provider.label}: 1 change." in page
    db.session.expire_all()
    assert invoice.status == InvoiceStatus.PAID and invoice.balance_minor == 0
    (payment,) = db.session.scalars(sa.select(Payment)).all()
    assert (payment.recorded_in, payment.amount_minor) == (provider.value, 28824)
    events = [e for e in invoice.events if e.kind == "ledger_payment"]
    assert len(events) == 1 and events[0].data["source"] == provider.value
    assert events[0].message.startswith(f"{provider.label}: payment of ")
    assert f"recorded here as payment #{payment.id}" in events[0].message
    detail = squeeze(admin_client.get(f"/invoices/{invoice.id}"))
    assert f"From {provider.label}" in detail


def test_a_partial_payment_there_shows_as_partly_paid_and_a_second_sync_changes_nothing(
    admin_client, ledger
):
    provider, fake = ledger
    (invoice,) = _exported(admin_client, provider, fake)
    _pay_there(provider, fake, invoice, "100.00")
    _sync(admin_client)
    db.session.expire_all()
    assert invoice.is_partly_paid and invoice.balance_minor == 18824
    assert "Partly paid" in squeeze(admin_client.get(f"/invoices/{invoice.id}"))
    before = _counts()
    page = _sync(admin_client)
    assert f"Synced with {provider.label}: nothing changed." in page
    db.session.expire_all()
    assert _counts() == before
    assert invoice.balance_minor == 18824


def test_an_invoice_voided_there_is_flagged_here_and_nothing_else_changes(admin_client, ledger):
    provider, fake = ledger
    (invoice,) = _exported(admin_client, provider, fake)
    _void_there(provider, fake, invoice)
    page = _sync(admin_client)
    assert f"{invoice.number}: voided in {provider.label} (flagged)." in page
    db.session.expire_all()
    assert invoice.status == InvoiceStatus.EXPORTED and invoice.total_minor == 28824
    detail = squeeze(admin_client.get(f"/invoices/{invoice.id}"))
    assert f"Voided in {provider.label} (read by the last sync). Nothing was changed here" in detail
    flagged = squeeze(admin_client.get("/billing?export=flagged"))
    assert invoice.number in flagged and "1 invoice" in flagged
    before = _counts()
    _sync(admin_client)
    assert _counts() == before


def test_a_credit_note_and_a_payment_made_here_reach_the_ledger_linked_and_once(
    admin_client, ledger
):
    provider, fake = ledger
    first, second = _exported(admin_client, provider, fake, 2)
    _map_bank(provider, fake)
    make_credit_note(first, "amount", amount_minor=5000, tax_rate_id=first.lines[1].tax_rate_id)
    paid = make_payment(first.customer, 20000, {second.id: 20000}, reference="BANK-77")
    page = _sync(admin_client)
    assert f"Credit note CN-0001 sent to {provider.label}" in page
    assert f"Payment #{paid.id} of $200.00 sent to {provider.label}" in page
    db.session.expire_all()
    # The ledger's own balances: 288.24 - (50.00 + 8.25 % tax on it) and 288.24 - 200.00.
    assert _due_there(provider, fake, first) == Decimal("288.24") - Decimal("54.13")
    assert _due_there(provider, fake, second) == Decimal("88.24")
    assert first.balance_minor == 28824 - 5413 and second.balance_minor == 8824
    before = _counts()
    assert "nothing changed" in _sync(admin_client)
    db.session.expire_all()
    assert _counts() == before
    detail = squeeze(admin_client.get(f"/invoices/{second.id}"))
    assert f"In {provider.label}" in detail


def test_a_payment_recorded_on_both_sides_is_kept_once(admin_client, ledger):
    provider, fake = ledger
    (invoice,) = _exported(admin_client, provider, fake)
    _map_bank(provider, fake)
    day = _pay_there(provider, fake, invoice, "288.24")
    here = make_payment(invoice.customer, 28824, {invoice.id: 28824}, payment_date=day)
    page = _sync(admin_client)
    assert f"matched payment #{here.id} recorded here" in page
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1
    (record,) = db.session.scalars(sa.select(LedgerRecord)).all()
    assert (record.payment_id, record.origin) == (here.id, "matched")
    requests_before = len(api_requests(provider, fake))
    assert "nothing changed" in _sync(admin_client)
    sent = api_requests(provider, fake)[requests_before:]
    assert not [r for r in sent if not r.startswith("GET") and "query" not in r], sent


def test_sync_now_is_for_admins(tech_client, ledger):
    provider, fake = ledger
    connect(provider, fake)
    response = tech_client.post("/invoices/ledgers/sync", data={"next": "/billing"})
    assert response.status_code == 403
    connection = db.session.scalar(sa.select(AccountingConnection))
    assert connection.synced_at is None


def test_sync_now_without_a_connection_says_what_to_do(admin_client, ledger):
    page = _sync(admin_client)
    assert "Connect QuickBooks Online or Xero in Admin > Accounting first." in page
    assert "Sync now" not in squeeze(admin_client.get("/billing"))


def test_a_refund_without_a_bank_account_waits_visibly_then_goes(admin_client, ledger):
    provider, fake = ledger
    (invoice,) = _exported(admin_client, provider, fake)
    make_payment(invoice.customer, 28824, {invoice.id: 28824})
    note = make_credit_note(invoice)  # whole: all that was paid becomes the customer's credit
    refund = record_refund(note, date(2026, 12, 2), 28824, PaymentMethod.BANK, "R-1", "", None)
    db.session.commit()
    _sync(admin_client)
    page = squeeze(admin_client.get(f"/credit-notes/{note.id}"))
    assert f"In {provider.label} as {note.number}" in page
    assert (
        f"Not in {provider.label}: Choose the bank account for payments in Admin > Accounting > "
        "Map items and taxes. Nothing was sent. (Sync now tries again.)"
    ) in page
    before = _counts()
    _sync(admin_client)  # the same refusal again: nothing more on the trail
    db.session.expire_all()
    assert _counts() == before
    _map_bank(provider, fake)
    assert f"Refund #{refund.id} of $288.24 sent to {provider.label}" in _sync(admin_client)
    page = squeeze(admin_client.get(f"/credit-notes/{note.id}"))
    assert "Not in" not in page and page.count(f"In {provider.label}") == 2


def _payments_there(provider: Provider, fake) -> list[dict]:
    """The ledger's live customer payments (deleted and voided ones left out)."""
    if provider == Provider.QUICKBOOKS:
        return [p for p in fake.entities("Payment") if p.get("TotalAmt")]
    return [p for p in fake.payments() if p["Status"] != "DELETED"]


def test_a_payment_deleted_here_after_it_was_sent_is_deleted_there_too(admin_client, ledger):
    provider, fake = ledger
    first, second = _exported(admin_client, provider, fake, 2)
    _map_bank(provider, fake)
    gone = make_payment(first.customer, 10000, {first.id: 10000}, reference="OOPS")
    kept = make_payment(first.customer, 5000, {second.id: 5000}, reference="KEEP")
    _sync(admin_client)
    assert len(_payments_there(provider, fake)) == 2
    response = admin_client.post(
        f"/invoices/{first.id}/payments/{gone.id}/delete", data={"reason": "Recorded twice"}
    )
    assert response.status_code == 302
    page = _sync(admin_client)
    assert f"Payment #{gone.id} of $100.00 was deleted here, so it was deleted in" in page
    assert _due_there(provider, fake, first) == Decimal("288.24")
    assert _due_there(provider, fake, second) == Decimal("238.24")
    (left,) = _payments_there(provider, fake)
    assert Decimal(str(left["TotalAmt" if provider == Provider.QUICKBOOKS else "Amount"])) == 50
    db.session.expire_all()
    events = [e for e in first.events if e.kind == "ledger_withdrawn"]
    assert len(events) == 1 and events[0].data["source"] == provider.value
    before = _counts()
    assert "nothing changed" in _sync(admin_client)  # the ledger's report of it changes nothing
    db.session.expire_all()
    assert _counts() == before and not db.session.get(Payment, kept.id).is_deleted


def test_a_payment_deleted_on_both_sides_is_done_without_an_error(admin_client, ledger):
    provider, fake = ledger
    (invoice,) = _exported(admin_client, provider, fake)
    _map_bank(provider, fake)
    paid = make_payment(invoice.customer, 10000, {invoice.id: 10000})
    _sync(admin_client)
    (there,) = _payments_there(provider, fake)
    if provider == Provider.QUICKBOOKS:
        fake.delete_in_ledger("Payment", there["Id"])
    else:
        fake.delete_payment(there["PaymentID"])
    admin_client.post(
        f"/invoices/{invoice.id}/payments/{paid.id}/delete", data={"reason": "Bounced"}
    )
    page = _sync(admin_client)
    assert f"so it was deleted in {provider.label} too" in page and "could not" not in page
    assert _payments_there(provider, fake) == []
    assert _due_there(provider, fake, invoice) == Decimal("288.24")


def test_credit_applied_here_after_the_payment_was_sent_follows_it(admin_client, ledger):
    provider, fake = ledger
    first, second = _exported(admin_client, provider, fake, 2)
    _map_bank(provider, fake)
    paid = make_payment(first.customer, 40000, {first.id: 28824})  # 111.76 left as credit
    _sync(admin_client)
    assert _due_there(provider, fake, first) == 0
    assert _due_there(provider, fake, second) == Decimal("288.24")
    apply_credit(first.customer, "USD", None, None)  # the 111.76 goes to the second invoice
    db.session.commit()
    page = _sync(admin_client)
    assert f"Payment #{paid.id} of $400.00: $111.76 more applied here, sent to" in page
    assert _due_there(provider, fake, second) == Decimal("176.48")
    assert _due_there(provider, fake, first) == 0
    money_there = sum(
        Decimal(str(p["TotalAmt" if provider == Provider.QUICKBOOKS else "Amount"]))
        for p in _payments_there(provider, fake)
    )
    # QuickBooks had the whole $400 (with $111.76 unapplied); Xero only what was applied.
    assert money_there == Decimal("400.00")
    before = _counts()
    assert "nothing changed" in _sync(admin_client)
    db.session.expire_all()
    assert _counts() == before
