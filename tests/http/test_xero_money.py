"""Credit notes, payments and refunds sent to the Xero fake, and what changed there read back
(issue #16, Xero): the fake's own numbers (totals, AmountDue, remaining credit) are checked."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from billing.credit_notes.refunds import record_refund
from billing.ledgers.export import export_invoices, open_ledger
from billing.ledgers.mapping import LineMapper, mappings_of
from billing.ledgers.sync_types import MoneyRefs, Sent
from integrations.ledger_errors import NotSent
from models import InvoiceExport, InvoiceStatus, PaymentMethod, Provider, db
from tests.factories import make_credit_note, make_payment
from tests.fakes.xero_seed import DEFAULT_TENANT_ID
from tests.ledgers import api_requests, connect, make_invoices

XERO = Provider.XERO


@pytest.fixture
def app_config(xero):
    xero.reset()
    return xero.env()


def _exported(xero, count: int, customers: int = 1):
    """``count`` Sent invoices exported to the fake (AUTHORISED there, payable)."""
    invoices = make_invoices(count, customers=customers)
    for invoice in invoices:
        invoice.status = InvoiceStatus.SENT
        invoice.sent_at = invoice.created_at
    db.session.commit()
    connection = connect(XERO, xero)
    export_invoices(invoices, XERO, None)
    db.session.commit()
    return connection, invoices


def _refs(xero, connection, bank: bool = True, credit_notes=None) -> MoneyRefs:
    db.session.refresh(connection)
    mapping = mappings_of(connection)
    customers = {
        int(key.split(":", 1)[1]): value
        for key, value in mapping.items()
        if key.startswith("customer:")
    }
    exports = db.session.scalars(sa.select(InvoiceExport).where(InvoiceExport.provider == XERO))
    account = ""
    if bank:
        with xero.state.lock:
            accounts = xero.state.tenants[DEFAULT_TENANT_ID].accounts
            account = next(a["AccountID"] for a in accounts if a["Type"] == "BANK")
    return MoneyRefs(
        customers=customers,
        invoices={e.invoice_id: e.external_id for e in exports if e.external_id},
        credit_notes=credit_notes or {},
        bank_account=account,
    )


def _xero_invoice(xero, number: str) -> dict:
    return next(i for i in xero.invoices() if i["InvoiceNumber"] == number)


def _calls(xero, start: int) -> list[str]:
    return api_requests(XERO, xero)[start:]


def test_a_credit_note_for_part_of_an_invoice_is_created_and_allocated(app, xero):
    connection, (invoice,) = _exported(xero, 1)
    router = invoice.lines[1]  # 99.99 with 8.25 % tax: 108.24 credited
    note = make_credit_note(invoice, kind="lines", lines={router.id: Decimal(1)})
    refs = _refs(xero, connection)
    ledger = open_ledger(XERO)
    mapper = LineMapper(mappings_of(connection), [note.invoice])
    results = ledger.push_credit_notes([note], refs, mapper)
    sent = results[note.id]
    assert isinstance(sent, Sent), sent
    assert sent.number == note.number and sent.refs[0].startswith("CreditNote/")
    assert ledger.money_keys[f"credit_note:{note.id}"]
    (copy,) = xero.credit_notes()
    assert copy["CreditNoteID"] == sent.refs[0].split("/", 1)[1]
    assert (copy["Type"], copy["Status"], copy["Reference"]) == (
        "ACCRECCREDIT", "PAID", invoice.number,
    )  # fmt: skip
    assert copy["Total"] == Decimal("108.24") == Decimal(note.total_minor) / 100
    assert copy["RemainingCredit"] == 0
    assert [a["Amount"] for a in copy["Allocations"]] == [Decimal("108.24")]
    assert _xero_invoice(xero, invoice.number)["AmountDue"] == Decimal("180.00")

    # The same push again (a lost answer, a retry): adopted by number, nothing new.
    start = len(api_requests(XERO, xero))
    again = open_ledger(XERO).push_credit_notes([note], refs, mapper)
    assert again[note.id] == sent
    assert len(xero.credit_notes()) == 1
    assert _xero_invoice(xero, invoice.number)["AmountDue"] == Decimal("180.00")
    assert _calls(xero, start) == ["GET /api.xro/2.0/CreditNotes"]


def test_a_payment_over_two_invoices_is_two_xero_payments(app, xero):
    connection, invoices = _exported(xero, 2)
    customer = invoices[0].customer
    payment = make_payment(
        customer, 15000, {invoices[0].id: 10000, invoices[1].id: 5000}, reference="Wire 77"
    )
    refs = _refs(xero, connection)
    start = len(api_requests(XERO, xero))
    results = open_ledger(XERO).push_payments([payment], refs)
    sent = results[payment.id]
    assert isinstance(sent, Sent) and len(sent.refs) == 2, sent
    assert _calls(xero, start) == ["PUT /api.xro/2.0/Payments"]
    stored = {p["PaymentID"]: p for p in xero.payments()}
    assert sorted(stored) == sorted(r.split("/", 1)[1] for r in sent.refs)
    assert {p["Reference"] for p in stored.values()} == {"Wire 77"}
    assert {p["Account"]["Code"] for p in stored.values()} == {"090"}
    assert _xero_invoice(xero, invoices[0].number)["AmountDue"] == Decimal("188.24")
    assert _xero_invoice(xero, invoices[1].number)["AmountDue"] == Decimal("238.24")

    # A retry of the same push replays Xero's answer: the same payments, nothing new.
    again = open_ledger(XERO).push_payments([payment], refs)
    assert again[payment.id] == sent
    assert len(xero.payments()) == 2
    assert _xero_invoice(xero, invoices[0].number)["AmountDue"] == Decimal("188.24")


def test_a_refund_of_released_credit_is_a_payment_on_the_credit_note(app, xero):
    connection, (invoice,) = _exported(xero, 1)
    payment = make_payment(invoice.customer, 28824, {invoice.id: 28824})
    refs = _refs(xero, connection)
    assert isinstance(open_ledger(XERO).push_payments([payment], refs)[payment.id], Sent)
    assert _xero_invoice(xero, invoice.number)["Status"] == "PAID"
    note = make_credit_note(invoice)  # the whole invoice: all it was paid is released
    assert note.released_minor == note.total_minor == 28824
    mapper = LineMapper(mappings_of(connection), [note.invoice])
    sent_note = open_ledger(XERO).push_credit_notes([note], refs, mapper)[note.id]
    assert isinstance(sent_note, Sent), sent_note
    (copy,) = xero.credit_notes()
    assert copy["Allocations"] == [] and copy["RemainingCredit"] == Decimal("288.24")

    refund = record_refund(note, date(2026, 12, 2), 28824, PaymentMethod.BANK, "Back", "", None)
    db.session.commit()
    refs.credit_notes = {note.id: sent_note.refs}
    sent = open_ledger(XERO).push_payments([refund], refs)[refund.id]
    assert isinstance(sent, Sent) and len(sent.refs) == 1, sent
    paid_back = next(p for p in xero.payments() if f"Payment/{p['PaymentID']}" == sent.refs[0])
    assert paid_back["PaymentType"] == "ARCREDITPAYMENT"
    assert paid_back["CreditNote"]["CreditNoteID"] == copy["CreditNoteID"]
    assert paid_back["Amount"] == Decimal("288.24")
    (copy,) = xero.credit_notes()
    assert (copy["RemainingCredit"], copy["Status"]) == (0, "PAID")


def test_without_a_bank_account_no_payment_is_sent(app, xero):
    connection, (invoice,) = _exported(xero, 1)
    payment = make_payment(invoice.customer, 1000, {invoice.id: 1000})
    start = len(api_requests(XERO, xero))
    results = open_ledger(XERO).push_payments([payment], _refs(xero, connection, bank=False))
    error = results[payment.id]
    assert isinstance(error, NotSent)
    assert error.message == (
        "Choose the bank account for payments in Admin > Accounting > Map items and taxes. "
        "Nothing was sent."
    )
    assert _calls(xero, start) == [] and xero.payments() == []


def stored_day(payment: dict) -> date:
    """The day of a payment as the fake renders it (``/Date(ms+0000)/``)."""
    ms = int(payment["Date"].split("(")[1].split("+")[0])
    return datetime.fromtimestamp(ms / 1000, UTC).date()


def _fake_now(xero) -> str:
    return xero.state.clock.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


def test_changes_since_reports_payments_voids_and_deletions_in_three_requests(app, xero):
    _, invoices = _exported(xero, 4, customers=2)
    paid, partial, voided, untouched = (i.number for i in invoices)
    xero.advance(600)  # the export is well before the cursor
    cursor = _fake_now(xero)
    xero.apply_payment(paid, "288.24", reference="Cheque 1")
    xero.apply_payment(partial, "100.00")
    xero.apply_payment(partial, "50.00")
    gone = next(p for p in xero.payments() if p["Amount"] == Decimal("50.00"))
    xero.delete_payment(gone["PaymentID"])
    xero.void_invoice(voided)
    ids = {_xero_invoice(xero, n)["InvoiceID"]: n for n in (paid, partial, voided, untouched)}

    start = len(api_requests(XERO, xero))
    changes = open_ledger(XERO).changes_since(cursor)
    assert sorted(_calls(xero, start)) == [
        "GET /api.xro/2.0/CreditNotes",
        "GET /api.xro/2.0/Invoices",
        "GET /api.xro/2.0/Payments",
    ]
    seen = {ids[i.external_id]: (i.status, i.total, i.balance) for i in changes.invoices}
    assert seen == {
        paid: ("paid", Decimal("288.24"), Decimal("0.00")),
        partial: ("open", Decimal("288.24"), Decimal("188.24")),
        voided: ("voided", Decimal("288.24"), Decimal("0.00")),
    }
    by_amount = {p.applications[0].amount: p for p in changes.payments}
    assert sorted(by_amount) == [Decimal("50.00"), Decimal("100.00"), Decimal("288.24")]
    full = by_amount[Decimal("288.24")]
    assert (full.kind, full.reference, full.currency, full.deleted) == (
        "payment", "Cheque 1", "USD", False,
    )  # fmt: skip
    assert ids[full.applications[0].invoice_external_id] == paid
    stored = next(p for p in xero.payments() if p["Amount"] == Decimal("288.24"))
    assert full.ref == f"Payment/{stored['PaymentID']}" and full.date == stored_day(stored)
    assert by_amount[Decimal("50.00")].deleted and not by_amount[Decimal("100.00")].deleted
    moment = datetime.fromisoformat(changes.cursor.replace("Z", "+00:00"))
    lag = (xero.state.clock.utcnow() - moment).total_seconds()
    assert 118 <= lag <= 130 and changes.cursor.endswith("Z")


def test_changes_since_reports_credit_notes_applied_there(app, xero):
    connection, (invoice,) = _exported(xero, 1)
    cursor = _fake_now(xero)
    note = make_credit_note(invoice, kind="amount", amount_minor=5000, tax_rate_id=None)
    mapper = LineMapper(mappings_of(connection), [note.invoice])
    sent = open_ledger(XERO).push_credit_notes([note], _refs(xero, connection), mapper)[note.id]
    changes = open_ledger(XERO).changes_since(cursor)
    (credit,) = [p for p in changes.payments if p.kind == "credit"]
    assert credit.ref == sent.refs[0] and credit.reference == note.number
    assert [(a.amount, a.invoice_external_id) for a in credit.applications] == [
        (Decimal("50.00"), _xero_invoice(xero, invoice.number)["InvoiceID"])
    ]
    assert credit.date == note.issue_date and not credit.deleted


def test_changes_since_pages_beyond_a_hundred_changed_invoices(app, xero):
    cursor = _fake_now(xero)
    _exported(xero, 101, customers=3)
    start = len(api_requests(XERO, xero))
    changes = open_ledger(XERO).changes_since(cursor)
    calls = _calls(xero, start)
    assert calls.count("GET /api.xro/2.0/Invoices") == 2 and len(calls) == 4
    assert len(changes.invoices) == 101
    assert {i.status for i in changes.invoices} == {"open"}


def test_a_credit_note_whose_answer_was_lost_is_adopted_and_allocated_once(app, xero):
    connection, (invoice,) = _exported(xero, 1)
    note = make_credit_note(invoice, kind="amount", amount_minor=5000, tax_rate_id=None)
    refs = _refs(xero, connection)
    mapper = LineMapper(mappings_of(connection), [note.invoice])
    xero.drop_next(path="/api.xro/2.0/CreditNotes", method="PUT")  # created, answer lost
    first = open_ledger(XERO).push_credit_notes([note], refs, mapper)[note.id]
    assert not isinstance(first, Sent)
    (copy,) = xero.credit_notes()
    assert copy["Allocations"] == []  # created there, not applied yet
    again = open_ledger(XERO).push_credit_notes([note], refs, mapper)[note.id]
    assert again == Sent(refs=[f"CreditNote/{copy['CreditNoteID']}"], number=note.number)
    (copy,) = xero.credit_notes()
    assert [a["Amount"] for a in copy["Allocations"]] == [Decimal("50.00")]
    assert _xero_invoice(xero, invoice.number)["AmountDue"] == Decimal("238.24")


def test_a_payment_xero_refuses_fails_alone(app, xero):
    connection, invoices = _exported(xero, 2)
    xero.apply_payment(invoices[0].number, "288.24")  # paid there already
    refused = make_payment(invoices[0].customer, 1000, {invoices[0].id: 1000})
    good = make_payment(invoices[1].customer, 2000, {invoices[1].id: 2000})
    start = len(api_requests(XERO, xero))
    results = open_ledger(XERO).push_payments([refused, good], _refs(xero, connection))
    assert _calls(xero, start) == ["PUT /api.xro/2.0/Payments"]
    assert not isinstance(results[refused.id], Sent)
    assert "Payments can only be made against Authorised documents" in str(
        results[refused.id].message
    )
    assert isinstance(results[good.id], Sent) and len(results[good.id].refs) == 1
    assert _xero_invoice(xero, invoices[1].number)["AmountDue"] == Decimal("268.24")
