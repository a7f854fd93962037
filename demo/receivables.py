"""Demo receivables: the demo's two oldest months billed, sent and mostly paid, so that a new
user sees every state of getting paid at once.

The oldest whole month is billed on the first day of the next one and the second on the first
day of the month after; the last whole month is left for the user to bill. Most invoices are
paid in full; one is partly paid, one was overpaid (the rest is the customer's credit), some
are overdue, and one has a credit note by lines; the usual reminder schedule is set up.
Everything goes through the same functions as the pages (batches, status, payments, credit
notes), so the figures hold together.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from billing.batches.preview import BatchRequest
from billing.batches.store import save_batch
from billing.credit_notes.issue import issue_credit_note
from billing.invoices.status import change_status
from billing.payments.store import record_payment
from billing.reminders.schedule import use_usual_schedule
from demo.build import month_start
from models import Invoice, InvoiceStatus, PaymentMethod, User, db

METHODS = (PaymentMethod.BANK, PaymentMethod.BANK, PaymentMethod.CARD, PaymentMethod.CHEQUE)


@dataclass
class Receivables:
    """What the demo billed and collected, counted for the summary line."""

    invoices: int = 0
    payments: int = 0
    credit_notes: int = 0
    states: set[str] = field(default_factory=set)

    def summary(self) -> str:
        """One line for the command line."""
        return (
            f"Billed: {self.invoices} invoices, {self.payments} payments, "
            f"{self.credit_notes} credit note{'s' if self.credit_notes != 1 else ''}."
        )


def seed_receivables(today: date, user: User | None = None) -> Receivables:
    """Bill the demo's two oldest whole months, send the invoices, and record payments, an
    overpayment and a credit note; nothing is committed here. Needs :func:`seed_demo` first."""
    made = Receivables()
    older = _bill(month_start(today, 3), month_start(today, 2), user)
    newer = _bill(month_start(today, 2), month_start(today, 1), user)
    made.invoices = len(older) + len(newer)
    for invoice in older + newer:
        change_status(invoice, InvoiceStatus.SENT, user, "Sent (demo data).")
        if invoice.total_minor == 0:
            change_status(invoice, InvoiceStatus.PAID, user, "Nothing to pay (demo data).")
    made.payments += _collect(older, today, user, late=True)
    made.payments += _collect(newer, today, user, late=False)
    made.credit_notes = _credit_one_line(newer, today, user)
    use_usual_schedule()  # 7, 14 and 30 days past due: `flask reminders send` has work to do
    return made


def _bill(start: date, issued: date, user: User | None) -> list[Invoice]:
    """A batch for [start, issued - 1 day], issued on ``issued``."""
    batch = save_batch(BatchRequest(start, issued - timedelta(days=1)), user, issued)
    db.session.flush()
    return sorted(batch.invoices, key=lambda invoice: invoice.number)


def _credit_one_line(invoices: list[Invoice], today: date, user: User | None) -> int:
    """A credit note for the last line of the first open invoice with several lines (a
    technician's visit the customer disputed)."""
    for invoice in invoices:
        if invoice.owed_minor > 0 and len(invoice.lines) > 1 and invoice.lines[-1].amount_minor:
            line = invoice.lines[-1]
            issue_credit_note(
                invoice, kind="lines", reason="Visit billed twice; credited in full.",
                user=user, issue_date=min(today, invoice.issue_date + timedelta(days=20)),
                lines={line.id: line.quantity},
            )  # fmt: skip
            return 1
    return 0


def _collect(invoices: list[Invoice], today: date, user: User | None, *, late: bool) -> int:
    """Payments for one month's invoices: the older month is nearly all paid (one partly,
    one overpaid, one not at all, so overdue); the newer one about half."""
    count = 0
    for index, invoice in enumerate(invoices):
        paid_on = min(today, invoice.issue_date + timedelta(days=12 + index % 9))
        method = METHODS[index % len(METHODS)]
        reference = f"DEMO-{invoice.number}"
        if late:
            share = {0: None, 1: "partial", 2: "over"}.get(index, "full")
        else:
            share = "full" if index % 2 else None
        if share is None or invoice.balance_minor == 0:
            continue
        amount = invoice.total_minor
        if share == "partial":
            amount = invoice.total_minor * 6 // 10
        elif share == "over":
            amount = invoice.total_minor + 100_00
        if amount <= 0:
            continue
        # Applied to this invoice only: an overpayment stays as the customer's credit.
        applied = {invoice.id: min(amount, invoice.balance_minor)}
        record_payment(
            invoice.customer, paid_on, amount, invoice.currency, method, reference, "",
            applied, user,
        )  # fmt: skip
        count += 1
    return count
