"""Credit notes and payments sent to Xero (issue #16), for :class:`XeroLedger`.

A credit note becomes an AUTHORISED ``ACCRECCREDIT`` under our number, found by that number
first (a copy that arrived after a lost answer is adopted, never made twice), then what it took
off its invoice's balance (``total - released``) is allocated to the invoice. What it released
(paid before, now the customer's credit) stays on the Xero note as remaining credit, which a
refund pays out: a Xero payment on the credit note.

A payment received becomes one Xero payment per invoice it is applied to (Xero pays one
document per payment), into the bank account mapped as ``account:bank``. What a payment leaves
unapplied is not sent: Xero records an overpayment through a bank transaction, not a payment;
it stays the customer's credit here.

Each request carries an ``Idempotency-Key`` hashed from exactly what it sends, so a retry
replays Xero's answer instead of booking twice; each element's own errors fail only its own
credit note or payment.
"""

from types import SimpleNamespace

from billing.credit_notes.lines import totals_of
from billing.ledgers.export_text import number_taken
from billing.ledgers.ledger import (
    Ledger,
    body_key,
    chunked,
    group_key,
    line_figures,
    send_in_chunks,
    tax_shares,
)
from billing.ledgers.mapping import DEFAULT_ITEM, LineMapper
from billing.ledgers.sync_types import MoneyRefs, Sent, applied_amounts, ref
from billing.money import from_minor
from integrations.ledger_errors import LedgerError, NotSent, ValidationRejected
from integrations.xero import MAX_ELEMENTS, XeroLine
from integrations.xero_money import XeroMoneyClient, build_credit_note_payload, entity_id
from models import CreditNote, Payment, PaymentDirection

NO_BANK = (
    "Choose the bank account for payments in Admin > Accounting > Map items and taxes. "
    "Nothing was sent."
)
Result = Sent | LedgerError
FIGURES = ("amount_minor", "unit_price_minor", "quantity", "description")


def money_client(ledger: Ledger) -> XeroMoneyClient:
    """The money calls' client for ``ledger``'s organisation and current token."""
    return XeroMoneyClient(
        ledger.config.api_base_url,
        ledger.connection.tenant_id,
        ledger.access_token,
        max_wait=ledger.config.max_wait,
        deadline=ledger.deadline,
    )


def push_credit_notes(
    ledger: Ledger, notes: list[CreditNote], refs: MoneyRefs, mapper: LineMapper
) -> dict[int, Result]:
    """See :meth:`Ledger.push_credit_notes`: adopt by number or create, then allocate."""
    client = money_client(ledger)
    results: dict[int, Result] = {}
    ready = []
    for note in notes:
        problem = _unsendable(note, refs)
        if problem is not None:
            results[note.id] = problem
        else:
            ready.append(note)
    rows = client.find_credit_notes([n.number for n in ready]) if ready else {}
    sent: dict[int, tuple[CreditNote, str, dict | None]] = {}  # id -> (note, Xero id, adopted)
    new = []
    for note in ready:
        contact = refs.customers[note.customer_id]
        payload = _credit_note_payload(note, contact, mapper)
        ledger.money_keys[f"credit_note:{note.id}"] = body_key(ledger.provider, note.id, payload)
        row = rows.get(note.number)
        if row is None:
            new.append((note, payload))
        elif (row.get("Contact") or {}).get("ContactID") != contact:
            results[note.id] = number_taken("credit note", note.number, row, "send again")
        else:
            sent[note.id] = (note, row["CreditNoteID"], row)

    def create(chunk) -> dict[int, Result]:
        keys = sorted(ledger.money_keys[f"credit_note:{n.id}"] for n, _ in chunk)
        answers = client.create_credit_notes(
            [p for _, p in chunk], group_key("credit_notes", *keys)
        )
        made: dict[int, Result] = {}
        for (note, _), answer in zip(chunk, answers, strict=False):
            guid = entity_id(answer, "CreditNoteID")
            if answer.ok and guid:
                sent[note.id] = (note, guid, None)
            else:
                message = "; ".join(answer.errors) or "Xero refused it"
                made[note.id] = ValidationRejected(message, provider="xero")
        return made

    results.update(
        send_in_chunks(chunked(new, MAX_ELEMENTS), create, lambda e: e[0].id, ledger.label)
    )
    results.update(_allocate(ledger, client, list(sent.values()), refs))
    return results


def _unsendable(note: CreditNote, refs: MoneyRefs) -> NotSent | None:
    if note.invoice_id not in refs.invoices or not refs.customers.get(note.customer_id):
        message = f"Export invoice {note.invoice.number} to Xero first. Nothing was sent."
        return NotSent(message, "invoice_not_exported", provider="xero")
    return None


def _allocate(ledger: Ledger, client: XeroMoneyClient, sent, refs: MoneyRefs):
    """Allocate each note's ``total - released`` to its invoice (one request per note: Xero's
    allocations are per credit note); a note whose allocation failed is an error, and the next
    push adopts it by number and allocates again."""
    results: dict[int, Result] = {}
    todo = []
    for note, guid, row in sent:
        done = Sent(refs=[ref("CreditNote", guid)], number=note.number)
        invoice_id = refs.invoices[note.invoice_id]
        amount = note.total_minor - note.released_minor
        if amount <= 0 or _allocated_to(row, invoice_id):
            results[note.id] = done
        else:
            todo.append((note, guid, invoice_id, from_minor(amount, note.currency), done))

    def allocate(chunk) -> dict[int, Result]:
        ((note, guid, invoice_id, amount, done),) = chunk
        day = note.issue_date.isoformat()
        body = {"Invoice": {"InvoiceID": invoice_id}, "Amount": amount, "Date": day}
        note_key = ledger.money_keys[f"credit_note:{note.id}"]
        key = group_key("allocation", note_key, invoice_id, str(amount), day)
        answers = client.allocate_credit_note(guid, [body], key)
        answer = answers[0] if answers else None
        if answer is not None and answer.ok:
            return {note.id: done}
        errors = answer.errors if answer is not None else ("Xero answered without it",)
        return {note.id: _not_allocated(note, errors)}

    results.update(send_in_chunks(chunked(todo, 1), allocate, lambda e: e[0].id, ledger.label))
    return results


def _allocated_to(row: dict | None, invoice_id: str) -> bool:
    allocations = (row or {}).get("Allocations") or []
    return any((a.get("Invoice") or {}).get("InvoiceID") == invoice_id for a in allocations)


def _credit_note_payload(note: CreditNote, contact: str, mapper: LineMapper) -> dict:
    invoice_lines = {line.id: line for line in note.invoice.lines}
    shares = tax_shares(note.lines, totals_of(note.lines).taxes)
    lines = []
    for index, line in enumerate(note.lines):
        source = invoice_lines.get(line.invoice_line_id)
        # A credit line has no discount of its own: its amount is what it credits.
        figures = {k: getattr(line, k) for k in FIGURES}
        qty, price, _, description = line_figures(
            SimpleNamespace(**figures, discount_minor=0), note.currency
        )
        lines.append(
            XeroLine(
                description=description[:4000],
                quantity=qty,
                unit_amount=price,
                account_code=mapper.item(source) if source else mapper.mapping[DEFAULT_ITEM],
                item_code=mapper.item_code(source) if source else None,
                tax_type=mapper.tax(line),
                tax_amount=from_minor(shares[index], note.currency),
            )
        )
    return build_credit_note_payload(
        contact_id=contact,
        lines=lines,
        number=note.number,
        reference=note.invoice.number,
        day=note.issue_date,
        currency_code=note.currency,
    )


def push_payments(ledger: Ledger, payments: list[Payment], refs: MoneyRefs) -> dict[int, Result]:
    """See :meth:`Ledger.push_payments`. A payment received goes as one Xero payment per
    invoice it was applied to (as applied); what it leaves unapplied is not sent (Xero
    books an overpayment as a bank transaction). A refund is a payment on its credit note."""
    if not refs.bank_account:
        return {p.id: NotSent(NO_BANK, "no_bank_account", provider="xero") for p in payments}
    results: dict[int, Result] = {}
    entries = []
    for payment in payments:
        elements = _payment_elements(payment, refs)
        if isinstance(elements, LedgerError):
            results[payment.id] = elements
        elif not elements:
            results[payment.id] = Sent(refs=[])  # nothing applied: nothing for Xero to book
        else:
            key = body_key(ledger.provider, payment.id, {"Payments": elements})
            ledger.money_keys[f"payment:{payment.id}"] = key
            entries.append((payment, elements))
    client = money_client(ledger)

    def create(chunk) -> dict[int, Result]:
        keys = sorted(ledger.money_keys[f"payment:{p.id}"] for p, _ in chunk)
        flat = [element for _, elements in chunk for element in elements]
        answers = iter(client.create_payments(flat, group_key("payments", *keys)))
        made: dict[int, Result] = {}
        for payment, elements in chunk:
            mine = [next(answers, None) for _ in elements]
            made[payment.id] = _payment_result(payment, mine)
        return made

    results.update(
        send_in_chunks(_payment_chunks(entries), create, lambda e: e[0].id, ledger.label)
    )
    return results


def _payment_elements(payment: Payment, refs: MoneyRefs) -> list[dict] | LedgerError:
    common = {
        "Account": {"AccountID": refs.bank_account},
        "Date": payment.payment_date.isoformat(),
        "Reference": payment.reference or "",
    }
    if payment.direction == PaymentDirection.OUT:
        sent = refs.credit_notes.get(payment.credit_note_id or 0) or []
        if not sent:
            message = "Send the credit note this refund pays back first. Nothing was sent."
            return NotSent(message, "credit_note_not_exported", provider="xero")
        guid = sent[0].split("/", 1)[1]
        amount = from_minor(payment.amount_minor, payment.currency)
        return [{"CreditNote": {"CreditNoteID": guid}, **common, "Amount": amount}]
    applied = applied_amounts(payment)
    elements = [
        {"Invoice": {"InvoiceID": refs.invoices[i]}, **common,
         "Amount": from_minor(amount, payment.currency)}
        for i, amount in sorted(applied.items())
        if i in refs.invoices
    ]  # fmt: skip
    if applied and not elements:
        message = "Export the invoices this payment pays to Xero first. Nothing was sent."
        return NotSent(message, "invoice_not_exported", provider="xero")
    return elements


def _payment_chunks(entries: list) -> list[list]:
    """Whole payments per request, at most ``MAX_ELEMENTS`` Xero payments in each."""
    chunks: list[list] = []
    for entry in entries:
        if not chunks or sum(len(e[1]) for e in chunks[-1]) + len(entry[1]) > MAX_ELEMENTS:
            chunks.append([])
        chunks[-1].append(entry)
    return chunks


def _payment_result(payment: Payment, answers: list) -> Result:
    made = [entity_id(a, "PaymentID") for a in answers if a is not None and a.ok]
    made = [m for m in made if m]
    if len(made) == len(answers):
        return Sent(refs=[ref("Payment", m) for m in made])
    errors = [e for a in answers if a is not None for e in a.errors] or ["Xero answered without it"]
    message = "; ".join(dict.fromkeys(errors))
    if made:
        kept = ", ".join(ref("Payment", m) for m in made)
        message += (
            f" (Xero recorded the rest of this payment as {kept}: delete that in Xero before "
            "sending it again)"
        )
    return ValidationRejected(message, provider="xero")


def _not_allocated(note: CreditNote, errors) -> ValidationRejected:
    return ValidationRejected(
        f"Credit note {note.number} is in Xero but was not applied to invoice "
        f"{note.invoice.number}: {'; '.join(errors)}. The next sync applies it again.",
        provider="xero",
    )
