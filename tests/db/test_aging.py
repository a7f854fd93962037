"""Receivables aging with the database: balances as of a past day (payments, credit notes and
invoices dated after it do not count; an invoice settled after it is owed on it), Drafts never
owed, currencies never mixed, the drill-down's invoices, and one statement whatever the rows."""

from datetime import date

import pytest

from billing.reports.aging import aging_report, open_invoices
from models import Invoice, InvoiceStatus, PaymentApplication, db
from tests.factories import make_credit_note, make_customer, make_invoice, make_line, make_payment

SENT, PAID, DRAFT = InvoiceStatus.SENT, InvoiceStatus.PAID, InvoiceStatus.DRAFT
PAST, NOW = date(2026, 11, 30), date(2026, 12, 3)


def _invoice(customer, total: int, issued: date, due: date, status=SENT, **fields) -> Invoice:
    return make_invoice(customer, [make_line("Support", total)], status=status,
                        issue_date=issued, due_date=due, **fields)  # fmt: skip


@pytest.fixture
def book(app):
    """Acme (USD) and Zeta (EUR), with invoices in every state the report must tell apart."""
    acme = make_customer(name="Acme Dental", currency="USD")
    zeta = make_customer(name="Zeta GmbH", currency="EUR")
    part_paid = _invoice(acme, 100000, date(2026, 9, 1), date(2026, 10, 1))
    make_payment(acme, 30000, {part_paid.id: 30000}, payment_date=date(2026, 11, 15))
    paid_later = _invoice(acme, 50000, date(2026, 10, 1), date(2026, 10, 31))
    make_payment(acme, 50000, {paid_later.id: 50000}, payment_date=date(2026, 12, 2))
    issued_later = _invoice(acme, 20000, date(2026, 12, 1), date(2026, 12, 31))
    _invoice(acme, 99900, date(2026, 9, 1), date(2026, 10, 1), status=DRAFT)
    credited_later = _invoice(acme, 40000, date(2026, 8, 1), date(2026, 8, 31))
    make_credit_note(
        credited_later,
        kind="amount",
        amount_minor=10000,
        issue_date=date(2026, 12, 1),
        reason="Goodwill",
    )
    settled_long_ago = _invoice(acme, 7000, date(2026, 9, 1), date(2026, 9, 30))
    make_payment(acme, 7000, {settled_long_ago.id: 7000}, payment_date=date(2026, 10, 15))
    euro = _invoice(zeta, 12345, date(2026, 11, 1), date(2026, 11, 30))
    return dict(acme=acme, zeta=zeta, part_paid=part_paid, paid_later=paid_later,
                issued_later=issued_later, credited_later=credited_later,
                settled_long_ago=settled_long_ago, euro=euro)  # fmt: skip


def test_the_settled_invoices_are_paid_and_dated(book):
    assert book["paid_later"].status == PAID and book["paid_later"].settled_on == date(2026, 12, 2)
    assert book["settled_long_ago"].settled_on == date(2026, 10, 15)


def test_as_of_a_past_day_only_what_was_dated_by_then_counts(book):
    report = aging_report(PAST)
    assert [g.currency for g in report.currencies] == ["EUR", "USD"]
    eur, usd = report.currencies
    (acme,) = usd.rows
    # part paid: 1,000.00 - 300.00 paid on Nov 15, due Oct 1: 60 days late;
    # paid on Dec 2 (after the day): 500.00 still owed, due Oct 31: 30 days late;
    # credited on Dec 1 (after the day): 400.00 owed, due Aug 31: 91 days late;
    # issued on Dec 1, the Draft and the one settled on Oct 15: not there.
    assert acme.amounts == {"current": 0, "1-30": 50000, "31-60": 70000, "61-90": 0,
                            "over-90": 40000}  # fmt: skip
    assert acme.total_minor == 160000 and acme.invoices == 3
    assert eur.rows[0].customer_name == "Zeta GmbH" and eur.totals["current"] == 12345


def test_today_the_payments_and_credit_notes_since_count(book):
    usd = aging_report(NOW).currencies[1]
    (acme,) = usd.rows
    # part paid: 700.00, 63 days; credited: 300.00, 94 days; issued Dec 1: 200.00, current.
    assert acme.amounts == {"current": 20000, "1-30": 0, "31-60": 0, "61-90": 70000,
                            "over-90": 30000}  # fmt: skip
    assert usd.total_minor == 120000


def test_an_invoice_settled_after_the_day_is_owed_with_its_balance_then(book):
    early = {i.number: i.balance_minor for i in open_invoices(date(2026, 10, 14))}
    assert early[book["settled_long_ago"].number] == 7000
    assert book["paid_later"].number in early and book["issued_later"].number not in early
    assert book["settled_long_ago"].number not in {
        i.number for i in open_invoices(date(2026, 10, 15))
    }


def test_a_release_by_a_credit_note_counts_on_its_day(book):
    """A negative application (payment released by a credit note) on Dec 2 makes the invoice
    owe again from that day, not before."""
    invoice = book["part_paid"]
    payment_id = (
        db.session.query(PaymentApplication.payment_id).filter_by(invoice_id=invoice.id).scalar()
    )
    release = PaymentApplication(
        payment_id=payment_id, invoice_id=invoice.id, amount_minor=-5000,
        applied_on=date(2026, 12, 2),
    )  # fmt: skip
    db.session.add(release)
    db.session.commit()
    balances = lambda day: {i.id: i.balance_minor for i in open_invoices(day)}  # noqa: E731
    assert balances(date(2026, 12, 1))[invoice.id] == 70000
    assert balances(date(2026, 12, 2))[invoice.id] == 75000


def test_the_drill_down_narrows_to_customer_currency_and_bucket(book):
    acme = book["acme"]
    over = open_invoices(NOW, acme.id, "USD", "over-90")
    assert [(i.number, i.balance_minor) for i in over] == [(book["credited_later"].number, 30000)]
    assert open_invoices(NOW, acme.id, "EUR") == []
    everyone = open_invoices(PAST, None, "USD", "total")
    assert [i.number for i in everyone] == [
        book["credited_later"].number,
        book["part_paid"].number,
        book["paid_later"].number,
    ]  # oldest due first


def test_one_statement_whatever_the_number_of_invoices(app, count_queries):
    customer = make_customer(name="Many Ltd")
    _invoice(customer, 1000, date(2026, 9, 1), date(2026, 10, 1))
    with count_queries() as few:
        aging_report(NOW)
    for n in range(20):
        other = make_customer(name=f"Other {n}")
        invoice = _invoice(other, 5000 + n, date(2026, 9, 1), date(2026, 10, 1 + n))
        make_payment(other, 1000, {invoice.id: 1000}, payment_date=date(2026, 11, 2))
    with count_queries() as many:
        report = aging_report(NOW)
    assert len(report.rows) == 21
    assert len(many) == len(few) == 1


def test_the_benchmark_history_agrees_with_itself_and_the_report(app):
    """bench/aging_data.py writes what the app would have: paid amounts that are the sum of the
    applications, a settled day on each paid invoice, and the open ones the report finds."""
    import sqlalchemy as sa

    from bench.aging_data import generate_aging

    counts = generate_aging(3000, 6500, NOW)
    assert (counts.invoices, counts.customers) == (3000, 1000)
    assert counts.payments == counts.applications >= 4000
    applied = (
        sa.select(PaymentApplication.invoice_id, sa.func.sum(PaymentApplication.amount_minor))
        .group_by(PaymentApplication.invoice_id)
    )  # fmt: skip
    paid = dict(db.session.execute(applied).all())
    for invoice in db.session.scalars(sa.select(Invoice)):
        assert invoice.paid_minor == paid.get(invoice.id, 0), invoice.number
        assert (invoice.settled_on is not None) == (invoice.status == PAID)
        assert invoice.balance_minor == (0 if invoice.status == PAID else invoice.balance_minor)
    assert sum(row.invoices for row in aging_report(NOW).rows) == counts.open_invoices
