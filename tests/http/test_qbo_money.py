"""Credit notes, payments and refunds sent to the QuickBooks fake, and what changed there read
back (issue #16). The fake works out its own totals and balances: the tests check its numbers.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from billing.credit_notes.refunds import record_refund
from billing.ledgers import quickbooks_changes
from billing.ledgers.export import export_invoices, open_ledger
from billing.ledgers.mapping import LineMapper, mappings_of
from billing.ledgers.sync_types import LedgerChanges, MoneyRefs, Sent
from integrations.ledger_errors import NotSent
from models import (
    AccountingConnection,
    CreditNote,
    Invoice,
    InvoiceExport,
    InvoiceStatus,
    PaymentMethod,
    Provider,
    db,
)
from tests.factories import make_credit_note, make_payment
from tests.fakes.qbo_state import PACIFIC
from tests.ledgers import api_requests, connect, make_invoices, prepare_fake

QBO = Provider.QUICKBOOKS
pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def app_config(qbo):
    prepare_fake(QBO, qbo)
    return qbo.settings()


def _exported(qbo, count: int) -> list[Invoice]:
    """``count`` Sent invoices of one customer (USD 288.24 each), exported to the fake."""
    invoices = make_invoices(count, customers=1)
    for invoice in invoices:
        invoice.status, invoice.sent_at = InvoiceStatus.SENT, invoice.created_at
    db.session.commit()
    connect(QBO, qbo)
    outcomes = export_invoices(invoices, QBO, None)
    db.session.commit()
    assert all(o.ok for o in outcomes), [o.message for o in outcomes]
    return invoices


def _connection() -> AccountingConnection:
    db.session.expire_all()
    return db.session.scalars(sa.select(AccountingConnection)).one()


def _refs(bank: str = "") -> MoneyRefs:
    mapping = mappings_of(_connection())
    customers = {int(k.split(":")[1]): v for k, v in mapping.items() if k.startswith("customer:")}
    exports = db.session.scalars(sa.select(InvoiceExport).where(InvoiceExport.provider == QBO))
    return MoneyRefs(customers, {e.invoice_id: e.external_id for e in exports}, {}, bank)


def _in_fake(qbo, entity: str, entity_id: str) -> dict:
    return next(e for e in qbo.entities(entity) if e["Id"] == entity_id)


def _id(sent, kind: str) -> str:
    assert isinstance(sent, Sent), sent
    return next(r.split("/")[1] for r in sent.refs if r.startswith(f"{kind}/"))


def _push_notes(notes: list[CreditNote]):
    ledger = open_ledger(QBO)
    mapper = LineMapper(mappings_of(_connection()), [n.invoice for n in notes])
    return ledger, ledger.push_credit_notes(notes, _refs(), mapper)


def test_a_credit_note_becomes_a_memo_applied_to_its_invoice(qbo):
    first, second = _exported(qbo, 2)
    router = next(line for line in first.lines if line.tax_name)
    by_line = make_credit_note(first, kind="lines", lines={router.id: Decimal(1)})
    by_amount = make_credit_note(second, kind="amount", amount_minor=5000)
    too_long = make_credit_note(second, kind="amount", amount_minor=1000)
    too_long.number = "CN-" + "9" * 20
    db.session.commit()
    ledger, sent = _push_notes([by_line, by_amount, too_long])

    assert isinstance(sent[too_long.id], NotSent)  # it fails alone
    assert sent[by_line.id].number == by_line.number
    memo = _in_fake(qbo, "CreditMemo", _id(sent[by_line.id], "CreditMemo"))
    assert memo["TotalAmt"] == Decimal("108.24")  # 99.99 + the fake's own 8.25 % tax
    refs = _refs()
    assert _in_fake(qbo, "Invoice", refs.invoices[first.id])["Balance"] == Decimal("180.00")
    assert _in_fake(qbo, "Invoice", refs.invoices[second.id])["Balance"] == Decimal("238.24")
    applied = _in_fake(qbo, "Payment", _id(sent[by_amount.id], "Payment"))
    assert applied["TotalAmt"] == 0 and len(applied["Line"]) == 2
    assert set(ledger.money_keys) == {f"credit_note:{by_line.id}", f"credit_note:{by_amount.id}"}

    counts = (len(qbo.entities("CreditMemo")), len(qbo.entities("Payment")))
    _, again = _push_notes([by_line, by_amount])  # a retry after a lost answer
    assert again[by_line.id].refs == sent[by_line.id].refs
    assert (len(qbo.entities("CreditMemo")), len(qbo.entities("Payment"))) == counts


def test_a_payment_over_two_invoices_and_an_overpayment(qbo):
    first, second, third = _exported(qbo, 3)
    customer = first.customer
    split = make_payment(
        customer, 38824, {first.id: 28824, second.id: 10000}, reference="SEPA-4711"
    )
    over = make_payment(customer, 20000, {third.id: 15000}, reference="X" * 30)
    refs = _refs()
    ledger = open_ledger(QBO)
    sent = ledger.push_payments([split, over], refs)

    booked = _in_fake(qbo, "Payment", _id(sent[split.id], "Payment"))
    assert booked["TotalAmt"] == Decimal("388.24") and booked["UnappliedAmt"] == 0
    assert sorted((ln["LinkedTxn"][0]["TxnId"], ln["Amount"]) for ln in booked["Line"]) == sorted(
        [(refs.invoices[first.id], Decimal("288.24")), (refs.invoices[second.id], Decimal(100))]
    )
    assert booked["PaymentRefNum"] == "SEPA-4711"
    assert _in_fake(qbo, "Invoice", refs.invoices[first.id])["Balance"] == 0
    assert _in_fake(qbo, "Invoice", refs.invoices[second.id])["Balance"] == Decimal("188.24")
    extra = _in_fake(qbo, "Payment", _id(sent[over.id], "Payment"))
    assert extra["UnappliedAmt"] == Decimal("50.00")
    assert extra["PaymentRefNum"] == "X" * 21  # shortened; the whole of it in the memo
    assert "X" * 30 in extra["PrivateNote"]
    assert set(ledger.money_keys) == {f"payment:{split.id}", f"payment:{over.id}"}

    before = len(qbo.entities("Payment"))
    again = open_ledger(QBO).push_payments([split, over], refs)  # the same keys: replayed
    assert again[split.id].refs == sent[split.id].refs
    assert len(qbo.entities("Payment")) == before


def test_a_refund_needs_the_bank_account(qbo):
    (invoice,) = _exported(qbo, 1)
    make_payment(invoice.customer, 28824, {invoice.id: 28824})
    note = make_credit_note(invoice)  # paid in full: all of it becomes the customer's credit
    _, memo = _push_notes([note])
    assert len(memo[note.id].refs) == 1  # nothing to apply to the invoice
    refund = record_refund(note, date(2026, 12, 2), 10000, PaymentMethod.BANK, "", "", None)
    db.session.commit()

    (refused,) = open_ledger(QBO).push_payments([refund], _refs()).values()
    assert isinstance(refused, NotSent)
    assert refused.message.startswith("Choose the bank account for payments")
    assert qbo.entities("RefundReceipt") == []

    bank = qbo.add_account("Checking")["Id"]
    (sent,) = open_ledger(QBO).push_payments([refund], _refs(bank)).values()
    receipt = _in_fake(qbo, "RefundReceipt", _id(sent, "RefundReceipt"))
    assert receipt["TotalAmt"] == Decimal("100.00")
    assert receipt["DepositToAccountRef"]["value"] == bank


def _fake_now(qbo) -> datetime:
    return datetime.fromisoformat(qbo.store.clock.stamp())


def _changes(qbo, cursor: str) -> tuple[LedgerChanges, list[str]]:
    ledger = open_ledger(QBO)
    before = len(api_requests(QBO, qbo))
    changes = ledger.changes_since(cursor)
    return changes, api_requests(QBO, qbo)[before:]


def _paid_there(qbo, external_id: str, amount: str) -> str:
    invoice = qbo.apply_payment(external_id, amount)
    return invoice["LinkedTxn"][-1]["TxnId"]


def test_changes_since_reads_what_happened_there_in_one_request(qbo):
    invoices = _exported(qbo, 5)
    ext = [_refs().invoices[i.id] for i in invoices]
    qbo.advance(60)
    cursor = _fake_now(qbo).isoformat(timespec="seconds")
    full = _paid_there(qbo, ext[0], "288.24")
    part = _paid_there(qbo, ext[1], "100.00")
    voided = _paid_there(qbo, ext[2], "50.00")
    qbo.void_in_ledger("Payment", voided)
    deleted = _paid_there(qbo, ext[2], "20.00")
    qbo.delete_in_ledger("Payment", deleted)
    qbo.delete_in_ledger("Invoice", ext[3])
    qbo.void_in_ledger("Invoice", ext[4])

    changes, requests = _changes(qbo, cursor)
    assert len(requests) == 1 and "/cdc" in requests[0]
    status = {i.external_id: (i.status, i.balance) for i in changes.invoices}
    assert status[ext[0]] == ("paid", 0)
    assert status[ext[1]] == ("open", Decimal("188.24"))
    assert status[ext[2]] == ("open", Decimal("288.24"))
    assert status[ext[3]][0] == "deleted"
    assert status[ext[4]] == ("voided", 0)
    payments = {p.ref: p for p in changes.payments}
    assert [
        (a.invoice_external_id, a.amount) for a in payments[f"Payment/{full}"].applications
    ] == [(ext[0], Decimal("288.24"))]
    assert payments[f"Payment/{part}"].kind == "payment"
    assert not payments[f"Payment/{part}"].deleted
    assert payments[f"Payment/{voided}"].deleted and payments[f"Payment/{deleted}"].deleted
    moment = datetime.fromisoformat(changes.cursor)
    assert moment.utcoffset() == PACIFIC.utcoffset(None)  # the ledger's clock, its offset
    assert timedelta(seconds=110) < _fake_now(qbo) - moment < timedelta(seconds=130)


def test_a_credit_applied_there_is_a_credit_not_money(qbo):
    (invoice,) = _exported(qbo, 1)
    note = make_credit_note(invoice, kind="amount", amount_minor=3000)
    _, sent = _push_notes([note])
    cursor = (_fake_now(qbo) - timedelta(minutes=5)).isoformat(timespec="seconds")
    changes, _ = _changes(qbo, cursor)
    (credit,) = [p for p in changes.payments if p.ref in sent[note.id].refs]
    assert credit.kind == "credit" and credit.credit_ref == sent[note.id].refs[0]
    assert credit.applications[0].amount == Decimal("30.00") and not credit.deleted


def test_an_old_cursor_or_a_full_answer_takes_the_query_path(qbo, monkeypatch):
    (invoice,) = _exported(qbo, 1)
    external_id = _refs().invoices[invoice.id]
    paid = _paid_there(qbo, external_id, "10.00")
    old = (_fake_now(qbo) - timedelta(days=40)).isoformat(timespec="seconds")
    changes, requests = _changes(qbo, old)
    assert not any("/cdc" in r for r in requests) and len(requests) == 2
    assert f"Payment/{paid}" in {p.ref for p in changes.payments}
    assert {i.external_id for i in changes.invoices} == {external_id}
    # The same instant written in UTC (a first sync's cursor is ours): found alike.
    utc = (_fake_now(qbo) - timedelta(days=40)).astimezone(UTC).isoformat(timespec="seconds")
    assert f"Payment/{paid}" in {p.ref for p in _changes(qbo, utc)[0].payments}

    qbo.configure(cdc_max_objects=1)  # CDC may have left some out: queried again
    monkeypatch.setattr(quickbooks_changes, "CDC_CAP", 1)
    recent = (_fake_now(qbo) - timedelta(minutes=5)).isoformat(timespec="seconds")
    changes, requests = _changes(qbo, recent)
    assert "/cdc" in requests[0] and len(requests) == 3
    assert f"Payment/{paid}" in {p.ref for p in changes.payments}


def test_a_refused_window_is_queried_instead(qbo):
    (invoice,) = _exported(qbo, 1)
    paid = _paid_there(qbo, _refs().invoices[invoice.id], "10.00")
    qbo.configure(cdc_max_days=1)  # QuickBooks' window narrower than we reckon: a 400
    cursor = (_fake_now(qbo) - timedelta(days=2)).isoformat(timespec="seconds")
    changes, requests = _changes(qbo, cursor)
    assert "/cdc" in requests[0] and len(requests) == 3
    assert f"Payment/{paid}" in {p.ref for p in changes.payments}


def test_a_global_company_gets_tax_codes_on_its_memo_and_refund(qbo):
    prepare_fake(QBO, qbo, "global")
    (invoice,) = _exported(qbo, 1)
    router = next(line for line in invoice.lines if line.tax_name)
    paid = make_payment(invoice.customer, 28824, {invoice.id: 28824})
    note = make_credit_note(invoice, kind="lines", lines={router.id: Decimal(1)})
    assert note.released_minor == 10824
    _, sent = _push_notes([note])
    assert len(sent[note.id].refs) == 1  # all of it released: nothing applied to the invoice
    memo = _in_fake(qbo, "CreditMemo", _id(sent[note.id], "CreditMemo"))
    assert memo["TotalAmt"] == Decimal("119.99")  # the fake's own 20 % at the mapped code
    codes = [ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in memo["Line"]
             if ln.get("DetailType") == "SalesItemLineDetail"]  # fmt: skip
    assert codes == ["3"]
    (payment,) = open_ledger(QBO).push_payments([paid], _refs()).values()
    booked = _in_fake(qbo, "Payment", _id(payment, "Payment"))
    # As applied here: the credit note released 108.24 of it, and is applied there for nothing.
    assert [ln["Amount"] for ln in booked["Line"]] == [Decimal("288.24")]
    assert booked["UnappliedAmt"] == 0
    refund = record_refund(note, date(2026, 12, 2), 10824, PaymentMethod.BANK, "", "", None)
    db.session.commit()
    bank = qbo.add_account("Checking")["Id"]
    (done,) = open_ledger(QBO).push_payments([refund], _refs(bank)).values()
    receipt = _in_fake(qbo, "RefundReceipt", _id(done, "RefundReceipt"))
    assert receipt["TotalAmt"] == Decimal("108.24")  # untaxed: the mapped "Exempt" code
    assert receipt["PaymentRefNum"] == note.number
