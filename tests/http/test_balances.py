"""Balances everywhere over HTTP: the Billing page's Balance column (sorted both ways, totals
per currency, a page's statements not growing with its rows), the invoice page's Paid, Credited
and Balance due, the PDF's line under the total, and the email's default body."""

import html
import io
import re
from datetime import date

import pypdf
import pytest

from models import Invoice, InvoiceStatus, db
from tests.factories import make_customer, make_invoice, make_line, make_payment

D, S, E, P = InvoiceStatus.DRAFT, InvoiceStatus.SENT, InvoiceStatus.EXPORTED, InvoiceStatus.PAID
HX = {"HX-Request": "true"}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _invoice(customer, number: str, amount: int, status=S, **fields) -> Invoice:
    return make_invoice(customer, [make_line("Support", amount)], number=number, status=status,
                        **fields)  # fmt: skip


@pytest.fixture
def ledger(app, admin):
    """USD: INV-0001 Sent $100 of which $40 paid; INV-0002 Exported $300 credited $50;
    INV-0003 Draft $70; INV-0004 Paid $20 by payment; INV-0005 Sent $60. EUR: INV-0006 Sent
    €80 of which €30 paid."""
    acme, euro = make_customer(name="Acme"), make_customer(name="Euro GmbH", currency="EUR")
    first = _invoice(acme, "INV-0001", 10000, due_date=date(2026, 11, 2))
    _invoice(acme, "INV-0002", 30000, E, credited_minor=5000, due_date=date(2026, 11, 20))
    _invoice(acme, "INV-0003", 7000, D)
    paid = _invoice(acme, "INV-0004", 2000, due_date=date(2026, 11, 5))
    _invoice(acme, "INV-0005", 6000, due_date=date(2026, 12, 20))
    eur = _invoice(euro, "INV-0006", 8000)
    make_payment(acme, 2000, {paid.id: 2000}, user=admin)
    make_payment(acme, 4000, {first.id: 4000}, user=admin)
    make_payment(euro, 3000, {eur.id: 3000}, user=admin)
    return acme


def _rows(body: str) -> list[tuple[str, str, bool]]:
    """(number, balance cell, partly paid) of each row of the list, in order."""
    rows = re.findall(r'<tr id="invoice-\d+">(.*?)</tr>', body, re.S)
    found = []
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        number = re.sub(r"<[^>]+>", "", cells[1])
        found.append((number, re.sub(r"<[^>]+>", "", cells[7]), "Partly paid" in cells[5]))
    return found


def test_the_balance_column_shows_what_is_owed_now(admin_client, ledger):
    body = text(admin_client.get("/billing"))
    assert re.search(r'<th scope="col" class="num">\s*<a [^>]*>Balance</a>', body)
    assert _rows(body) == [
        ("INV-0006", "€50.00", True),
        ("INV-0005", "$60.00", False),
        ("INV-0004", "$0.00", False),  # Paid
        ("INV-0003", "—", False),  # a Draft is not owed yet
        ("INV-0002", "$250.00", False),  # credited, not paid
        ("INV-0001", "$60.00", True),
    ]


def test_sorting_by_balance_both_ways_ties_by_number(admin_client, ledger):
    ascending = [number for number, *_ in _rows(text(admin_client.get("/billing?sort=balance")))]
    assert ascending == ["INV-0003", "INV-0004", "INV-0006", "INV-0001", "INV-0005", "INV-0002"]
    page = text(admin_client.get("/billing?sort=-balance"))
    descending = [number for number, *_ in _rows(page)]
    assert descending == ["INV-0002", "INV-0005", "INV-0001", "INV-0006", "INV-0004", "INV-0003"]
    assert 'aria-sort="descending"' in page and "Ignored" not in page


def _totals(body: str) -> dict[str, tuple[str, str]]:
    rows = re.findall(
        r'data-currency="(\w+)">\s*<th[^>]*>[^<]*</th>\s*<td class="num">([^<]+)</td>\s*'
        r"<td class=\"num\" data-balance>([^<]+)</td>",
        body,
    )
    return {currency: (total, owed) for currency, total, owed in rows}


def test_totals_per_currency_gain_the_balance(admin_client, ledger):
    # The list fits one page: totals from its rows.
    expected = {"EUR": ("€80.00", "€50.00"), "USD": ("$550.00", "$370.00")}
    assert _totals(text(admin_client.get("/billing"))) == expected
    # A filtered list's totals, in their own grouped queries (as after a long list's rows).
    assert _totals(text(admin_client.get("/billing/totals?q=INV", headers=HX))) == expected
    paid_only = text(admin_client.get("/billing/totals?status=paid", headers=HX))
    assert _totals(paid_only) == {"USD": ("$20.00", "$0.00")}
    assert _totals(text(admin_client.get("/billing?status=sent&totals=1"))) == {
        "EUR": ("€80.00", "€50.00"), "USD": ("$160.00", "$120.00"),
    }  # fmt: skip


def test_the_billing_page_costs_the_same_statements_for_more_rows(
    admin_client, ledger, admin, count_queries
):
    def statements(path: str) -> int:
        with count_queries() as log:
            assert admin_client.get(path).status_code == 200
        return len(log)

    statements("/billing")  # the first request fills the process caches
    few = [statements(p) for p in ("/billing", "/billing?sort=-balance", "/billing?q=INV")]
    for n in range(30):
        invoice = _invoice(ledger, f"INV-1{n:03d}", 1000 + n)
        make_payment(ledger, 500, {invoice.id: 500}, user=admin)
    many = [statements(p) for p in ("/billing", "/billing?sort=-balance", "/billing?q=INV")]
    assert many == few


def test_the_invoice_page_shows_paid_credited_and_balance_due(admin_client, ledger):
    first, credited, draft, paid = (
        db.session.scalar(db.select(Invoice).where(Invoice.number == f"INV-000{n}"))
        for n in (1, 2, 3, 4)
    )
    body = text(admin_client.get(f"/invoices/{first.id}"))
    assert re.search(r'data-payment="paid">\$40\.00<', body)
    assert 'data-payment="credited"' not in body
    assert re.search(r'data-payment="balance"><strong>\$60\.00<', body)
    assert "data-partly-paid>Partly paid" in body
    body = text(admin_client.get(f"/invoices/{credited.id}"))
    assert re.search(r'data-payment="credited">\$50\.00<', body)
    assert re.search(r'data-payment="balance"><strong>\$250\.00<', body)
    body = text(admin_client.get(f"/invoices/{draft.id}"))
    assert 'data-payment="' not in body  # a Draft is not owed yet
    body = text(admin_client.get(f"/invoices/{paid.id}"))
    assert re.search(r'data-payment="balance"><strong>\$0\.00<', body)
    assert 'data-payment="by-hand"' not in body


def test_a_paid_marked_by_hand_says_so(admin_client, app):
    invoice = _invoice(make_customer(), "INV-0042", 9900, P)
    body = text(admin_client.get(f"/invoices/{invoice.id}"))
    assert re.search(r'data-payment="paid">\$0\.00<', body)
    assert re.search(r'data-payment="balance"><strong>\$0\.00<', body)
    assert (
        'data-payment="by-hand">Marked Paid by hand: $99.00 paid without a payment recorded here.'
        in body
    )


def _pdf_text(admin_client, invoice: Invoice) -> str:
    response = admin_client.get(f"/invoices/{invoice.id}/pdf")
    assert response.status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_pdf_says_what_was_paid_and_what_is_due(admin_client, ledger):
    first, credited, _, paid = (
        db.session.scalar(db.select(Invoice).where(Invoice.number == f"INV-000{n}"))
        for n in (1, 2, 3, 4)
    )
    assert "Total USD $100.00 Paid $40.00 · Balance due $60.00" in _pdf_text(admin_client, first)
    assert "Credited $50.00 · Balance due $250.00" in _pdf_text(admin_client, credited)
    assert "Total USD $20.00 Paid in full" in _pdf_text(admin_client, paid)
    unpaid = db.session.scalar(db.select(Invoice).where(Invoice.number == "INV-0005"))
    words = _pdf_text(admin_client, unpaid)
    assert "Balance due" not in words and "Paid" not in words


def _body(admin_client, invoice: Invoice) -> str:
    page = admin_client.get(f"/invoices/{invoice.id}/send").get_data(as_text=True)
    found = re.search(r'<textarea[^>]*name="body"[^>]*>\r?\n?(.*?)</textarea>', page, re.S)
    return html.unescape(found.group(1))


def test_the_email_mentions_the_balance_once_something_was_paid(admin_client, ledger):
    first = db.session.scalar(db.select(Invoice).where(Invoice.number == "INV-0001"))
    assert "Paid so far: $40.00. Balance due: $60.00." in _body(admin_client, first)
    unpaid = db.session.scalar(db.select(Invoice).where(Invoice.number == "INV-0005"))
    body = _body(admin_client, unpaid)
    assert "for $60.00, due on Dec 20, 2026." in body and "Balance due" not in body


def test_an_own_email_body_may_use_paid_and_balance(admin_client, ledger):
    from billing.settings import get_settings

    settings = get_settings()
    settings.email_body = "Hi {customer}: {balance} left of {total} ({paid} paid)."
    db.session.commit()
    first = db.session.scalar(db.select(Invoice).where(Invoice.number == "INV-0001"))
    assert _body(admin_client, first) == "Hi Acme: $60.00 left of $100.00 ($40.00 paid)."
