"""Deleting in the ledger the copies of payments and refunds deleted here since they were sent
(we win for money recorded here, as the ledger wins for money recorded there).

A copy already gone there (deleted there by hand) counts as done. QuickBooks: the current
SyncTokens are read in one query per 100, then the deletes go 30 a batch request; Xero deletes
one payment a request (it has no batch form for it) and reads one back only when it refuses.
"""

from collections import defaultdict

from billing.ledgers.ledger import Ledger, chunked, group_key
from integrations import quickbooks as qbo
from integrations.ledger_errors import LedgerError, NotFound, ValidationRejected
from models import LedgerRecord

IDS_PER_QUERY = 100

Outcome = LedgerError | None


def _split(ref: str) -> tuple[str, str]:
    kind, _, external_id = ref.partition("/")
    return kind, external_id


def delete_in_quickbooks(ledger: Ledger, records: list[LedgerRecord]) -> dict[int, Outcome]:
    """Delete each record's Payment or RefundReceipt in QuickBooks; ``{record id: None or the
    error}``."""
    client = ledger.client()
    wanted: dict[str, list[str]] = defaultdict(list)
    for record in records:
        for item in record.refs:
            kind, external_id = _split(item.ref)
            wanted[kind].append(external_id)
    tokens: dict[tuple[str, str], str] = {}
    for kind, ids in wanted.items():
        for chunk in chunked(sorted(set(ids)), IDS_PER_QUERY):
            quoted = ", ".join(f"'{i}'" for i in chunk if i.isdigit())
            if not quoted:
                continue
            rows = client.query(f"select * from {kind} where Id in ({quoted})").get(kind, [])
            tokens.update({(kind, str(r["Id"])): str(r["SyncToken"]) for r in rows})
    items, owners = [], []
    for record in records:
        for item in record.refs:
            kind, external_id = _split(item.ref)
            token = tokens.get((kind, external_id))
            if token is not None:  # else already gone there
                body = {"Id": external_id, "SyncToken": token}
                items.append({"bId": str(len(items)), "operation": "delete", kind: body})
                owners.append(record.id)
    results: dict[int, Outcome] = {record.id: None for record in records}
    for start in range(0, len(items), qbo.BATCH_LIMIT):
        chunk = items[start : start + qbo.BATCH_LIMIT]
        key = group_key("delete", *(f"{i['bId']}:{owners[int(i['bId'])]}" for i in chunk))
        answers = client.batch(chunk, request_id=key)
        for item in chunk:
            answer = answers.get(item["bId"])
            owner = owners[int(item["bId"])]
            if answer is None or not answer.ok:
                results[owner] = (
                    answer.error
                    if answer is not None
                    else ValidationRejected(
                        "QuickBooks did not answer for this item", provider="quickbooks"
                    )
                )
    return results


def delete_in_xero(ledger: Ledger, records: list[LedgerRecord]) -> dict[int, Outcome]:
    """Delete each record's payments in Xero; ``{record id: None or the error}``."""
    from billing.ledgers.xero_money import money_client  # Xero's half: only for Xero

    client = money_client(ledger)
    results: dict[int, Outcome] = {}
    for record in records:
        results[record.id] = None
        for item in record.refs:
            _, payment_id = _split(item.ref)
            try:
                client.delete_payment(payment_id)
            except NotFound:
                continue  # gone there already
            except ValidationRejected as refused:  # e.g. deleted there already
                if client.payment_status(payment_id) != "DELETED":
                    results[record.id] = refused
    return results
