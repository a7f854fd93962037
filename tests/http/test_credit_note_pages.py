"""Credit notes over HTTP: the invoice page's Credit notes card, issuing one (by lines with two
tax rates, for an amount, whole; 422 beside the field, 409), the credit note page, a refund,
the PDF, the Billing page's Credit notes tab, Admin settings, 403 and CSRF."""

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from billing.settings import get_settings
from models import CreditNote, Invoice, InvoiceStatus, Payment, PaymentDirection, db
from tests.factories import (
    make_credit_note,
    make_customer,
    make_invoice,
    make_line,
    make_payment,
    make_tax_rate,
)
from tests.pages import count, error_beside, fresh, squeeze, text

SENT = InvoiceStatus.SENT


@pytest.fixture
def taxed(app):
    """INV-0007, Sent: 2 laptops at $500.00 (VAT 20%) and 4 support hours at $25.00 (Reduced
    5%): subtotal $1,100.00, tax $200.00 + $5.00, total $1,305.00."""
    vat = make_tax_rate(name="VAT", percent=Decimal("20"))
    reduced = make_tax_rate(name="Reduced", percent=Decimal("5"))
    customer = make_customer(name="Acme Dental", billing_emails="ap@acme.example")
    lines = [
        make_line("Laptop", 50000, 2, position=0, tax_rate_id=vat.id, tax_name="VAT",
                  tax_percent=Decimal("20")),
        make_line("Support hours", 2500, 4, position=1, tax_rate_id=reduced.id,
                  tax_name="Reduced", tax_percent=Decimal("5")),
    ]  # fmt: skip
    invoice = make_invoice(customer, lines, number="INV-0007", status=SENT,
                           subtotal_minor=110000, tax_minor=20500, total_minor=130500)  # fmt: skip
    return invoice


def _form(**values) -> dict:
    data = {"kind": "lines", "reason": "Returned one laptop", "issue_date": "2026-12-02",
            "amount": "", "tax_rate": ""}  # fmt: skip
    data.update(values)
    return data


def _ids(invoice: Invoice) -> tuple[int, int]:
    laptop, hours = sorted(invoice.lines, key=lambda line: line.position)
    return laptop.id, hours.id


def test_the_invoice_page_offers_a_credit_note_to_admins_only(admin_client, taxed):
    page = admin_client.get(f"/invoices/{taxed.id}")
    body = text(page)
    assert 'id="invoice-credit-notes"' in body and "No credit note issued." in body
    assert f"/invoices/{taxed.id}/credit-notes/new" in body
    assert 'data-payment="credited"' not in body  # nothing credited yet
    assert re.search(r'data-payment="balance"><strong>\$1,305\.00<', body)
    draft = make_invoice(make_customer(), [make_line("Setup", 5000)])
    assert 'id="invoice-credit-notes"' not in text(admin_client.get(f"/invoices/{draft.id}"))


def test_a_billing_technician_reads_but_cannot_issue(billing_tech_client, taxed):
    note = make_credit_note(taxed)
    body = text(billing_tech_client.get(f"/invoices/{taxed.id}"))
    assert note.number in body and "/credit-notes/new" not in body
    assert billing_tech_client.get(f"/credit-notes/{note.id}").status_code == 200
    assert billing_tech_client.get("/billing/credit-notes").status_code == 200
    assert billing_tech_client.get(f"/credit-notes/{note.id}/pdf").status_code == 200
    for url in (f"/invoices/{taxed.id}/credit-notes/new", f"/credit-notes/{note.id}/send"):
        assert billing_tech_client.get(url).status_code == 403
        assert billing_tech_client.post(url, data=_form()).status_code == 403
    refund = billing_tech_client.post(f"/credit-notes/{note.id}/refund", data={"amount": "1"})
    assert refund.status_code == 403
    assert count(CreditNote) == 1


def test_a_technician_without_billing_gets_403_everywhere(tech_client, taxed):
    note = make_credit_note(taxed)
    urls = [f"/credit-notes/{note.id}", f"/credit-notes/{note.id}/pdf", "/billing/credit-notes",
            f"/credit-notes/{note.id}/send", f"/invoices/{taxed.id}/credit-notes/new"]  # fmt: skip
    for url in urls:
        response = tech_client.get(url)
        assert response.status_code == 403, url
        assert "Billing (invoices, batches and their amounts) is not open to you" in text(response)
    assert tech_client.post(f"/credit-notes/{note.id}/refund", data={}).status_code == 403
    assert (
        tech_client.post(f"/invoices/{taxed.id}/credit-notes/new", data=_form()).status_code == 403
    )
    assert count(CreditNote) == 1


@pytest.mark.parametrize("app_config", [{"BILLING_TODAY": "2026-12-03"}])
def test_the_form_lists_the_lines_with_what_is_left(admin_client, taxed, app_config):
    laptop, hours = _ids(taxed)
    make_credit_note(taxed, kind="lines", lines={laptop: Decimal(1)})
    page = admin_client.get(f"/invoices/{taxed.id}/credit-notes/new")
    assert page.status_code == 200
    body = text(page)
    assert re.search(r'<input[^>]*name="issue_date"[^>]*value="2026-12-03"', body)
    assert re.search(r'<input checked[^>]*value="lines"', body)  # credited before: by lines
    words = squeeze(page)
    assert "Laptop 2 1 $500.00 VAT (20 %) $1,000.00" in words
    assert "Support hours 4 4 $25.00 Reduced (5 %) $100.00" in words
    assert f'name="qty_{laptop}"' in body and f'name="qty_{hours}"' in body
    assert re.search(r"at most <strong data-creditable>\$705\.00</strong>", body)
    options = re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>', body)
    assert [label for _, label in options] == ["VAT (20 %)", "Reduced (5 %)"]


def test_a_credit_by_lines_with_two_tax_rates(admin_client, admin, taxed):
    laptop, hours = _ids(taxed)
    data = _form(**{f"qty_{laptop}": "1", f"qty_{hours}": "2"})
    response = admin_client.post(f"/invoices/{taxed.id}/credit-notes/new", data=data)
    assert response.status_code == 302
    note = db.session.scalars(sa.select(CreditNote)).one()
    assert response.headers["Location"].endswith(f"/credit-notes/{note.id}")
    # $500.00 at 20% and $50.00 at 5%: tax $100.00 + $2.50, total $652.50.
    assert (note.number, note.kind, note.subtotal_minor, note.tax_minor, note.total_minor) == (
        "CN-0001", "lines", 55000, 10250, 65250,
    )  # fmt: skip
    assert note.issue_date == date(2026, 12, 2) and note.created_by_id == admin.id
    invoice = fresh(taxed)
    assert (invoice.credited_minor, invoice.balance_minor) == (65250, 65250)
    page = admin_client.get(response.headers["Location"])
    words = squeeze(page)
    assert (
        "Credit note CN-0001 of $652.50 issued for invoice INV-0007: balance due $652.50." in words
    )
    assert "Credit note CN-0001" in words and "Returned one laptop" in words
    assert "Date Dec 2, 2026 Credit for invoice INV-0007 of Nov 1, 2026, $1,305.00" in words
    assert "Laptop 1 $500.00 20% $500.00" in words
    assert "Support hours 2 $25.00 5% $50.00" in words
    assert (
        "Subtotal $550.00 Reduced (5 %) on $50.00 $2.50 VAT (20 %) on $500.00 $100.00 "
        "Total credited (USD) $652.50"
    ) in words
    assert "Nothing had been paid beyond" in words and 'id="refund-form"' not in text(page)
    card = squeeze(admin_client.get(f"/invoices/{taxed.id}"))
    assert "Credited $652.50 Balance due $652.50" in card
    assert "CN-0001 Dec 2, 2026 Returned one laptop $652.50" in card


def test_a_credit_for_an_amount_at_a_rate(admin_client, taxed):
    reduced = next(line.tax_rate_id for line in taxed.lines if line.tax_name == "Reduced")
    data = _form(kind="amount", amount="40", tax_rate=str(reduced), reason="Goodwill")
    response = admin_client.post(f"/invoices/{taxed.id}/credit-notes/new", data=data)
    assert response.status_code == 302
    note = db.session.scalars(sa.select(CreditNote)).one()
    assert (note.kind, note.subtotal_minor, note.tax_minor, note.total_minor) == (
        "amount", 4000, 200, 4200,
    )  # fmt: skip
    assert fresh(taxed).balance_minor == 130500 - 4200


def test_the_whole_invoice(admin_client, taxed):
    response = admin_client.post(
        f"/invoices/{taxed.id}/credit-notes/new", data=_form(kind="whole", reason="Cancelled")
    )
    assert response.status_code == 302
    invoice = fresh(taxed)
    assert (invoice.credited_minor, invoice.balance_minor, invoice.status) == (
        130500, 0, InvoiceStatus.PAID,
    )  # fmt: skip
    page = admin_client.get(f"/invoices/{taxed.id}")
    assert "/credit-notes/new" not in text(page)  # nothing left to credit: no button
    assert admin_client.get(f"/invoices/{taxed.id}/credit-notes/new").status_code == 409


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"reason": "  "}, "reason", "Say why the invoice is credited"),
        ({"qty_LAPTOP": "3"}, "qty_LAPTOP", "more than is left to credit on this line (2)"),
        ({"qty_LAPTOP": "two"}, "qty_LAPTOP", "Enter a quantity such as"),
        ({"qty_LAPTOP": "9" * 40}, "qty_LAPTOP", ""),
        ({"qty_LAPTOP": "0.0001"}, "qty_LAPTOP", "decimals"),
        ({"kind": "amount", "amount": "abc"}, "amount", "Enter an amount such as"),
        ({"kind": "amount", "amount": "99999999999999999999"}, "amount", ""),
        (
            {"kind": "amount", "amount": "2000", "tax_rate": "VAT"},
            "amount",
            "$2,400.00 is more than invoice INV-0007's total less earlier credits ($1,305.00)",
        ),
        ({"kind": "amount", "amount": "10"}, "tax_rate", "Every line of invoice INV-0007 is taxed"),
        ({"kind": "amount", "amount": "10", "tax_rate": "999"}, "tax_rate", "Choose a tax rate"),
        ({"kind": "amount", "amount": "10", "tax_rate": "²"}, "tax_rate", "Choose from the list"),
        ({"kind": "nonsense"}, "kind", "Choose what to credit"),
        ({"issue_date": "2026-02-30", "qty_LAPTOP": "1"}, "issue_date", "Enter a date"),
        ({"issue_date": "2026-10-01", "qty_LAPTOP": "1"}, "issue_date", "before its invoice"),
    ],
)
def test_refused_input_is_422_beside_its_field(admin_client, taxed, values, field, message):
    laptop, _ = _ids(taxed)
    vat = str(taxed.lines[0].tax_rate_id)
    values = {k.replace("LAPTOP", str(laptop)): v.replace("VAT", vat) for k, v in values.items()}
    field = field.replace("LAPTOP", str(laptop))
    response = admin_client.post(f"/invoices/{taxed.id}/credit-notes/new", data=_form(**values))
    assert response.status_code == 422
    assert message in error_beside(response, field)
    assert count(CreditNote) == 0 and fresh(taxed).credited_minor == 0


def test_no_line_chosen_is_said_above_the_lines(admin_client, taxed):
    response = admin_client.post(f"/invoices/{taxed.id}/credit-notes/new", data=_form())
    assert response.status_code == 422
    assert re.search(r'id="lines-error" role="alert">Enter the quantity to credit on at least',
                     text(response))  # fmt: skip
    assert count(CreditNote) == 0


@pytest.mark.parametrize("status", [InvoiceStatus.DRAFT, InvoiceStatus.REFUNDED])
def test_a_draft_or_refunded_invoice_is_409(admin_client, taxed, status):
    taxed.status = status
    db.session.commit()
    url = f"/invoices/{taxed.id}/credit-notes/new"
    page = admin_client.get(url)
    assert page.status_code == 409 and status.value.capitalize() in text(page)
    assert admin_client.post(url, data=_form(kind="whole")).status_code == 409
    assert count(CreditNote) == 0


def test_unknown_ids_are_404(admin_client, taxed):
    assert admin_client.get("/credit-notes/999").status_code == 404
    assert admin_client.get("/credit-notes/99999999999999999999").status_code == 404
    assert admin_client.get("/credit-notes/999/pdf").status_code == 404
    assert admin_client.post("/credit-notes/999/refund", data={}).status_code == 404
    assert admin_client.get("/invoices/999/credit-notes/new").status_code == 404


@pytest.fixture
def paid(app, admin, taxed):
    """INV-0007 paid in full ($1,305.00), then credited $652.50 by lines: released as credit."""
    make_payment(taxed.customer, 130500, user=admin, reference="WIRE-1")
    laptop, hours = _ids(taxed)
    return make_credit_note(fresh(taxed), kind="lines", user=admin,
                            lines={laptop: Decimal(1), hours: Decimal(2)})  # fmt: skip


@pytest.mark.parametrize("app_config", [{"BILLING_TODAY": "2026-12-04"}])
def test_a_refund_of_the_released_credit(admin_client, paid, app_config):
    assert paid.released_minor == 65250
    url = f"/credit-notes/{paid.id}"
    page = admin_client.get(url)
    words = squeeze(page)
    assert (
        "Credited $652.50 Released to customer credit $652.50 Refunded $0.00 Refundable $652.50"
        in words
    )
    body = text(page)
    assert re.search(r'name="amount"[^>]*value="652.50"', body)
    assert re.search(r'name="refund_date"[^>]*value="2026-12-04"', body)
    data = {"refund_date": "2026-12-04", "amount": "200", "method": "card",
            "reference": "RF-1", "note": "by card"}  # fmt: skip
    response = admin_client.post(f"{url}/refund", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    refund = db.session.scalars(
        sa.select(Payment).where(Payment.direction == PaymentDirection.OUT)
    ).one()
    assert (refund.amount_minor, refund.credit_note_id, refund.reference) == (
        20000,
        paid.id,
        "RF-1",
    )
    words = squeeze(admin_client.get(url))
    assert "Refund of $200.00 recorded for credit note CN-0001." in words
    assert "Refunded $200.00 Refundable $452.50" in words
    assert "Dec 4, 2026 Card RF-1 by card $200.00" in words


def test_refunding_all_of_a_whole_credit_makes_the_invoice_refunded(admin_client, admin, taxed):
    make_payment(taxed.customer, 130500, user=admin)
    note = make_credit_note(fresh(taxed), kind="whole", reason="Cancelled", user=admin)
    assert note.released_minor == 130500
    data = {"refund_date": "2026-12-04", "amount": "1,305.00", "method": "bank"}
    response = admin_client.post(f"/credit-notes/{note.id}/refund", data=data)
    assert response.status_code == 302
    assert fresh(taxed).status == InvoiceStatus.REFUNDED
    page = admin_client.get(f"/credit-notes/{note.id}")
    words = squeeze(page)
    assert (
        "Refund of $1,305.00 recorded for credit note CN-0001. Invoice INV-0007 is now Refunded."
        in words
    )
    assert "Refundable $0.00" in words and 'id="refund-form"' not in text(page)
    invoice_page = text(admin_client.get(f"/invoices/{taxed.id}"))
    assert "/credit-notes/new" not in invoice_page  # Refunded: nothing more to credit
    assert admin_client.post(f"/credit-notes/{note.id}/refund", data=data).status_code == 422


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"amount": "700"}, "amount", "is more than can be refunded"),
        ({"amount": "0"}, "amount", "above zero"),
        ({"amount": "x"}, "amount", "Enter an amount such as"),
        ({"amount": "9" * 40}, "amount", ""),
        ({"method": "barter"}, "method", "Choose a payment method"),
        ({"reference": "R" * 101}, "reference", "100 characters"),
        ({"refund_date": "2026-11-30"}, "refund_date", "before its credit note"),
        ({"refund_date": "31/12"}, "refund_date", "Enter a date"),
        ({"refund_date": ""}, "refund_date", "Enter the day the refund was paid"),
    ],
)
def test_a_refused_refund_is_422_beside_its_field(admin_client, paid, values, field, message):
    data = {"refund_date": "2026-12-04", "amount": "100", "method": "bank", "reference": "",
            "note": "", **values}  # fmt: skip
    response = admin_client.post(f"/credit-notes/{paid.id}/refund", data=data)
    assert response.status_code == 422
    assert message in error_beside(response, field)
    assert count(Payment) == 1  # the payment in only


def test_the_pdf(admin_client, taxed):
    laptop, hours = _ids(taxed)
    note = make_credit_note(taxed, kind="lines", reason="Returned one laptop",
                            lines={laptop: Decimal(1), hours: Decimal(2)})  # fmt: skip
    response = admin_client.get(f"/credit-notes/{note.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="CN-0001.pdf"'
    words = " ".join(
        " ".join(page.extract_text() for page in PdfReader(BytesIO(response.data)).pages).split()
    )
    assert "Credit note CN-0001 Credit for invoice INV-0007 of Nov 1, 2026 ($1,305.00)." in words
    assert "Returned one laptop" in words
    assert "Laptop 1 $500.00 20% $500.00" in words
    assert "VAT (20 %) on $500.00 $100.00" in words and "Reduced (5 %) on $50.00 $2.50" in words
    assert "Total credited USD $652.50" in words
    assert "Page 1 of 1" in words
    inline = admin_client.get(f"/credit-notes/{note.id}/pdf?inline=1")
    assert inline.headers["Content-Disposition"].startswith("inline;")
    assert inline.data == response.data  # the same credit note gives the same bytes


def test_the_credit_notes_tab(admin_client, taxed, count_queries):
    empty = admin_client.get("/billing/credit-notes")
    assert "No credit notes yet." in text(empty)
    assert '<a href="/billing/credit-notes" aria-current="page">Credit notes</a>' in text(empty)
    other = make_invoice(make_customer(name="Zephyr Labs"), [make_line("Setup", 10000)],
                         number="INV-0008", status=SENT)  # fmt: skip
    make_credit_note(taxed, kind="amount", amount_minor=1000,
                     tax_rate_id=taxed.lines[0].tax_rate_id, reason="R" * 90)  # fmt: skip
    make_credit_note(other, issue_date=date(2026, 12, 2), reason="Cancelled")
    with count_queries() as queries:
        page = admin_client.get("/billing/credit-notes")
    words = squeeze(page)
    assert "CN-0002 Dec 2, 2026 INV-0008 Zephyr Labs Cancelled $100.00" in words
    assert f"CN-0001 Dec 1, 2026 INV-0007 Acme Dental {'R' * 59}… $12.00" in words
    assert words.index("CN-0002") < words.index("CN-0001")  # newest first
    listing = [q for q in queries if "credit_notes" in q]
    assert len(listing) == 1, listing  # one statement for the page
    found = squeeze(admin_client.get("/billing/credit-notes?q=zephyr"))
    assert "CN-0002" in found and "CN-0001" not in found
    assert "CN-0001" in squeeze(admin_client.get("/billing/credit-notes?q=cn-0001"))
    none = admin_client.get("/billing/credit-notes?q=%25_")
    assert "No credit note matches “%_”." in text(none)
    ignored = admin_client.get("/billing/credit-notes?page=99999999999")
    assert ignored.status_code == 200 and "CN-0002" in squeeze(ignored)
    assert "Ignored: page" in squeeze(ignored)


def test_the_tab_pages_by_fifty(admin_client, taxed, count_queries):
    admin_client.get("/billing/credit-notes")  # the worker's caches warm
    with count_queries() as empty:
        admin_client.get("/billing/credit-notes")
    for n in range(51):
        db.session.add(
            CreditNote(number=f"CN-{n:04d}", invoice_id=taxed.id, customer_id=taxed.customer_id,
                       issue_date=date(2026, 12, 1), currency="USD", reason="r", kind="amount",
                       subtotal_minor=1, tax_minor=0, total_minor=1, bill_to_name="Acme")
        )  # fmt: skip
    db.session.commit()
    with count_queries() as full:
        first = text(admin_client.get("/billing/credit-notes"))
    assert len(full) == len(empty)  # 50 rows, no query per row
    assert first.count('id="credit-note-row-') == 50 and "?page=2" in first
    second = text(admin_client.get("/billing/credit-notes?page=2"))
    assert second.count('id="credit-note-row-') == 1 and "CN-0000" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_the_forms_are_csrf_protected(admin_client, paid, taxed, app_config):
    url = f"/invoices/{taxed.id}/credit-notes/new"
    assert admin_client.post(url, data=_form(kind="amount", amount="1")).status_code == 400
    refund = {"refund_date": "2026-12-04", "amount": "1", "method": "bank"}
    assert admin_client.post(f"/credit-notes/{paid.id}/refund", data=refund).status_code == 400
    assert admin_client.post(f"/credit-notes/{paid.id}/send", data={}).status_code == 400
    assert count(CreditNote) == 1 and count(Payment) == 1
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      text(admin_client.get(f"/credit-notes/{paid.id}"))).group(1)  # fmt: skip
    ok = admin_client.post(f"/credit-notes/{paid.id}/refund", data={**refund, "csrf_token": token})
    assert ok.status_code == 302 and count(Payment) == 2


def _settings_form(**overrides) -> dict:
    from tests.http.test_admin_settings import valid_form

    return valid_form(**overrides)


def test_admin_sets_the_credit_note_sequence(admin_client, taxed):
    page = text(admin_client.get("/admin/settings"))
    assert re.search(r'name="credit_note_prefix"[^>]*value="CN-"', page)
    assert re.search(r'name="next_credit_note_number"[^>]*value="1"', page)
    saved = admin_client.post("/admin/settings", data=_settings_form(
        credit_note_prefix="CR/", next_credit_note_number="40"))  # fmt: skip
    assert saved.status_code == 302
    note = make_credit_note(taxed)
    assert note.number == "CR/0040"
    down = admin_client.post("/admin/settings", data=_settings_form(
        credit_note_prefix="CR/", next_credit_note_number="3"))  # fmt: skip
    assert down.status_code == 422
    assert "cannot go below 41" in error_beside(down, "next_credit_note_number")
    bad = admin_client.post("/admin/settings", data=_settings_form(credit_note_prefix="C N"))
    assert bad.status_code == 422 and "no spaces" in error_beside(bad, "credit_note_prefix")
    huge = admin_client.post("/admin/settings", data=_settings_form(
        next_credit_note_number="9" * 20))  # fmt: skip
    assert huge.status_code == 422
    settings = get_settings()
    db.session.refresh(settings)
    assert (settings.credit_note_prefix, settings.next_credit_note_number) == ("CR/", 41)
    # Cleared, the next number is refused beside its field, never silently kept.
    cleared = admin_client.post("/admin/settings", data=_settings_form(
        credit_note_prefix="CR/", next_credit_note_number=""))  # fmt: skip
    assert cleared.status_code == 422 and error_beside(cleared, "next_credit_note_number")
    db.session.refresh(settings)
    assert (settings.credit_note_prefix, settings.next_credit_note_number) == ("CR/", 41)


def test_every_page_needs_a_login(client, taxed):
    note = make_credit_note(taxed)
    urls = [f"/credit-notes/{note.id}", "/billing/credit-notes", f"/credit-notes/{note.id}/pdf",
            f"/invoices/{taxed.id}/credit-notes/new", f"/credit-notes/{note.id}/send"]  # fmt: skip
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert client.post(f"/credit-notes/{note.id}/refund", data={"amount": "1"}).status_code == 302
    assert count(Payment) == 0
