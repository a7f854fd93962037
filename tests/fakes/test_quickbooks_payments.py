"""Payments, credit memos and refund receipts of the fake QuickBooks Online server.

The official python-quickbooks SDK drives the entities (pointed at the fake as in
test_quickbooks_fake.py, with a token from the fake instead of the OAuth dance); raw
``requests`` checks the wire shapes and refusals. CDC, webhooks and the control endpoints:
test_quickbooks_sync.py.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests
from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks import exceptions as qbe
from quickbooks.objects.base import LinkedTxn, Ref
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment, PaymentLine
from quickbooks.objects.refundreceipt import RefundReceipt

from tests.fakes.fixtures import fake_fixtures
from tests.fakes.qbo_state import PACIFIC
from tests.fakes.quickbooks import FakeQuickBooks

CLIENT_ID, CLIENT_SECRET = "payments-client", "payments-secret"
REDIRECT_URI = "http://127.0.0.1:5000/admin/accounting/quickbooks/callback"

fake, fresh = fake_fixtures(
    lambda: FakeQuickBooks(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
)


@pytest.fixture
def qb(fake, monkeypatch) -> QuickBooks:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    tokens = fake.tokens()
    auth = AuthClient(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, environment=fake.discovery_url)
    auth.access_token, auth.refresh_token = tokens["access_token"], tokens["refresh_token"]
    auth.realm_id = tokens["realm_id"]
    client = QuickBooks(
        auth_client=auth,
        refresh_token=auth.refresh_token,
        company_id=auth.realm_id,
        minorversion=75,
    )
    client.api_url_v3 = client.sandbox_api_url_v3 = fake.api_base_url
    return client


@pytest.fixture
def token(fake) -> str:
    return fake.tokens()["access_token"]


def ref(value: str) -> Ref:
    obj = Ref()
    obj.value = value
    return obj


def sales_line(amount: str) -> SalesItemLine:
    detail = SalesItemLineDetail()
    detail.ItemRef, detail.TaxCodeRef = ref("1"), ref("NON")
    detail.Qty, detail.UnitPrice = Decimal("1"), Decimal(amount)
    line = SalesItemLine()
    line.Amount, line.SalesItemLineDetail = Decimal(amount), detail
    return line


def new_customer(qb, name: str = "Acme Ltd") -> Customer:
    obj = Customer()
    obj.DisplayName = name
    return obj.save(qb=qb)


def new_invoice(qb, customer_id: str, amount: str = "300.00") -> Invoice:
    obj = Invoice()
    obj.CustomerRef, obj.Line = ref(customer_id), [sales_line(amount)]
    return obj.save(qb=qb)


def payment_line(amount: str, txn_id: str, txn_type: str = "Invoice") -> PaymentLine:
    link = LinkedTxn()
    link.TxnId, link.TxnType = txn_id, txn_type
    line = PaymentLine()
    line.Amount, line.LinkedTxn = Decimal(amount), [link]
    return line


def new_payment(qb, customer_id: str, total: str, *lines: PaymentLine) -> Payment:
    obj = Payment()
    obj.CustomerRef, obj.TotalAmt, obj.Line = ref(customer_id), Decimal(total), list(lines)
    return obj.save(qb=qb)


def fault_code(error: qbe.QuickbooksException) -> str:
    return str(error.error_code)


def raw(fake, token: str, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    url = f"{fake.api_base_url}/company/{fake.realm_id}/{path}"
    return requests.request(method, url, headers=headers, timeout=10, **kwargs)


def since(fake, **delta) -> str:
    """A ``changedSince`` that far back from the fake's now, in company time."""
    now = datetime.fromtimestamp(fake.store.clock.now(), tz=PACIFIC)
    return (now - timedelta(**delta)).isoformat(timespec="seconds")


# --- Payment via the SDK ------------------------------------------------------------------


def test_sdk_payment_links_the_invoice_and_the_fake_computes_the_balances(qb):
    customer = new_customer(qb)
    invoice = new_invoice(qb, customer.Id)
    payment = new_payment(qb, customer.Id, "120.00", payment_line("100.00", invoice.Id))
    read = Payment.get(payment.Id, qb=qb)
    assert (read.TotalAmt, read.UnappliedAmt) == (120.0, 20.0)  # computed, never sent
    assert read.Line[0].Amount == 100.0
    assert read.Line[0].LinkedTxn[0].TxnId == invoice.Id
    assert read.CustomerRef.name == "Acme Ltd"
    again = Invoice.get(invoice.Id, qb=qb)
    assert (again.TotalAmt, again.Balance, again.SyncToken) == (300.0, 200.0, "1")
    assert [(t.TxnId, t.TxnType) for t in again.LinkedTxn] == [(payment.Id, "Payment")]
    assert [p.Id for p in Payment.filter(CustomerRef=customer.Id, qb=qb)] == [payment.Id]


def test_sdk_payment_lines_are_checked_against_the_open_balance(qb, fake):
    customer = new_customer(qb)
    invoice = new_invoice(qb, customer.Id, "100.00")
    new_payment(qb, customer.Id, "60.00", payment_line("60.00", invoice.Id))
    with pytest.raises(qbe.QuickbooksException) as over:
        new_payment(qb, customer.Id, "50.00", payment_line("50.00", invoice.Id))
    assert fault_code(over.value) == "6000"
    assert "exceeds its open balance (40.00)" in over.value.detail
    with pytest.raises(qbe.QuickbooksException) as short:
        new_payment(qb, customer.Id, "10.00", payment_line("40.00", invoice.Id))
    assert "less than the amount applied" in short.value.detail
    other = new_customer(qb, "Other Co")
    with pytest.raises(qbe.QuickbooksException) as foreign:
        new_payment(qb, other.Id, "10.00", payment_line("10.00", invoice.Id))
    assert "another customer" in foreign.value.detail
    overpaid = new_payment(qb, customer.Id, "90.00", payment_line("40.00", invoice.Id))
    assert overpaid.UnappliedAmt == 50.0  # QBO takes overpayments: the rest is credit
    assert Invoice.get(invoice.Id, qb=qb).Balance == 0
    assert len(fake.entities("Payment")) == 2


def test_sdk_void_and_delete_of_a_payment_restore_the_balance(qb):
    customer = new_customer(qb)
    invoice = new_invoice(qb, customer.Id)
    first = new_payment(qb, customer.Id, "100.00", payment_line("100.00", invoice.Id))
    second = new_payment(qb, customer.Id, "50.00", payment_line("50.00", invoice.Id))
    assert Invoice.get(invoice.Id, qb=qb).Balance == 150.0
    first.void(qb=qb)
    voided = Payment.get(first.Id, qb=qb)
    assert (voided.TotalAmt, voided.Line, voided.SyncToken) == (0, [], "1")
    assert voided.PrivateNote == "Voided"
    after = Invoice.get(invoice.Id, qb=qb)
    assert after.Balance == 250.0 and [t.TxnId for t in after.LinkedTxn] == [second.Id]
    second.delete(qb=qb)
    with pytest.raises(qbe.QuickbooksException):
        Payment.get(second.Id, qb=qb)
    clear = Invoice.get(invoice.Id, qb=qb)
    assert (clear.Balance, clear.LinkedTxn, clear.SyncToken) == (300.0, [], "4")


# --- CreditMemo and RefundReceipt via the SDK --------------------------------------------------


def test_sdk_credit_memo_applied_by_a_zero_payment(qb):
    customer = new_customer(qb)
    invoice = new_invoice(qb, customer.Id)
    memo = CreditMemo()
    memo.CustomerRef, memo.DocNumber, memo.Line = ref(customer.Id), "CN-0007", [sales_line("80")]
    memo.TotalAmt = Decimal("999")  # read-only: the fake computes its own
    memo = memo.save(qb=qb)
    assert (memo.TotalAmt, memo.Balance, memo.RemainingCredit) == (80.0, 80.0, 80.0)
    with pytest.raises(qbe.QuickbooksException) as too_much:
        new_payment(
            qb, customer.Id, "0",
            payment_line("90.00", invoice.Id), payment_line("90.00", memo.Id, "CreditMemo"),
        )  # fmt: skip
    assert "remaining credit (80.00)" in too_much.value.detail
    applied = new_payment(
        qb, customer.Id, "0",
        payment_line("80.00", invoice.Id), payment_line("80.00", memo.Id, "CreditMemo"),
    )  # fmt: skip
    assert (applied.TotalAmt, applied.UnappliedAmt) == (0, 0)
    assert Invoice.get(invoice.Id, qb=qb).Balance == 220.0
    used = CreditMemo.get(memo.Id, qb=qb)
    assert (used.RemainingCredit, used.SyncToken) == (0, "1")
    links = [(t["TxnId"], t["TxnType"]) for t in used.LinkedTxn]  # the SDK keeps them as dicts
    assert links == [(applied.Id, "Payment")]
    with pytest.raises(qbe.QuickbooksException) as linked:
        used.delete(qb=qb)
    assert "linked to a payment" in linked.value.detail


def test_sdk_refund_receipt_needs_a_bank_account_and_a_reference(qb, fake):
    customer = new_customer(qb)
    receipt = RefundReceipt()
    receipt.CustomerRef, receipt.Line = ref(customer.Id), [sales_line("80")]
    receipt.DepositToAccountRef = ref("1")  # an income account
    with pytest.raises(qbe.QuickbooksException) as income:
        receipt.save(qb=qb)
    assert "not a Bank or Other Current Asset account" in income.value.detail
    bank = fake.add_account("Business Checking", "Bank")
    receipt.DepositToAccountRef = ref(bank["Id"])
    with pytest.raises(qbe.QuickbooksException) as no_ref:
        receipt.save(qb=qb)
    assert "PaymentRefNum" in no_ref.value.detail
    receipt.PaymentRefNum = "REFUND-17"
    saved = receipt.save(qb=qb)
    read = RefundReceipt.get(saved.Id, qb=qb)
    assert (read.TotalAmt, read.DepositToAccountRef.name) == (80.0, "Business Checking")
    assert read.PaymentRefNum == "REFUND-17"


def test_payment_wire_shape_and_hostile_input(qb, fake, token):
    customer = new_customer(qb)
    invoice = new_invoice(qb, customer.Id)

    def line(amount, txn_id=invoice.Id, txn_type="Invoice"):
        return [{"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]}]

    body = {"CustomerRef": {"value": customer.Id}, "TotalAmt": 100.5, "PaymentRefNum": "SEPA-1",
            "UnappliedAmt": 999, "Line": line(100.5)}  # fmt: skip
    answer = raw(fake, token, "POST", "payment", json=body)
    payment = answer.json()["Payment"]
    assert answer.status_code == 200 and "time" in answer.json()
    assert (payment["TotalAmt"], payment["UnappliedAmt"], payment["SyncToken"]) == (100.5, 0, "0")
    extras = {n["value"]["Name"]: n["value"]["Value"] for n in payment["Line"][0]["LineEx"]["any"]}
    assert extras == {
        "txnId": invoice.Id, "txnOpenBalance": "300.00", "txnReferenceNumber": invoice.DocNumber,
    }  # fmt: skip
    bad_bodies = [
        ({**body, "TotalAmt": "NaN"}, "TotalAmt"),
        ({**body, "TotalAmt": "1e999999", "Line": "x"}, "Amount"),
        ({k: v for k, v in body.items() if k != "TotalAmt"}, "TotalAmt"),
        ({**body, "Line": line(1, "1", "Bill")}, "Bill"),
        ({**body, "Line": line(1, "999")}, "999"),
        ({**body, "Line": line(-1)}, "Amount"),
        ({**body, "CustomerRef": {"value": "404"}}, "404"),
        ({**body, "CurrencyRef": {"value": "EUR"}}, "multicurrency is off"),
    ]
    for bad, word in bad_bodies:
        refused = raw(fake, token, "POST", "payment", json=bad)
        assert refused.status_code == 400, bad
        assert word in json.dumps(refused.json()["Fault"]), bad
    assert Invoice.get(invoice.Id, qb=qb).Balance == 199.5  # only the first payment counted


def test_sdk_full_update_of_a_payment_recomputes_the_invoice(qb, fake):
    customer = new_customer(qb)
    invoice = new_invoice(qb, customer.Id)
    payment = new_payment(qb, customer.Id, "100.00", payment_line("100.00", invoice.Id))
    payment.TotalAmt, payment.Line = Decimal("250.00"), [payment_line("250.00", invoice.Id)]
    updated = payment.save(qb=qb)
    assert (updated.SyncToken, updated.TotalAmt) == ("1", 250.0)
    again = Invoice.get(invoice.Id, qb=qb)
    assert (again.Balance, again.SyncToken) == (50.0, "2")
    payment = Payment.get(payment.Id, qb=qb)
    payment.Line = [payment_line("350.00", invoice.Id)]
    payment.TotalAmt = Decimal("350.00")
    with pytest.raises(qbe.QuickbooksException) as over:
        payment.save(qb=qb)
    assert "exceeds its open balance (300.00)" in over.value.detail  # its own 250 set aside
    unapplied = new_payment(qb, customer.Id, "30.00")  # no lines: all of it is credit
    assert unapplied.UnappliedAmt == 30.0
    assert Customer.get(customer.Id, qb=qb).Balance == 20.0  # 50 open - 30 credit
