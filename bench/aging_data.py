"""The receivables of an MSP for the aging benchmark: a fixed set of customers, one invoice each
per month, a history as long as the scale asks for, written with bulk inserts.

An MSP's receivables follow its customers, not its history: the newest month's invoices are
mostly open (some partly paid), a tenth of the month before is still owed, one in a hundred of
the three months before that is overdue, and everything older was paid in two instalments (a
third for some, to reach the payment count asked for), a few with a credit note. So the open
set is about the same at 1,000 invoices as at 100,000; only the settled history grows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bench.gen_db import analyze, fast_load, fix_sequences, insert_rows
from models import CreditNote, Customer, Invoice, Payment, PaymentApplication, Settings, db

CUSTOMERS = 1_000
CURRENCIES = (("USD", 0.90), ("EUR", 0.07), ("GBP", 0.03))
TERMS = 30  # days from issue to due
# Of the invoices issued n months before the newest: the share still owed on the day measured.
STILL_OWED = {0: 0.95, 1: 0.10, 2: 0.01, 3: 0.01, 4: 0.01}
PARTLY_PAID = 0.15  # of those owed: part of it paid
CREDITED = 0.005  # of the invoices: a credit note of a tenth of the total


@dataclass(frozen=True)
class AgingCounts:
    """What was written."""

    customers: int
    invoices: int
    open_invoices: int
    payments: int
    applications: int
    credit_notes: int


def months_back(newest: date, n: int) -> date:
    """The first day of the month ``n`` months before ``newest``'s."""
    year, month = divmod(newest.year * 12 + newest.month - 1 - n, 12)
    return date(year, month + 1, 1)


def generate_aging(invoices: int, payments: int, today: date, seed: int = 7) -> AgingCounts:
    """Fill the empty, migrated database of the app context; commit. ``invoices`` is rounded
    down to whole months of ``CUSTOMERS`` invoices; ``payments`` is reached if the settled
    history is long enough (two per settled invoice, a third for some)."""
    rng = random.Random(seed)
    months = max(1, invoices // CUSTOMERS)
    newest = today.replace(day=1)
    yesterday = today - timedelta(days=1)  # nothing is paid in the future
    now = datetime.now(UTC)
    currencies = [rng.choices([c for c, _ in CURRENCIES], [w for _, w in CURRENCIES])[0]
                  for _ in range(CUSTOMERS)]  # fmt: skip
    invoice_rows, payment_rows, application_rows, note_rows = [], [], [], []
    settled_ids: list[tuple[int, int, int, date, str]] = []
    open_count = 0
    invoice_id = 0
    for n in reversed(range(months)):
        issued = months_back(newest, n)
        due = issued + timedelta(days=TERMS)
        for customer in range(1, CUSTOMERS + 1):
            invoice_id += 1
            currency = currencies[customer - 1]
            total = rng.randrange(20_000, 800_000)
            owed = rng.random() < STILL_OWED.get(n, 0.0)
            paid, settled_on, status = 0, None, "sent"
            if owed:
                open_count += 1
                if rng.random() < PARTLY_PAID:
                    paid = total // 3
                    _pay(payment_rows, application_rows, customer, invoice_id, paid,
                         issued + timedelta(days=2), currency, now)  # fmt: skip
            else:
                paid, status = total, "paid"
                settled_on = min(issued + timedelta(days=25), yesterday)
                settled_ids.append((invoice_id, customer, total, issued, currency))
            invoice_rows.append((
                invoice_id, f"INV-{invoice_id:07d}", customer, issued, due, currency, status, "",
                "", f"Customer {customer:04d}", "", "", {}, total, 0, total, paid, 0, settled_on,
                now, now,
            ))  # fmt: skip
    credited = {}
    for iid, customer, total, issued, currency in rng.sample(
        settled_ids, int(len(settled_ids) * CREDITED)
    ):
        amount = total // 10
        credited[iid] = amount
        day = min(issued + timedelta(days=20), yesterday)
        note_rows.append((len(note_rows) + 1, f"CN-{len(note_rows) + 1:06d}", iid, customer, day,
                          currency, "Goodwill", "amount", amount, 0, amount, 0,
                          f"Customer {customer:04d}", "", "", {}, now))  # fmt: skip
    extra = max(0, payments - len(payment_rows) - 2 * len(settled_ids))
    for position, (iid, customer, total, issued, currency) in enumerate(settled_ids):
        parts = 3 if position < extra else 2
        total -= credited.get(iid, 0)  # a credited invoice was paid its total less the credit
        share = total // parts
        for k in range(parts):
            amount = share if k < parts - 1 else total - share * (parts - 1)
            day = min(issued + timedelta(days=25 - 5 * (parts - 1 - k)), yesterday)
            _pay(payment_rows, application_rows, customer, iid, amount, day, currency, now)
    if credited:
        invoice_rows = [_credited(row, credited.get(row[0], 0)) for row in invoice_rows]
    with fast_load():
        db.session.add(Settings(id=1, company_name="Bench MSP"))
        db.session.flush()
        insert_rows(Customer.__table__, CUSTOMER_COLUMNS, (
            (c, f"Customer {c:04d}", f"ap@customer{c}.example.com", "", False, "contract",
             currencies[c - 1], True, "", False, now) for c in range(1, CUSTOMERS + 1)
        ))  # fmt: skip
        insert_rows(Invoice.__table__, INVOICE_COLUMNS, invoice_rows)
        insert_rows(Payment.__table__, PAYMENT_COLUMNS, payment_rows)
        insert_rows(PaymentApplication.__table__, APPLICATION_COLUMNS, application_rows)
        insert_rows(CreditNote.__table__, NOTE_COLUMNS, note_rows)
        fix_sequences(m.__table__ for m in (Customer, Invoice, Payment, PaymentApplication,
                                            CreditNote))  # fmt: skip
        db.session.commit()
    analyze()
    return AgingCounts(CUSTOMERS, len(invoice_rows), open_count, len(payment_rows),
                       len(application_rows), len(note_rows))  # fmt: skip


def _pay(payments: list, applications: list, customer: int, invoice_id: int, amount: int,
         day: date, currency: str, now: datetime) -> None:  # fmt: skip
    pid = len(payments) + 1
    payments.append((pid, customer, day, amount, currency, "bank", "in", f"T{pid}", "", now, ""))
    applications.append((pid, pid, invoice_id, amount, day, now))


def _credited(row: tuple, amount: int) -> tuple:
    if not amount:
        return row
    values = list(row)
    values[INVOICE_COLUMNS.index("paid_minor")] -= amount
    values[INVOICE_COLUMNS.index("credited_minor")] = amount
    return tuple(values)


CUSTOMER_COLUMNS = ("id", "name", "billing_emails", "address", "tax_exempt", "invoice_grouping",
                    "currency", "active", "notes", "reminders_opt_out", "created_at")  # fmt: skip
INVOICE_COLUMNS = ("id", "number", "customer_id", "issue_date", "due_date", "currency", "status",
                   "reference", "notes", "bill_to_name", "bill_to_address", "bill_to_emails",
                   "issuer", "subtotal_minor", "tax_minor", "total_minor", "paid_minor",
                   "credited_minor", "settled_on", "created_at", "updated_at")  # fmt: skip
PAYMENT_COLUMNS = ("id", "customer_id", "payment_date", "amount_minor", "currency", "method",
                   "direction", "reference", "note", "created_at", "delete_reason")  # fmt: skip
APPLICATION_COLUMNS = ("id", "payment_id", "invoice_id", "amount_minor", "applied_on",
                       "created_at")  # fmt: skip
NOTE_COLUMNS = ("id", "number", "invoice_id", "customer_id", "issue_date", "currency", "reason",
                "kind", "subtotal_minor", "tax_minor", "total_minor", "released_minor",
                "bill_to_name", "bill_to_address", "bill_to_emails", "issuer",
                "created_at")  # fmt: skip
