"""The invoice page: issuer snapshot, bill-to, grouped lines, tax per rate, block balance,
the audit trail, the derived Overdue badge, the logo, and its constant number of queries."""

import html
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa
from PIL import Image

from billing.audit import record_event
from billing.invoices.edit import create_invoice
from billing.invoices.snapshot import recompute_totals
from billing.settings import get_settings
from models import (
    BlockEntryKind,
    BlockLedgerEntry,
    ContractType,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Settings,
    db,
)
from tests.factories import make_contract, make_customer, make_tax_rate, make_ticket


def draft(customer=None, contract=None, **fields):
    """A committed Draft made by the flexible-invoice rule, then given ``fields``."""
    customer = customer or make_customer(name="Acme Dental", address="5 Elm St\nShelbyville")
    invoice = create_invoice(customer, contract, date(2026, 3, 1), None, None)
    for name, value in fields.items():
        setattr(invoice, name, value)
    db.session.commit()
    return invoice


def line(invoice, kind, description, amount, **fields):
    """Append a stored line (as a batch writes them) and recompute the totals."""
    values = dict(quantity=Decimal(1), unit_price_minor=amount, amount_minor=amount)
    values.update(fields)
    invoice.lines.append(InvoiceLine(kind=kind, description=description, **values))
    recompute_totals(invoice)
    db.session.commit()


def page(client, invoice) -> str:
    response = client.get(f"/invoices/{invoice.id}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def document(text: str) -> str:
    """The printable invoice itself, without the navigation (which shows today's settings)."""
    return re.search(r'<article class="card invoice-doc".*?</article>', text, re.S).group(0)


def section(text: str, key: str) -> str:
    return re.search(rf'<tbody class="line-section" id="lines-{key}">(.*?)</tbody>', text, re.S)[1]


def test_issuer_is_the_snapshot_taken_at_creation(admin_client):
    settings = get_settings()
    settings.company_name, settings.address, settings.tax_id = "Old IT Ltd", "1 Old Rd", "OLD-1"
    settings.bank_details, settings.invoice_footer = "IBAN OLD 123", "Old footer, thanks."
    settings.payment_terms_days = 15
    db.session.commit()
    invoice = draft()
    settings = get_settings()
    settings.company_name, settings.address, settings.tax_id = "New IT Ltd", "9 New Ave", "NEW-9"
    settings.bank_details, settings.invoice_footer = "IBAN NEW 999", "New footer."
    settings.payment_terms_days = 60
    db.session.commit()

    doc = document(page(admin_client, invoice))
    for old in ("Old IT Ltd", "1 Old Rd", "Tax ID: OLD-1", "IBAN OLD 123", "Old footer, thanks."):
        assert old in doc
    assert "Payment terms: net 15 days." in doc
    for new in ("New IT Ltd", "9 New Ave", "NEW-9", "IBAN NEW", "New footer", "60 days"):
        assert new not in doc
    assert "Acme Dental" in doc and "5 Elm St" in doc  # the bill-to snapshot
    assert 'data-fact="due-date">Mar 16, 2026<' in doc  # issue date + the terms then (15 days)


def test_header_facts_period_and_status_badge(admin_client):
    invoice = draft(reference="PO-881", notes="Thanks for the quick turnaround.")
    invoice.period_start, invoice.period_end = date(2026, 2, 1), date(2026, 2, 28)
    db.session.commit()
    doc = document(page(admin_client, invoice))
    assert f'data-fact="number">{invoice.number}<' in doc
    assert 'data-fact="issue-date">Mar 1, 2026<' in doc
    assert 'data-fact="currency">USD<' in doc
    assert 'data-fact="period">Feb 1, 2026 – Feb 28, 2026<' in doc
    assert "PO-881" in doc and "Thanks for the quick turnaround." in doc
    assert 'data-status="draft">Draft<' in doc


def test_period_is_left_out_when_not_set(admin_client):
    assert 'data-fact="period"' not in page(admin_client, draft())


@pytest.mark.parametrize(
    ("status", "due", "badge"),
    [
        (InvoiceStatus.SENT, date(2026, 3, 19), "Overdue · 12 days"),
        (InvoiceStatus.EXPORTED, date(2026, 3, 30), "Overdue · 1 day"),
        (InvoiceStatus.DRAFT, date(2026, 1, 31), None),  # never sent: nobody is late paying it
        (InvoiceStatus.PAID, date(2026, 1, 31), None),
        (InvoiceStatus.REFUNDED, date(2026, 1, 31), None),
        (InvoiceStatus.SENT, date(2026, 3, 31), None),  # due today: not late yet
    ],
)
def test_overdue_is_sent_or_exported_past_due_with_its_days_late(
    app, admin_client, status, due, badge
):
    app.config["BILLING_TODAY"] = "2026-03-31"
    invoice = draft(issue_date=date(2026, 1, 1), due_date=due, status=status)
    shown = re.search(
        r'<span class="badge badge-overdue" data-overdue="\d+">([^<]*)</span>',
        page(admin_client, invoice),
    )
    assert (shown.group(1) if shown else None) == badge
    assert invoice.status == status  # shown, never stored


def test_an_emailed_invoice_still_says_it_was_sent_once_exported(admin_client):
    sent_at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    emailed = draft(status=InvoiceStatus.EXPORTED, sent_at=sent_at)
    text = page(admin_client, emailed)
    assert 'data-status="exported"' in text
    assert '<dt>Sent</dt><dd data-fact="sent">Mar 2, 2026</dd>' in text
    marked = draft(make_customer(name="Globex"), status=InvoiceStatus.EXPORTED)  # never emailed
    assert 'data-fact="sent"' not in page(admin_client, marked)


def test_lines_are_grouped_services_tickets_expenses(admin_client):
    contract = make_contract()
    server = make_ticket(contract, title="Server reboot")
    vpn = make_ticket(contract, title="VPN setup")
    invoice = draft(customer=contract.customer, contract=contract)
    line(invoice, LineKind.SERVICE, "Managed IT (March 2026)", 90000)
    line(
        invoice,
        LineKind.TICKET,
        f"#{server.id} Server reboot (1:00 h, included)",
        0,
        ticket_id=server.id,
    )
    line(invoice, LineKind.TIME, f"#{vpn.id} VPN setup: Standard", 25000, ticket_id=vpn.id)
    line(invoice, LineKind.TIME, "Labour: After hours", 18000)
    line(invoice, LineKind.EXPENSE, f"#{vpn.id} Patch cable", 3000, ticket_id=vpn.id)
    line(invoice, LineKind.PRODUCT, "Firewall appliance", 45000)
    line(invoice, LineKind.CUSTOM, "Onboarding", 10000)

    text = page(admin_client, invoice)
    services, tickets, expenses = (section(text, k) for k in ("services", "tickets", "expenses"))
    assert "Managed IT" in services and "Labour: After hours" in services
    assert "Onboarding" in services
    assert tickets.index(f"#{server.id} Server reboot</th>") < tickets.index("(1:00 h, included)")
    assert tickets.index(f"#{vpn.id} VPN setup</th>") < tickets.index("VPN setup: Standard")
    assert "Patch cable" in expenses and "Firewall appliance" in expenses
    assert "Patch cable" not in tickets
    assert text.index('id="lines-services"') < text.index('id="lines-tickets"')
    assert text.index('id="lines-tickets"') < text.index('id="lines-expenses"')
    assert 'data-total="total"><strong>$1,910.00<' in text


def test_quantity_price_discount_tax_and_amount_per_line(admin_client):
    vat = make_tax_rate(name="VAT", percent=Decimal("8.875"))
    invoice = draft()
    line(
        invoice,
        LineKind.CUSTOM,
        "Cabling",
        2975,
        quantity=Decimal("1.500"),
        unit_price_minor=2250,
        discount_minor=400,
        tax_rate_id=vat.id,
        tax_name="VAT",
        tax_percent=Decimal("8.875"),
    )
    row = re.search(r'<tr id="line-\d+".*?</tr>', page(admin_client, invoice), re.S).group(0)
    cells = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[:4] == ["Cabling", "1.5", "$22.50", "$4.00"]
    assert cells[4] == "VAT (8.875 %)"
    assert cells[5] == "$29.75"


def test_a_tax_whose_name_states_its_rate_shows_the_rate_once(admin_client):
    hardware = make_tax_rate(name="Hardware tax 6.5%", percent=Decimal("6.5"))
    invoice = draft()
    line(
        invoice,
        LineKind.CUSTOM,
        "Router",
        20000,
        tax_rate_id=hardware.id,
        tax_name=hardware.name,
        tax_percent=hardware.percent,
    )
    text = page(admin_client, invoice)
    row = re.search(r'<tr id="line-\d+".*?</tr>', text, re.S).group(0)
    assert '<td data-label="Tax">Hardware tax 6.5%</td>' in row
    assert "Hardware tax 6.5% on $200.00</th>" in text
    assert "(6.5 %)" not in text


def test_tax_is_summed_per_rate_and_rounded_once(admin_client):
    low = make_tax_rate(name="Reduced", percent=Decimal(5))
    high = make_tax_rate(name="Standard", percent=Decimal(20))
    invoice = draft()
    for _ in range(3):  # 5 % of 0.10 is 0.005 on each line, 0.015 -> 0.02 on their sum
        line(
            invoice,
            LineKind.CUSTOM,
            "Sticker",
            10,
            tax_rate_id=low.id,
            tax_name="Reduced",
            tax_percent=Decimal(5),
        )
    line(
        invoice,
        LineKind.CUSTOM,
        "Support",
        4999,
        tax_rate_id=high.id,
        tax_name="Standard",
        tax_percent=Decimal(20),
    )
    line(invoice, LineKind.CUSTOM, "Untaxed", 1000)
    text = page(admin_client, invoice)
    assert 'data-total="subtotal">$60.29<' in text
    assert "Reduced (5 %) on $0.30" in text and 'data-total="tax-Reduced">$0.02<' in text
    assert "Standard (20 %) on $49.99" in text and 'data-total="tax-Standard">$10.00<' in text
    assert 'data-total="total"><strong>$70.31<' in text


@pytest.mark.parametrize("kind", [ContractType.BLOCK_HOURS, ContractType.BLOCK_MONEY])
def test_block_balance_sums_the_ledger_up_to_the_period_end(admin_client, kind):
    contract = make_contract(type=kind, block_minutes=600, block_amount_minor=100000, rates=[])
    invoice = draft(customer=contract.customer, contract=contract)
    invoice.period_start, invoice.period_end = date(2026, 2, 1), date(2026, 2, 28)
    moves = [
        (date(2026, 1, 1), BlockEntryKind.PURCHASE, 600, 100000),
        (date(2026, 2, 10), BlockEntryKind.USAGE, -90, -18750),
        (date(2026, 2, 28), BlockEntryKind.USAGE, -60, -12500),
        (date(2026, 3, 5), BlockEntryKind.USAGE, -300, -50000),  # after the period: left out
    ]
    for day, entry_kind, minutes, amount in moves:
        db.session.add(
            BlockLedgerEntry(
                contract_id=contract.id,
                entry_date=day,
                kind=entry_kind,
                minutes=minutes,
                amount_minor=amount,
            )
        )
    db.session.commit()
    text = page(admin_client, invoice)
    balance = re.search(r'data-block="balance">([^<]+)<', text).group(1)
    assert balance == ("7:30 h" if kind == ContractType.BLOCK_HOURS else "$687.50")
    assert "as of Feb 28, 2026" in text


def test_no_block_balance_for_other_contracts(admin_client):
    contract = make_contract()
    assert 'id="block-balance"' not in page(admin_client, draft(contract.customer, contract))


def test_audit_trail_lists_who_what_from_to_and_why(admin_client, admin):
    invoice = draft()
    record_event(
        invoice,
        admin,
        "status",
        "Customer disputed the hours",
        from_status=InvoiceStatus.SENT,
        to_status=InvoiceStatus.DRAFT,
    )
    db.session.commit()
    text = page(admin_client, invoice)
    trail = re.search(r'id="invoice-events".*?</section>', text, re.S).group(0)
    rows = re.findall(r'<tr id="event-\d+" data-event="(\w+)">(.*?)</tr>', trail, re.S)
    assert [kind for kind, _ in rows] == ["created", "status"]
    assert "System" in rows[0][1] and "Created by hand." in rows[0][1]
    assert "Ada Admin" in rows[1][1] and "Sent → Draft" in rows[1][1]
    assert "Customer disputed the hours" in rows[1][1]


def test_technician_reads_the_page_without_any_control(billing_tech_client):
    invoice = draft()
    line(invoice, LineKind.CUSTOM, "Onboarding", 10000)
    text = page(billing_tech_client, invoice)
    assert "Onboarding" in text and "History" in text
    for control in ("Add line", '/edit"', '/delete"', '/status"', '/header"', "Mark sent"):
        assert control not in text


def test_admin_sees_edit_controls_and_allowed_status_buttons_on_a_draft(admin_client):
    text = page(admin_client, draft())
    assert "Add line" in text and "Edit due date, reference and notes" in text
    assert "Mark sent" in text and "Mark paid" in text and "Mark exported" in text
    assert "Mark refunded" not in text and "Back to Draft" not in text


def test_a_missing_invoice_is_404(admin_client):
    assert admin_client.get("/invoices/999999").status_code == 404


def _png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (3, 2), (10, 20, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def test_logo_is_shown_live_and_served_to_any_user(admin_client, billing_tech_client):
    tech_client = billing_tech_client
    invoice = draft()
    assert "invoice-logo" not in page(admin_client, invoice)
    assert tech_client.get("/invoices/logo").status_code == 404
    settings = db.session.get(Settings, 1)
    settings.logo, settings.logo_mimetype = _png(), "image/png"
    db.session.commit()
    assert 'src="/invoices/logo"' in page(admin_client, invoice)
    response = tech_client.get("/invoices/logo")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == _png() and response.headers["X-Content-Type-Options"] == "nosniff"


def _filled(count: int):
    contract = make_contract(type=ContractType.BLOCK_HOURS, block_minutes=600, rates=[])
    tax = make_tax_rate()
    tickets = [make_ticket(contract) for _ in range(3)]
    invoice = draft(customer=contract.customer, contract=contract)
    kinds = [LineKind.SERVICE, LineKind.TIME, LineKind.TICKET, LineKind.EXPENSE, LineKind.CUSTOM]
    rows = [
        {
            "invoice_id": invoice.id,
            "position": i,
            "kind": kinds[i % 5],
            "description": f"L{i}",
            "quantity": Decimal(1),
            "unit_price_minor": 100,
            "discount_minor": 0,
            "amount_minor": 100,
            "tax_rate_id": tax.id,
            "tax_name": tax.name,
            "tax_percent": tax.percent,
            "ticket_id": tickets[i % 3].id if i % 5 in (1, 2) else None,
        }
        for i in range(count)
    ]
    db.session.execute(sa.insert(InvoiceLine), rows)
    for i in range(count // 10):
        record_event(invoice, None, "edited", f"edit {i}")
    db.session.commit()
    return invoice


def test_page_query_count_does_not_grow_with_lines(admin_client, count_queries):
    small, large = _filled(5), _filled(300)
    page(admin_client, small)  # warm up (settings row, first-request work)
    counts = []
    for invoice in (small, large):
        with count_queries() as log:
            text = page(admin_client, invoice)
        counts.append(len(log))
    assert "L299" in text
    assert counts[0] == counts[1], counts
