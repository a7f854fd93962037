"""Sending credit applied here, after a payment was sent, from that payment's unapplied part
(the customer page's "Apply credit to open invoices").

QuickBooks kept the unapplied part on the Payment (``UnappliedAmt``): the Payment is updated,
sparsely, with all its lines (QuickBooks replaces lines as a whole) and its current SyncToken.
Xero never had it (only applied money is sent there): the newly applied amounts go as new
payments, one per invoice.
"""

from billing.ledgers.ledger import Ledger, chunked, group_key
from billing.ledgers.sync_types import MoneyRefs, Sent, applied_amounts, ref
from billing.money import from_minor
from integrations import quickbooks as qbo
from integrations.ledger_errors import LedgerError, NotSent, ValidationRejected
from models import LedgerRecord, Payment

IDS_PER_QUERY = 100
Result = Sent | LedgerError
Item = tuple[LedgerRecord, Payment]


def sent_applied(payment: Payment, refs: MoneyRefs) -> dict[str, int]:
    """What ``payment`` has applied to invoices in the ledger (as stored on its record)."""
    return {str(k): v for k, v in applied_amounts(payment).items() if k in refs.invoices}


def update_in_quickbooks(ledger: Ledger, items: list[Item], refs: MoneyRefs) -> dict[int, Result]:
    """Each payment's QuickBooks Payment, its lines as applied now; ``{record id: Sent or
    LedgerError}``."""
    client = ledger.client()
    ids = [r.ref.split("/", 1)[1] for record, _ in items for r in record.refs[:1]]
    tokens: dict[str, str] = {}
    for chunk in chunked(sorted(i for i in set(ids) if i.isdigit()), IDS_PER_QUERY):
        quoted = ", ".join(f"'{i}'" for i in chunk)
        rows = client.query(f"select * from Payment where Id in ({quoted})").get("Payment", [])
        tokens.update({str(r["Id"]): str(r["SyncToken"]) for r in rows})
    results: dict[int, Result] = {}
    batch, owners = [], {}
    for record, payment in items:
        external_id = record.refs[0].ref.split("/", 1)[1] if record.refs else ""
        if external_id not in tokens:
            results[record.id] = NotSent(
                f"Payment #{payment.id} is no longer in QuickBooks: its new application was "
                "not sent.", "payment_gone", provider="quickbooks",
            )  # fmt: skip
            continue
        lines = [
            {"Amount": from_minor(amount, payment.currency),
             "LinkedTxn": [{"TxnId": refs.invoices[int(invoice_id)], "TxnType": "Invoice"}]}
            for invoice_id, amount in sorted(sent_applied(payment, refs).items())
        ]  # fmt: skip
        total = from_minor(payment.amount_minor, payment.currency)
        body = {"Id": external_id, "SyncToken": tokens[external_id], "sparse": True,
                "TotalAmt": total, "Line": lines}  # fmt: skip
        bid = str(len(batch))
        batch.append({"bId": bid, "operation": "update", "Payment": body})
        owners[bid] = record
    for chunk in chunked(batch, qbo.BATCH_LIMIT):
        key = group_key("reapply", *(f"{owners[i['bId']].id}:{i['Payment']['SyncToken']}"
                                     for i in chunk))  # fmt: skip
        answers = client.batch(list(chunk), request_id=key)
        for item in chunk:
            record, answer = owners[item["bId"]], answers.get(item["bId"])
            if answer is not None and answer.ok:
                results[record.id] = Sent(refs=[r.ref for r in record.refs])
            else:
                results[record.id] = (
                    answer.error
                    if answer is not None
                    else ValidationRejected(
                        "QuickBooks did not answer for this payment", provider="quickbooks"
                    )
                )
    return results


def update_in_xero(ledger: Ledger, items: list[Item], refs: MoneyRefs) -> dict[int, Result]:
    """For each payment, a new Xero payment per invoice for what it applies there beyond what
    was sent; ``{record id: Sent (all its payments) or LedgerError}``."""
    from billing.ledgers.xero_money import NO_BANK, money_client  # Xero's half: only for Xero

    if not refs.bank_account:
        return {r.id: NotSent(NO_BANK, "no_bank_account", provider="xero") for r, _ in items}
    client = money_client(ledger)
    results: dict[int, Result] = {}
    for record, payment in items:
        before = record.applied or {}
        day = max(a.applied_on for a in payment.applications if a.amount_minor > 0)
        elements = [
            {"Invoice": {"InvoiceID": refs.invoices[int(invoice_id)]},
             "Account": {"AccountID": refs.bank_account}, "Date": day.isoformat(),
             "Amount": from_minor(amount - before.get(invoice_id, 0), payment.currency),
             "Reference": payment.reference or ""}
            for invoice_id, amount in sorted(sent_applied(payment, refs).items())
            if amount > before.get(invoice_id, 0)
        ]  # fmt: skip
        key = group_key("reapply", str(record.id), *(f"{e['Invoice']['InvoiceID']}:{e['Amount']}"
                                                       for e in elements))  # fmt: skip
        try:
            made = client.create_payments(elements, key) if elements else []
        except LedgerError as error:
            results[record.id] = error
            continue
        errors = [e for m in made for e in (m.errors or [])]
        if errors:
            results[record.id] = ValidationRejected("; ".join(errors), provider="xero")
            continue
        new = [ref("Payment", m.entity["PaymentID"]) for m in made if m.entity]
        results[record.id] = Sent(refs=[r.ref for r in record.refs] + new)
    return results
