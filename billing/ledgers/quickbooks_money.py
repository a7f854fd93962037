"""Credit notes, payments and refunds sent to QuickBooks Online (ledger_sync.md §1.1-1.3).

A credit note becomes a CreditMemo, looked up by number first (a copy that arrived after a lost
answer is adopted, never duplicated), then a $0 Payment linking the invoice and the memo for
what the note took off the invoice's balance. A payment received becomes a Payment applied to
its exported invoices (net of releases); a refund, a RefundReceipt paid from the mapped bank
account. Everything is created 30 a batch request whose ``requestid`` is a hash of exactly what
is sent, so a retry of the same push replays instead of repeating.
"""

from decimal import Decimal
from types import SimpleNamespace

from billing.ledgers import ledger as base
from billing.ledgers.ledger import Ledger, body_key, chunked, group_key
from billing.ledgers.mapping import DEFAULT_ITEM, NO_TAX, LineMapper, mappings_of
from billing.ledgers.sync_types import MoneyRefs, Sent, applied_amounts, ref
from billing.ledgers.tax import GLOBAL, NON, tax_key, us_invoice_code, us_line_code
from billing.money import from_minor
from integrations import quickbooks as qbo
from integrations.ledger_errors import LedgerError, NotSent, ValidationRejected
from models import CreditNote, Payment, PaymentDirection

MAX_DOC_NUMBER = 21
MAX_REF_NUM = 21  # PaymentRefNum: QuickBooks keeps 21 characters
NUMBERS_PER_QUERY = 100
BANK_MISSING = (
    "Choose the bank account for payments in Admin > Accounting > Map items and taxes. "
    "Nothing was sent."
)

Result = Sent | LedgerError


def _not_sent(message: str, code: str) -> NotSent:
    return NotSent(message, code, provider="quickbooks")


def _customer(refs: MoneyRefs, customer_id: int, what: str) -> str:
    if not refs.customers.get(customer_id):
        raise _not_sent(f"The customer of {what} is not in QuickBooks yet: export one of its "
                        "invoices first. Nothing was sent.", "customer_missing")  # fmt: skip
    return refs.customers[customer_id]


def _quoted(values) -> str:
    return ", ".join("'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'" for v in values)


def _send_batches(ledger: Ledger, client, items: list[tuple[int, str, dict]], kind: str):
    """Create ``(id, entity, payload)`` items 30 a batch request; ``{id: BatchItemResult or
    LedgerError}``. A request's ``requestid`` hashes its items' keys."""

    def send(chunk) -> dict:
        key = group_key(kind, *sorted(body_key(ledger.provider, i, p) for i, _, p in chunk))
        batch = [{"bId": str(n), "operation": "create", entity: payload}
                 for n, (_, entity, payload) in enumerate(chunk)]  # fmt: skip
        answers = client.batch(batch, request_id=key)
        return {item_id: _answer(answers.get(str(n))) for n, (item_id, _, _) in enumerate(chunk)}

    return base.send_in_chunks(
        chunked(items, qbo.BATCH_LIMIT), send, lambda item: item[0], ledger.label
    )


def _answer(result):
    if result is None:
        return ValidationRejected("QuickBooks did not answer for this item", provider="quickbooks")
    return result.error if not result.ok else result.entity or {}


def push_credit_notes(
    ledger: Ledger, notes: list[CreditNote], refs: MoneyRefs, mapper: LineMapper
) -> dict[int, Result]:
    """Each credit note as a CreditMemo (found by number, else created), then a $0 Payment
    applying ``total - released`` of it to its invoice; ``{note id: Sent or LedgerError}``."""
    results: dict[int, Result] = {}
    payloads: dict[int, dict] = {}
    for note in notes:
        try:
            payloads[note.id] = _memo_payload(ledger, note, refs, mapper)
        except NotSent as error:
            results[note.id] = error
            continue
        key = body_key(ledger.provider, note.id, payloads[note.id])
        ledger.money_keys[f"credit_note:{note.id}"] = key
    if not payloads:
        return results
    client = ledger.client()
    sendable = [n for n in notes if n.id in payloads]
    found = _memos_by_number(client, [n.number for n in sendable])
    memos: dict[int, dict] = {}
    creates = []
    for note in sendable:
        row = found.get(note.number)
        if row is None:
            creates.append((note.id, "CreditMemo", payloads[note.id]))
        elif row.get("CustomerRef", {}).get("value") != refs.customers[note.customer_id]:
            results[note.id] = _taken(note, row)
        else:
            memos[note.id] = row
    for note_id, answer in _send_batches(ledger, client, creates, "cm").items():
        if isinstance(answer, LedgerError):
            results[note_id] = answer
        else:
            memos[note_id] = answer
    applications, done = [], {}
    for note in sendable:
        memo = memos.get(note.id)
        if memo is None:
            continue
        sent = Sent(refs=[ref("CreditMemo", memo["Id"])], number=memo.get("DocNumber") or "")
        linked = [t["TxnId"] for t in memo.get("LinkedTxn") or [] if t.get("TxnType") == "Payment"]
        amount = _to_apply(note, memo)
        if linked:  # adopted after a lost answer: it was applied then
            sent.refs += [ref("Payment", t) for t in linked]
        elif amount > 0:
            body = _application(note, refs, memo["Id"], amount)
            applications.append((note.id, "Payment", body))
        done[note.id] = sent
    applied = _send_batches(ledger, client, applications, "ca")
    for note_id, sent in done.items():
        answer = applied.get(note_id)
        if isinstance(answer, LedgerError):
            results[note_id] = answer  # the memo is there; a retry adopts it and applies it
            continue
        if answer is not None:
            sent.refs.append(ref("Payment", answer["Id"]))
        results[note_id] = sent
    return results


def _memo_payload(ledger: Ledger, note: CreditNote, refs: MoneyRefs, mapper: LineMapper) -> dict:
    if len(note.number) > MAX_DOC_NUMBER:
        raise _not_sent(f"QuickBooks takes credit memo numbers of at most {MAX_DOC_NUMBER} "
                        f"characters; {note.number} has {len(note.number)}. Nothing was sent.",
                        "doc_number_length")  # fmt: skip
    customer = _customer(refs, note.customer_id, f"credit note {note.number}")
    if note.total_minor - note.released_minor > 0 and note.invoice_id not in refs.invoices:
        raise _not_sent(f"Credit note {note.number} credits an invoice that is not in "
                        "QuickBooks: export the invoice first. Nothing was sent.",
                        "invoice_missing")  # fmt: skip
    model = ledger.connection.tax_model or GLOBAL
    try:
        lines = [_memo_line(line, note, mapper, model) for line in note.lines]
        code = us_invoice_code(note, mapper.mapping, model)
    except KeyError as missing:
        raise _not_sent(f"Credit note {note.number} has a line whose tax or item is not mapped "
                        f"({missing}). Complete Admin > Accounting > Map items and taxes. "
                        "Nothing was sent.", "mapping_missing") from None  # fmt: skip
    if not lines:
        raise _not_sent(f"Credit note {note.number} has no lines. Nothing was sent.", "no_lines")
    payload = qbo.build_invoice_payload(
        customer_id=customer, lines=lines, doc_number=note.number, txn_date=note.issue_date,
        currency=note.currency, private_note=(note.reason or "")[:4000] or None,
    )  # fmt: skip
    if code:
        payload["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": code}}
    return payload


def _memo_line(line, note: CreditNote, mapper: LineMapper, model: str) -> qbo.InvoiceLine:
    figures = SimpleNamespace(
        amount_minor=line.amount_minor, unit_price_minor=line.unit_price_minor,
        quantity=line.quantity, description=line.description, discount_minor=0,
    )  # fmt: skip
    qty, price, amount, description = base.line_figures(figures, note.currency)
    source = next((ln for ln in note.invoice.lines if ln.id == line.invoice_line_id), None)
    item = mapper.item(source) if source is not None else mapper.mapping[DEFAULT_ITEM]
    tax = mapper.mapping[tax_key(line)] if model == GLOBAL else us_line_code(line)
    return qbo.InvoiceLine(
        item_id=item, unit_price=price, qty=qty, amount=amount,
        description=description[:4000], tax_code=tax,
    )  # fmt: skip


def _to_apply(note: CreditNote, memo: dict) -> Decimal:
    """What the note took off its invoice, never more than the memo has left (QuickBooks
    works the memo's tax out itself and may book a cent less)."""
    ours = from_minor(note.total_minor - note.released_minor, note.currency)
    left = memo.get("RemainingCredit", memo.get("Balance", memo.get("TotalAmt")))
    return ours if left is None else min(ours, Decimal(str(left)))


def _application(note: CreditNote, refs: MoneyRefs, memo_id: str, amount: Decimal) -> dict:
    return {
        "CustomerRef": {"value": refs.customers[note.customer_id]},
        "TotalAmt": Decimal("0.00"),
        "TxnDate": note.issue_date.isoformat(),
        "CurrencyRef": {"value": note.currency},
        "Line": [
            {"Amount": amount,
             "LinkedTxn": [{"TxnId": refs.invoices[note.invoice_id], "TxnType": "Invoice"}]},
            {"Amount": amount, "LinkedTxn": [{"TxnId": memo_id, "TxnType": "CreditMemo"}]},
        ],
    }  # fmt: skip


def _memos_by_number(client, numbers: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for chunk in chunked(numbers, NUMBERS_PER_QUERY):
        rows = client.query(
            f"select * from CreditMemo where DocNumber in ({_quoted(chunk)}) MAXRESULTS 1000"
        ).get("CreditMemo", [])
        found.update({row.get("DocNumber"): row for row in rows})
    return found


def _taken(note: CreditNote, row: dict) -> NotSent:
    owner = row.get("CustomerRef", {}).get("name") or "another customer"
    return _not_sent(f"QuickBooks already has a credit memo numbered {note.number}, for "
                     f"{owner}. It was left alone: renumber it in QuickBooks, or delete it there "
                     "if it is a mistake, then send again. Nothing was sent.",
                     "number_taken")  # fmt: skip


def push_payments(ledger: Ledger, payments: list[Payment], refs: MoneyRefs) -> dict[int, Result]:
    """Payments received as Payments applied to their exported invoices, refunds as
    RefundReceipts; ``{payment id: Sent or LedgerError}``."""
    results: dict[int, Result] = {}
    items: list[tuple[int, str, dict]] = []
    mapping = mappings_of(ledger.connection)
    for payment in payments:
        try:
            entity, payload = _payment_item(ledger, payment, refs, mapping)
        except NotSent as error:
            results[payment.id] = error
            continue
        ledger.money_keys[f"payment:{payment.id}"] = body_key(ledger.provider, payment.id, payload)
        items.append((payment.id, entity, payload))
    if not items:
        return results
    kinds = {payment_id: entity for payment_id, entity, _ in items}
    for payment_id, answer in _send_batches(ledger, ledger.client(), items, "pay").items():
        ok = not isinstance(answer, LedgerError)
        results[payment_id] = Sent(refs=[ref(kinds[payment_id], answer["Id"])]) if ok else answer
    return results


def _payment_item(ledger: Ledger, payment: Payment, refs: MoneyRefs, mapping) -> tuple[str, dict]:
    if payment.is_deleted or payment.recorded_in:
        why = "was deleted" if payment.is_deleted else "came from the ledger"
        raise _not_sent(f"Payment #{payment.id} {why}. Nothing was sent.", "not_sendable")
    customer = _customer(refs, payment.customer_id, f"payment #{payment.id}")
    payload = {
        "CustomerRef": {"value": customer},
        "TxnDate": payment.payment_date.isoformat(),
        "CurrencyRef": {"value": payment.currency},
    }
    reference = (payment.reference or "").strip()
    if len(reference) > MAX_REF_NUM:  # shortened there; the whole of it kept in the memo
        payload["PrivateNote"] = f"Reference: {reference}"
    if payment.direction == PaymentDirection.OUT:
        return "RefundReceipt", _refund(payment, payload, refs, mapping, ledger, reference)
    if refs.bank_account:
        payload["DepositToAccountRef"] = {"value": refs.bank_account}
    if reference:
        payload["PaymentRefNum"] = reference[:MAX_REF_NUM]
    payload["TotalAmt"] = from_minor(payment.amount_minor, payment.currency)
    payload["Line"] = _payment_lines(payment, refs)
    return "Payment", payload


def _payment_lines(payment: Payment, refs: MoneyRefs) -> list[dict]:
    return [
        {"Amount": from_minor(amount, payment.currency),
         "LinkedTxn": [{"TxnId": refs.invoices[invoice_id], "TxnType": "Invoice"}]}
        for invoice_id, amount in sorted(applied_amounts(payment).items())
        if invoice_id in refs.invoices
    ]  # fmt: skip


def _refund(payment, payload, refs: MoneyRefs, mapping, ledger: Ledger, reference: str) -> dict:
    if not refs.bank_account:
        raise _not_sent(BANK_MISSING, "bank_account_missing")
    model = ledger.connection.tax_model or GLOBAL
    tax = mapping.get(NO_TAX) if model == GLOBAL else NON
    if DEFAULT_ITEM not in mapping or not tax:
        raise _not_sent("Map the income item and the tax of lines without tax in Admin > "
                        "Accounting > Map items and taxes. Nothing was sent.",
                        "mapping_missing")  # fmt: skip
    note = payment.credit_note
    what = f"Refund of credit note {note.number}" if note is not None else "Refund"
    amount = from_minor(payment.amount_minor, payment.currency)
    line = qbo.InvoiceLine(
        item_id=mapping[DEFAULT_ITEM], unit_price=amount, qty=Decimal(1), amount=amount,
        description=what, tax_code=tax,
    )  # fmt: skip
    built = qbo.build_invoice_payload(customer_id=payload["CustomerRef"]["value"], lines=[line])
    # A bank account needs a PaymentRefNum there: ours, else the credit note's number.
    number = reference or (note.number if note is not None else f"Refund {payment.id}")
    return {
        **payload,
        "DepositToAccountRef": {"value": refs.bank_account},
        "PaymentRefNum": number[:MAX_REF_NUM],
        "Line": built["Line"],
    }
