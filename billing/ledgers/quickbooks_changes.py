"""What changed in QuickBooks Online since a cursor (ledger_sync.md §1.4-1.6).

Normally one Change Data Capture request for invoices, payments and credit memos. CDC reaches
30 days back and answers at most 1,000 objects; for an older cursor, a refused window or a full
answer, paged queries on ``MetaData.LastUpdatedTime`` are used instead: they reach any date but
never list what was deleted (a deleted invoice or payment is then not reported; a voided one
still is). Either way the requests grow with what changed, not with the number of invoices.

The next cursor is the ledger's own clock (the answer's ``time``) less two minutes, so what was
saved there while we read is read again next time rather than missed.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from billing.ledgers.ledger import Ledger
from billing.ledgers.sync_types import (
    LedgerApplication,
    LedgerChanges,
    LedgerInvoice,
    LedgerPayment,
    ref,
)
from clock import utcnow
from integrations.ledger_errors import ValidationRejected

ENTITIES = ("Invoice", "Payment", "CreditMemo")
CDC_DAYS = 29  # CDC covers 30 days; a day's margin for the two clocks
CDC_CAP = 1000  # objects in one CDC answer; a full answer may have left some out
OVERLAP = timedelta(seconds=120)
ZERO = Decimal(0)


def parse_cursor(cursor: str) -> datetime:
    """The cursor as an aware datetime (one without an offset is read as UTC).

    :raise ValueError: not ISO 8601.
    """
    moment = datetime.fromisoformat(cursor.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def changes_since(ledger: Ledger, cursor: str) -> LedgerChanges:
    """Changed invoices and payments (applied credits too) since ``cursor``; the next cursor."""
    since = parse_cursor(cursor)
    text = since.isoformat(timespec="seconds")
    client = ledger.client()
    if utcnow() - since < timedelta(days=CDC_DAYS):
        try:
            answer = client.cdc(ENTITIES, text)
        except ValidationRejected:  # the window refused (too old, too many): query instead
            answer = None
        if answer is not None:
            groups = _groups(answer)
            if sum(len(rows) for rows in groups.values()) < CDC_CAP:
                return _changes(groups, answer.get("time"), since)
    groups, moment = {}, None
    for entity in ("Invoice", "Payment"):
        rows, time = client.changed_rows(entity, text)
        groups[entity], moment = rows, moment or time
    return _changes(groups, moment, since)


def _groups(answer: dict) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for block in answer.get("CDCResponse") or []:
        for response in block.get("QueryResponse") or []:
            for entity in ENTITIES:
                groups.setdefault(entity, []).extend(response.get(entity) or [])
    return groups


def _changes(groups: dict[str, list[dict]], time: str | None, since: datetime) -> LedgerChanges:
    moment = parse_cursor(time) - OVERLAP if time else since
    return LedgerChanges(
        invoices=[ledger_invoice(row) for row in groups.get("Invoice", [])],
        payments=[ledger_payment(row) for row in groups.get("Payment", [])],
        # the ledger's offset kept: QuickBooks compares it with its own stamps
        cursor=moment.isoformat(timespec="seconds"),
    )


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _voided(row: dict) -> bool:
    return _decimal(row.get("TotalAmt")) == ZERO and str(row.get("PrivateNote") or "").startswith(
        "Voided"
    )


def ledger_invoice(row: dict) -> LedgerInvoice:
    """An Invoice of QuickBooks (or its CDC tombstone) as a :class:`LedgerInvoice`."""
    if row.get("status") == "Deleted":
        return LedgerInvoice(external_id=str(row["Id"]), status="deleted")
    total, balance = _decimal(row.get("TotalAmt")), _decimal(row.get("Balance"))
    if _voided(row):
        status = "voided"
    elif balance == ZERO and total is not None and total > ZERO:
        status = "paid"
    else:
        status = "open"
    return LedgerInvoice(
        external_id=str(row["Id"]), status=status, total=total, balance=balance,
        sync_token=None if row.get("SyncToken") is None else str(row["SyncToken"]),
    )  # fmt: skip


def ledger_payment(row: dict) -> LedgerPayment:
    """A Payment of QuickBooks (or its CDC tombstone) as a :class:`LedgerPayment`: a $0 one
    linking a CreditMemo is a credit applied, not money received."""
    name = ref("Payment", str(row["Id"]))
    if row.get("status") == "Deleted":
        return LedgerPayment(name, "payment", _stamp_date(row), None, "", deleted=True)
    links = [
        (str(txn.get("TxnType")), str(txn.get("TxnId")), _decimal(line.get("Amount")) or ZERO)
        for line in row.get("Line") or []
        for txn in line.get("LinkedTxn") or []
    ]
    memos = [txn_id for kind, txn_id, _ in links if kind == "CreditMemo"]
    total = _decimal(row.get("TotalAmt")) or ZERO
    return LedgerPayment(
        ref=name,
        kind="credit" if memos else "payment",
        date=date.fromisoformat(str(row["TxnDate"])) if row.get("TxnDate") else _stamp_date(row),
        currency=(row.get("CurrencyRef") or {}).get("value") or None,
        reference=str(row.get("PaymentRefNum") or ""),
        applications=[LedgerApplication(txn_id, amount)
                      for kind, txn_id, amount in links if kind == "Invoice"],
        deleted=_voided(row) or (total == ZERO and not links),
        credit_ref=ref("CreditMemo", memos[0]) if memos else "",
    )  # fmt: skip


def _stamp_date(row: dict) -> date:
    stamp = (row.get("MetaData") or {}).get("LastUpdatedTime")
    return parse_cursor(stamp).date() if stamp else utcnow().date()
