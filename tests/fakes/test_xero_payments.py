"""The fake Xero's Payments, CreditNotes and Allocations, If-Modified-Since and paging: driven by
the official xero-python SDK (conformance) and by raw HTTP (refusals and exact shapes)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import requests
from urllib3.util import Retry
from xero_python.accounting import Account as XeroAccount
from xero_python.accounting import (
    AccountingApi,
    Allocation,
    Allocations,
    Contact,
    Contacts,
    CreditNote,
    CreditNotes,
    Invoice,
    Invoices,
    LineItem,
    Payment,
    Payments,
)
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token

from tests.conftest import STRICT
from tests.fakes import xero_spec
from tests.fakes.fixtures import fake_fixtures
from tests.fakes.xero import DEFAULT_TENANT_ID, FakeXero
from tests.fakes.xero_allocations import OTHER_CONTACT, OVER_CREDIT, OVER_DUE
from tests.fakes.xero_ledger_control import LedgerRefused
from tests.fakes.xero_payments import BAD_ACCOUNT, EXCEEDS, NOT_AUTHORISED

CLIENT_ID, CLIENT_SECRET = "payments-client", "payments-secret"
needs_spec = pytest.mark.skipif(
    not xero_spec.available() and not STRICT, reason="xero_accounting.yaml absent"
)

fake, fresh = fake_fixtures(lambda: FakeXero(client_id=CLIENT_ID, client_secret=CLIENT_SECRET))


@pytest.fixture
def sdk(fake):
    """xero-python's AccountingApi on the fake, with a token that can pay."""
    body = fake.issue_token()
    keys = ("access_token", "refresh_token", "expires_in", "token_type", "id_token")
    holder = {"token": {**{k: body.get(k) for k in keys}, "scope": body["scope"].split()}}
    config = Configuration()
    config.oauth2_token = OAuth2Token(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    client = ApiClient(
        config,
        oauth2_token_getter=lambda: holder["token"],
        oauth2_token_saver=lambda token: holder.update(token=token),
    )
    client.rest_client.pool_manager.connection_pool_kw["retries"] = Retry(
        3, respect_retry_after_header=False
    )
    return SimpleNamespace(
        client=client, accounting=AccountingApi(client, base_url=f"{fake.url}/api.xro/2.0")
    )


@pytest.fixture
def api(fake):
    """``api(method, path, body=None, params=None, headers=None)`` with a valid token."""
    token = fake.issue_token()["access_token"]

    def call(method, path, body=None, params=None, headers=None):
        sent = {
            "Authorization": f"Bearer {token}",
            "xero-tenant-id": DEFAULT_TENANT_ID,
            "Accept": "application/json",
            **(headers or {}),
        }
        url = f"{fake.url}/api.xro/2.0/{path}"
        return requests.request(method, url, json=body, params=params, headers=sent, timeout=5)

    return call


def _contact_id(sdk, name: str = "Acme Ltd") -> str:
    found = sdk.accounting.get_contacts(DEFAULT_TENANT_ID, where=f'Name=="{name}"').contacts
    if found:
        return found[0].contact_id
    created = sdk.accounting.create_contacts(
        DEFAULT_TENANT_ID, Contacts(contacts=[Contact(name=name)])
    )
    return created.contacts[0].contact_id


def _lines(amount: float = 100.0) -> list[LineItem]:
    return [
        LineItem(
            description="Managed services",
            quantity=2.0,
            unit_amount=amount,
            account_code="200",
            tax_type="OUTPUT2",
        )
    ]


def _sdk_invoice(sdk, contact_id: str, status: str = "AUTHORISED") -> Invoice:
    invoice = Invoice(
        type="ACCREC",
        contact=Contact(contact_id=contact_id),
        date=date(2026, 1, 31),
        due_date=date(2026, 2, 28),
        status=status,
        line_items=_lines(),
    )
    return sdk.accounting.create_invoices(DEFAULT_TENANT_ID, Invoices(invoices=[invoice])).invoices[
        0
    ]


def _last_json(sdk) -> dict:
    return json.loads(sdk.client.last_response.data)


# --- SDK conformance ------------------------------------------------------------------------


@needs_spec
def test_sdk_payment_lowers_amount_due_and_pays_the_invoice(sdk):
    invoice = _sdk_invoice(sdk, _contact_id(sdk))
    assert invoice.total == 230.0  # 2 x 100 + 15% GST, computed by the fake
    part = Payment(
        invoice=Invoice(invoice_id=invoice.invoice_id),
        account=XeroAccount(code="090"),
        date=date(2026, 2, 10),
        amount=30.0,
        reference="Bank transfer 1",
    )
    created = sdk.accounting.create_payment(DEFAULT_TENANT_ID, part)
    assert xero_spec.response_errors("Payments", _last_json(sdk)) == []
    payment = created.payments[0]
    assert (payment.amount, payment.payment_type, payment.status) == (
        30.0,
        "ACCRECPAYMENT",
        "AUTHORISED",
    )
    assert payment.invoice.invoice_id == invoice.invoice_id
    assert payment.account.code == "090"
    after = sdk.accounting.get_invoice(DEFAULT_TENANT_ID, invoice.invoice_id).invoices[0]
    assert (after.amount_due, after.amount_paid, after.status) == (200.0, 30.0, "AUTHORISED")
    assert [p.payment_id for p in after.payments] == [payment.payment_id]
    rest = Payment(
        invoice=Invoice(invoice_id=invoice.invoice_id),
        account=XeroAccount(code="090"),
        date=date(2026, 2, 20),
        amount=200.0,
    )
    sdk.accounting.create_payments(DEFAULT_TENANT_ID, Payments(payments=[rest]))
    paid = sdk.accounting.get_invoice(DEFAULT_TENANT_ID, invoice.invoice_id).invoices[0]
    assert (paid.amount_due, paid.amount_paid, paid.status) == (0.0, 230.0, "PAID")
    assert paid.fully_paid_on_date == date(2026, 2, 20)
    listed = sdk.accounting.get_payments(DEFAULT_TENANT_ID)
    assert xero_spec.response_errors("Payments", _last_json(sdk)) == []
    assert sorted(p.amount for p in listed.payments) == [30.0, 200.0]


@needs_spec
def test_sdk_credit_note_and_allocation(sdk):
    contact_id = _contact_id(sdk)
    invoice = _sdk_invoice(sdk, contact_id)
    note = CreditNote(
        type="ACCRECCREDIT",
        contact=Contact(contact_id=contact_id),
        date=date(2026, 2, 1),
        status="AUTHORISED",
        reference=invoice.invoice_number,
        line_items=_lines(40.0),
    )
    created = sdk.accounting.create_credit_notes(
        DEFAULT_TENANT_ID, CreditNotes(credit_notes=[note])
    ).credit_notes[0]
    assert xero_spec.response_errors("CreditNotes", _last_json(sdk)) == []
    assert (created.credit_note_number, created.total, created.remaining_credit) == (
        "CN-0001",
        92.0,
        92.0,
    )
    allocation = Allocation(
        invoice=Invoice(invoice_id=invoice.invoice_id), amount=50.0, date=date(2026, 2, 2)
    )
    answer = sdk.accounting.create_credit_note_allocation(
        DEFAULT_TENANT_ID, created.credit_note_id, Allocations(allocations=[allocation])
    )
    assert xero_spec.response_errors("Allocations", _last_json(sdk)) == []
    assert answer.allocations[0].amount == 50.0
    after = sdk.accounting.get_invoice(DEFAULT_TENANT_ID, invoice.invoice_id).invoices[0]
    assert (after.amount_credited, after.amount_due, after.status) == (50.0, 180.0, "AUTHORISED")
    assert after.credit_notes[0].credit_note_id == created.credit_note_id
    assert after.credit_notes[0].applied_amount == 50.0
    left = sdk.accounting.get_credit_note(DEFAULT_TENANT_ID, created.credit_note_id)
    assert left.credit_notes[0].remaining_credit == 42.0
    assert left.credit_notes[0].allocations[0].amount == 50.0
    assert sdk.accounting.get_credit_notes(DEFAULT_TENANT_ID).credit_notes[0].status == "AUTHORISED"


def test_sdk_invoices_if_modified_since_and_page(sdk, fake):
    contact_id = _contact_id(sdk)
    old = _sdk_invoice(sdk, contact_id)
    fake.advance(60)
    cutoff = fake.state.clock.utcnow().replace(microsecond=0, tzinfo=None)
    fake.advance(5)
    recent = _sdk_invoice(sdk, contact_id)
    fake.apply_payment(old.invoice_id, "10.00")  # a payment moves UpdatedDateUTC
    changed = sdk.accounting.get_invoices(DEFAULT_TENANT_ID, if_modified_since=cutoff, page=1)
    assert sorted(i.invoice_id for i in changed.invoices) == sorted(
        [old.invoice_id, recent.invoice_id]
    )
    assert changed.pagination.item_count == 2
    fake.advance(5)
    later = fake.state.clock.utcnow().replace(tzinfo=None)
    assert sdk.accounting.get_invoices(DEFAULT_TENANT_ID, if_modified_since=later).invoices == []
    payments = sdk.accounting.get_payments(DEFAULT_TENANT_ID, if_modified_since=cutoff)
    assert [p.amount for p in payments.payments] == [10.0]


def test_paging_is_one_hundred_a_page_with_the_pagination_object(api, fake, sdk):
    contact_id = _contact_id(sdk)
    body = {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": {"ContactID": contact_id},
                "LineItems": [{"Description": "x", "UnitAmount": "1.00", "AccountCode": "200"}],
            }
            for _ in range(50)
        ]
    }
    for _ in range(5):
        assert api("PUT", "Invoices", body).status_code == 200
    first = api("GET", "Invoices", params={"page": 1}).json()
    third = api("GET", "Invoices", params={"page": 3}).json()
    assert first["pagination"] == {"page": 1, "pageSize": 100, "pageCount": 3, "itemCount": 250}
    assert len(first["Invoices"]) == 100 and len(third["Invoices"]) == 50
    assert third["pagination"]["page"] == 3
    beyond = api("GET", "Invoices", params={"page": 4}).json()
    assert beyond["Invoices"] == []
    page = sdk.accounting.get_invoices(DEFAULT_TENANT_ID, page=2)
    assert len(page.invoices) == 100 and page.pagination.page_count == 3


# --- raw HTTP: what the fake refuses --------------------------------------------------------


def _invoice(api, sdk, status: str = "AUTHORISED", contact: str = "Acme Ltd") -> dict:
    body = {
        "Type": "ACCREC",
        "Contact": {"ContactID": _contact_id(sdk, contact)},
        "Date": "2026-01-31",
        "DueDate": "2026-02-28",
        "Status": status,
        "LineItems": [
            {"Description": "Work", "UnitAmount": "100.00", "AccountCode": "200", "TaxType": "NONE"}
        ],
    }
    return api("PUT", "Invoices", {"Invoices": [body]}).json()["Invoices"][0]


def _pay(api, invoice_id: str, amount: str, account: str = "090", **params):
    payment = {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": {"Code": account},
        "Date": "2026-02-10",
        "Amount": amount,
    }
    return api("PUT", "Payments", {"Payments": [payment]}, params=params)


def _messages(response) -> list[str]:
    body = response.json()
    return [m["Message"] for e in body["Elements"] for m in e["ValidationErrors"]]


def test_refuses_more_than_amount_due_a_draft_and_a_non_bank_account(api, sdk):
    invoice = _invoice(api, sdk)
    too_much = _pay(api, invoice["InvoiceID"], "100.01")
    assert too_much.status_code == 400
    assert _messages(too_much) == [EXCEEDS]
    draft = _invoice(api, sdk, "DRAFT", "Draft Co")
    refused = _pay(api, draft["InvoiceID"], "1.00")
    assert _messages(refused) == [NOT_AUTHORISED]
    sales = _pay(api, invoice["InvoiceID"], "1.00", account="200")
    assert _messages(sales) == [BAD_ACCOUNT]
    mixed = _pay(api, invoice["InvoiceID"], "100.01", summarizeErrors="false")
    assert mixed.status_code == 200
    element = mixed.json()["Payments"][0]
    assert element["HasValidationErrors"] is True
    assert element["ValidationErrors"] == [{"Message": EXCEEDS}]
    stored = api("GET", f"Invoices/{invoice['InvoiceID']}").json()["Invoices"][0]
    assert (stored["AmountPaid"], stored["AmountDue"]) == (0, 100)  # nothing was stored


def test_two_payments_in_one_request_are_checked_against_each_other(api, sdk):
    invoice = _invoice(api, sdk)
    one = {"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Account": {"Code": "090"}}
    one.update(Date="2026-02-10", Amount="60.00")
    answer = api("PUT", "Payments", {"Payments": [one, one]})
    assert answer.status_code == 400 and _messages(answer) == [EXCEEDS]
    assert api("GET", "Payments").json()["Payments"] == []


def test_the_fake_computes_amounts_and_ignores_the_clients(api, sdk):
    invoice = _invoice(api, sdk)
    payment = {
        "Invoice": {"InvoiceID": invoice["InvoiceID"], "AmountDue": "0.00"},
        "Account": {"Code": "090"},
        "Date": "2026-02-10",
        "Amount": "100.00",
        "Status": "DELETED",
    }
    made = api("PUT", "Payments", {"Payments": [payment]}).json()["Payments"][0]
    assert made["Status"] == "AUTHORISED"
    assert made["Invoice"]["AmountDue"] == 0 and made["Invoice"]["Status"] == "PAID"
    voiding = {"InvoiceID": invoice["InvoiceID"], "Status": "VOIDED"}
    assert api("POST", "Invoices", {"Invoices": [voiding]}).status_code == 400


def test_deleting_a_payment_restores_amount_due_and_shows_as_deleted(api, sdk, fake):
    invoice = _invoice(api, sdk)
    made = _pay(api, invoice["InvoiceID"], "100.00").json()["Payments"][0]
    assert made["Invoice"]["Status"] == "PAID"
    edit = api("POST", f"Payments/{made['PaymentID']}", {"Payments": [{"Amount": "5"}]})
    assert edit.status_code == 400
    since = datetime.now(UTC) + timedelta(seconds=fake.state.clock.offset)
    gone = api("POST", f"Payments/{made['PaymentID']}", {"Payments": [{"Status": "DELETED"}]})
    assert gone.status_code == 200
    header = {"If-Modified-Since": since.strftime("%Y-%m-%dT%H:%M:%S")}
    changed = api("GET", "Payments", headers=header).json()["Payments"]
    assert [(p["PaymentID"], p["Status"]) for p in changed] == [(made["PaymentID"], "DELETED")]
    stored = api("GET", f"Invoices/{invoice['InvoiceID']}").json()["Invoices"][0]
    assert (stored["Status"], stored["AmountDue"], stored["AmountPaid"]) == ("AUTHORISED", 100, 0)
    assert "FullyPaidOnDate" not in stored and "Payments" not in stored
    again = api("POST", f"Payments/{made['PaymentID']}", {"Payments": [{"Status": "DELETED"}]})
    assert again.status_code == 400


def _note(api, sdk, contact: str = "Acme Ltd", status: str = "AUTHORISED", amount="50.00"):
    body = {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": _contact_id(sdk, contact)},
        "Date": "2026-02-01",
        "Status": status,
        "LineItems": [
            {"Description": "Credit", "UnitAmount": amount, "AccountCode": "200", "TaxType": "NONE"}
        ],
        "Total": "9999.00",  # the fake computes its own
    }
    answer = api("PUT", "CreditNotes", {"CreditNotes": [body]})
    assert answer.status_code == 200, answer.text
    return answer.json()["CreditNotes"][0]


def _allocate(api, note_id: str, invoice_id: str, amount: str):
    allocation = {"Invoice": {"InvoiceID": invoice_id}, "Amount": amount, "Date": "2026-02-02"}
    return api("PUT", f"CreditNotes/{note_id}/Allocations", {"Allocations": [allocation]})


def test_allocation_refusals(api, sdk):
    invoice = _invoice(api, sdk)  # 100.00 due, Acme Ltd
    note = _note(api, sdk)  # 50.00 credit, Acme Ltd (the same contact)
    assert note["Total"] == 50 and note["RemainingCredit"] == 50
    over = _allocate(api, note["CreditNoteID"], invoice["InvoiceID"], "50.01")
    assert over.status_code == 400 and _messages(over) == [OVER_CREDIT]
    assert _allocate(api, note["CreditNoteID"], invoice["InvoiceID"], "30.00").status_code == 200
    rest = _allocate(api, note["CreditNoteID"], invoice["InvoiceID"], "20.01")
    assert _messages(rest) == [OVER_CREDIT]
    big = _note(api, sdk, amount="500.00")
    due = _allocate(api, big["CreditNoteID"], invoice["InvoiceID"], "70.01")
    assert _messages(due) == [OVER_DUE]
    other = _note(api, sdk, contact="Other Co")
    assert _messages(_allocate(api, other["CreditNoteID"], invoice["InvoiceID"], "1")) == [
        OTHER_CONTACT
    ]
    draft = _note(api, sdk, status="DRAFT")
    assert _allocate(api, draft["CreditNoteID"], invoice["InvoiceID"], "1").status_code == 400
    missing = api("PUT", "CreditNotes/00000000-0000-0000-0000-00000000abcd/Allocations", {})
    assert missing.status_code == 404


def test_full_allocation_and_a_refund_pay_the_note_and_the_invoice(api, sdk):
    invoice = _invoice(api, sdk)
    note = _note(api, sdk, amount="150.00")
    done = _allocate(api, note["CreditNoteID"], invoice["InvoiceID"], "100.00")
    allocation = done.json()["Allocations"][0]
    assert allocation["Invoice"]["Status"] == "PAID"
    assert allocation["CreditNote"]["RemainingCredit"] == 50
    refund = {
        "CreditNote": {"CreditNoteID": note["CreditNoteID"]},
        "Account": {"Code": "090"},
        "Date": "2026-02-05",
        "Amount": "50.00",
        "Reference": "Too much",
    }
    made = api("PUT", "Payments", {"Payments": [refund]}).json()["Payments"][0]
    assert made["PaymentType"] == "ARCREDITPAYMENT"
    stored = api("GET", f"CreditNotes/{note['CreditNoteID']}").json()["CreditNotes"][0]
    assert (stored["Status"], stored["RemainingCredit"]) == ("PAID", 0)
    assert stored["Payments"][0]["Amount"] == 50
    # A paid or credited invoice cannot be voided; its allocation can be undone.
    voiding = {"InvoiceID": invoice["InvoiceID"], "Status": "VOIDED"}
    assert api("POST", "Invoices", {"Invoices": [voiding]}).status_code == 400
    undo = api(
        "DELETE", f"CreditNotes/{note['CreditNoteID']}/Allocations/{allocation['AllocationID']}"
    )
    assert undo.json()["IsDeleted"] is True
    back = api("GET", f"Invoices/{invoice['InvoiceID']}").json()["Invoices"][0]
    assert (back["Status"], back["AmountDue"], back["AmountCredited"]) == ("AUTHORISED", 100, 0)


def test_credit_note_numbers_are_unique_and_voiding_needs_nothing_allocated(api, sdk):
    note = _note(api, sdk)
    again = dict(
        Type="ACCRECCREDIT",
        Contact={"ContactID": note["Contact"]["ContactID"]},
        CreditNoteNumber=note["CreditNoteNumber"],
        LineItems=[{"Description": "x", "UnitAmount": "1.00", "AccountCode": "200"}],
    )
    clash = api("PUT", "CreditNotes", {"CreditNotes": [again]})
    assert clash.status_code == 400 and "Credit Note # must be unique." in _messages(clash)
    void = api("POST", f"CreditNotes/{note['CreditNoteID']}", {"Status": "VOIDED"})
    assert void.status_code == 200
    assert void.json()["CreditNotes"][0]["Status"] == "VOIDED"
    assert void.json()["CreditNotes"][0]["RemainingCredit"] == 0


def test_bad_if_modified_since_is_a_400_and_credit_notes_filter_by_it(api, sdk, fake):
    bad = api("GET", "Invoices", headers={"If-Modified-Since": "last tuesday"})
    assert bad.status_code == 400 and bad.json()["Type"] == "QueryParseException"
    _note(api, sdk)
    fake.advance(60)
    second = _note(api, sdk, contact="Later Co")
    cutoff = fake.state.clock.utcnow() - timedelta(seconds=30)
    http_date = cutoff.strftime("%a, %d %b %Y %H:%M:%S GMT")
    for header in (cutoff.isoformat(), http_date):
        found = api("GET", "CreditNotes", headers={"If-Modified-Since": header}).json()
        assert [n["CreditNoteID"] for n in found["CreditNotes"]] == [second["CreditNoteID"]]


def test_payments_need_the_payments_scope(fake, sdk):
    token = fake.issue_token("openid offline_access accounting.invoices")["access_token"]
    headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": DEFAULT_TENANT_ID}
    headers["Accept"] = "application/json"
    answer = requests.get(f"{fake.url}/api.xro/2.0/Payments", headers=headers, timeout=5)
    assert answer.status_code == 401
    notes = requests.get(f"{fake.url}/api.xro/2.0/CreditNotes", headers=headers, timeout=5)
    assert notes.status_code == 200


# --- the ledger user's controls ----------------------------------------------------------


def test_control_payment_and_void_as_a_xero_user(api, sdk, fake):
    paid = _invoice(api, sdk)
    answer = requests.post(
        f"{fake.url}/_fake/payment",
        json={"invoice_id": paid["InvoiceNumber"], "amount": "40", "reference": "EFT 77"},
        timeout=5,
    )
    assert answer.status_code == 200 and answer.json()["AmountDue"] == 60
    listed = api("GET", "Payments").json()["Payments"]
    assert [(p["Amount"], p["Reference"]) for p in listed] == [(Decimal("40.00"), "EFT 77")]
    refused = requests.post(
        f"{fake.url}/_fake/void", json={"invoice_id": paid["InvoiceID"]}, timeout=5
    )
    assert refused.status_code == 400
    with pytest.raises(LedgerRefused):
        fake.void_invoice(paid["InvoiceID"])
    open_one = _invoice(api, sdk, contact="Void Co")
    voided = requests.post(
        f"{fake.url}/_fake/void", json={"invoice_id": open_one["InvoiceID"]}, timeout=5
    )
    assert voided.json()["Status"] == "VOIDED" and voided.json()["AmountDue"] == 0
    gone = fake.delete_payment(listed[0]["PaymentID"])
    assert gone["Status"] == "DELETED"
    assert fake.invoices()[0]["AmountDue"] == Decimal("100.00")


def test_a_retried_payment_with_its_idempotency_key_is_stored_once(api, sdk):
    invoice = _invoice(api, sdk)
    payment = {
        "Invoice": {"InvoiceID": invoice["InvoiceID"]},
        "Account": {"Code": "090"},
        "Date": "2026-02-10",
        "Amount": "25.00",
    }
    key = {"Idempotency-Key": "pay-once"}
    first = api("PUT", "Payments", {"Payments": [payment]}, headers=key)
    second = api("PUT", "Payments", {"Payments": [payment]}, headers=key)
    assert first.json()["Payments"] == second.json()["Payments"]
    assert second.headers["X-Fake-Idempotent-Replay"] == "true"
    assert len(api("GET", "Payments").json()["Payments"]) == 1
    stored = api("GET", f"Invoices/{invoice['InvoiceID']}").json()["Invoices"][0]
    assert stored["AmountDue"] == 75
