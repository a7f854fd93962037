"""What changed in Xero since a cursor (issue #16), for :meth:`XeroLedger.changes_since`.

Three reads with ``If-Modified-Since`` (ledger_sync.md §2.4): sales invoices (``summaryOnly``:
status and amounts, no lines), payments and customer credit notes, each paged (100 a page)
only while a page comes back full. So a quiet day costs three requests however many invoices
the organisation holds.

The next cursor is Xero's own clock (the ``DateTimeUTC`` of the first answer, else the latest
``UpdatedDateUTC`` seen, else the cursor given) less two minutes: a change saved while the
reads ran, or stamped a little late, is read again rather than missed. Reading a change twice
is harmless; the sync recognises what it already holds by ref.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from billing.ledgers.ledger import Ledger
from billing.ledgers.sync_types import (
    LedgerApplication,
    LedgerChanges,
    LedgerInvoice,
    LedgerPayment,
    ref,
)
from billing.ledgers.xero_money import money_client
from integrations.xero_money import xero_date, xero_datetime

OVERLAP = timedelta(seconds=120)
INVOICE_STATUS = {"PAID": "paid", "VOIDED": "voided", "DELETED": "deleted"}


def changes_since(ledger: Ledger, cursor: str) -> LedgerChanges:
    """See :meth:`Ledger.changes_since`."""
    client = money_client(ledger)
    since = _header(cursor)
    reads = [
        client.changed_since("Invoices", since, {"where": 'Type=="ACCREC"', "summaryOnly": "true"}),
        client.changed_since("Payments", since),
        client.changed_since("CreditNotes", since, {"where": 'Type=="ACCRECCREDIT"'}),
    ]
    invoices, payments, notes = (read.rows for read in reads)
    changes = LedgerChanges(
        invoices=[_invoice(row) for row in invoices if row.get("Type", "ACCREC") == "ACCREC"],
        payments=[_payment(row) for row in payments if row.get("PaymentType") == "ACCRECPAYMENT"],
    )
    changes.payments += [
        _credit(row) for row in notes if row.get("Type", "ACCRECCREDIT") == "ACCRECCREDIT"
    ]
    clock = [moment for read in reads for moment in read.ledger_times]
    stamps = [xero_datetime(row.get("UpdatedDateUTC")) for row in invoices + payments + notes]
    changes.cursor = _next_cursor(cursor, clock, [s for s in stamps if s is not None])
    return changes


def _header(cursor: str) -> str | None:
    """The cursor as Xero's ``If-Modified-Since``: UTC, to the second, no zone."""
    moment = _parse(cursor)
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S")


def _parse(cursor: str) -> datetime | None:
    if not cursor or not cursor.strip():
        return None
    moment = datetime.fromisoformat(cursor.strip().replace("Z", "+00:00"))
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _next_cursor(cursor: str, clock: list[datetime], stamps: list[datetime]) -> str:
    # The first answer's clock: whatever changed after it is read by the next sync.
    moment = min(clock) if clock else (max(stamps) if stamps else _parse(cursor))
    if moment is None:
        return cursor
    return (moment - OVERLAP).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _invoice(row: dict) -> LedgerInvoice:
    return LedgerInvoice(
        external_id=str(row["InvoiceID"]),
        status=INVOICE_STATUS.get(str(row.get("Status") or ""), "open"),
        total=_decimal(row.get("Total")),
        balance=_decimal(row.get("AmountDue")),
    )


def _payment(row: dict) -> LedgerPayment:
    invoice = row.get("Invoice") or {}
    applications = []
    if invoice.get("InvoiceID") and row.get("Amount") is not None:
        applications.append(
            LedgerApplication(str(invoice["InvoiceID"]), Decimal(str(row["Amount"])))
        )
    return LedgerPayment(
        ref=ref("Payment", str(row["PaymentID"])),
        kind="payment",
        date=xero_date(row.get("Date")),
        currency=invoice.get("CurrencyCode") or row.get("CurrencyCode"),
        reference=str(row.get("Reference") or ""),
        applications=applications,
        deleted=row.get("Status") == "DELETED",
    )


def _credit(row: dict) -> LedgerPayment:
    applications = [
        LedgerApplication(str(a["Invoice"]["InvoiceID"]), Decimal(str(a["Amount"])))
        for a in row.get("Allocations") or []
        if (a.get("Invoice") or {}).get("InvoiceID") and a.get("Amount") is not None
    ]
    return LedgerPayment(
        ref=ref("CreditNote", str(row["CreditNoteID"])),
        kind="credit",
        date=xero_date(row.get("Date")),
        currency=row.get("CurrencyCode"),
        reference=str(row.get("CreditNoteNumber") or ""),
        applications=applications,
        deleted=row.get("Status") in ("DELETED", "VOIDED"),
    )
