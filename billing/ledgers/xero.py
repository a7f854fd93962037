"""Exporting to Xero: contacts by name (20 a request), created in one request; invoices never
exported before looked up by number first; then new ones PUT and known ones POSTed, 50 a
request (Xero's recommendation).

A Xero copy stays a DRAFT while the invoice has not been sent here (it can still be edited or
deleted here), and becomes AUTHORISED, an approved receivable, once it has been
(``XERO_EXPORT_STATUS=authorised`` approves at once). An approved copy is never sent back to
DRAFT, which Xero refuses anyway. Each line carries its share of our tax, so Xero's totals are
ours; what Xero booked is read from its answer and compared all the same.
"""

from decimal import Decimal

from flask import current_app

from billing.invoices.snapshot import tax_summary, was_sent
from billing.ledgers.export_text import number_taken
from billing.ledgers.ledger import (
    Ledger,
    Outcome,
    Pushed,
    body_key,
    chunked,
    creation_key,
    group_key,
    line_figures,
    tax_shares,
)
from billing.ledgers.ledger import send_in_chunks as _chunks
from billing.ledgers.mapping import LineMapper
from billing.money import from_minor
from integrations import xero
from integrations.ledger_errors import LedgerError, ValidationRejected
from models import Customer, Invoice, Provider

DRAFT, AUTHORISED = "DRAFT", "AUTHORISED"
APPROVED = {"AUTHORISED", "SUBMITTED", "PAID"}


def xero_status(invoice: Invoice, export, row: dict | None) -> str:
    """DRAFT or AUTHORISED for the Xero copy of ``invoice`` (see the module docstring)."""
    if current_app.config.get("XERO_EXPORT_STATUS") == "authorised" or was_sent(invoice):
        return AUTHORISED
    if row is not None and row.get("Status") in APPROVED:
        return AUTHORISED
    if export is not None and export.external_id and export.ledger_status != DRAFT:
        return AUTHORISED  # approved already (exports before statuses were kept were too)
    return DRAFT


class XeroLedger(Ledger):
    provider = Provider.XERO
    label = "Xero"
    client_class = xero.XeroClient

    def customer_ids(self, customers: list[Customer]) -> dict[int, str | LedgerError]:
        """Find contacts by exact name (several per request), create the rest 50 a request."""
        if not customers:
            return {}
        client = self.client()
        found = client.find_contacts([c.name for c in customers])
        ids: dict[int, str | LedgerError] = {
            c.id: found[c.name]["ContactID"] for c in customers if c.name in found
        }
        missing = [c for c in customers if c.id not in ids]

        def create(chunk) -> dict[int, Outcome]:
            payloads = [
                xero.build_contact_payload(c.name, c.email_list[0] if c.email_list else None)
                for c in chunk
            ]
            key = creation_key("contacts", (c.name for c in chunk))
            results = client.create_contacts(payloads, key)
            return {
                c.id: Pushed(r.id) if r.ok else _rejected(r.errors)
                for c, r in zip(chunk, results, strict=True)
            }

        answers = _chunks(chunked(missing, xero.MAX_ELEMENTS), create, lambda c: c.id, self.label)
        for customer_id, answer in answers.items():
            ids[customer_id] = answer.external_id if isinstance(answer, Pushed) else answer
        return ids

    def push_invoices(self, invoices, customer_refs, mapper, exports) -> dict[int, Outcome]:
        """Adopt our copies found by number, then PUT new ones and POST known ones."""
        client = self.client()
        known = {i.id: exports[i.id].external_id for i in invoices if _exported(exports, i)}
        rows = client.find_invoices([i.number for i in invoices if i.id not in known])
        outcomes: dict[int, Outcome] = {}
        new, update = [], []
        for invoice in invoices:
            row = rows.get(invoice.number)
            contact = customer_refs[invoice.customer_id]
            if row is not None:
                if (row.get("Contact") or {}).get("ContactID") != contact:
                    outcomes[invoice.id] = number_taken(
                        "invoice", invoice.number, row, "export again"
                    )
                    continue
                known[invoice.id] = row["InvoiceID"]
            export = exports.get(invoice.id)
            status = xero_status(invoice, export, row)
            payload = self._payload(invoice, contact, mapper, known.get(invoice.id), status)
            self.keys[invoice.id] = body_key(self.provider, invoice.id, payload)
            entry = (invoice, payload, row is not None)
            (update if invoice.id in known else new).append(entry)
        for group, send in ((new, client.put_invoices), (update, client.post_invoices)):
            outcomes.update(
                _chunks(
                    chunked(group, xero.MAX_ELEMENTS),
                    lambda chunk, send=send: self._send(send, chunk),
                    lambda entry: entry[0].id,
                    self.label,
                )
            )
        return outcomes

    def push_credit_notes(self, notes, refs, mapper):
        """See :meth:`Ledger.push_credit_notes` (:mod:`billing.ledgers.xero_money`)."""
        from billing.ledgers import xero_money

        return xero_money.push_credit_notes(self, notes, refs, mapper)

    def push_payments(self, payments, refs):
        """See :meth:`Ledger.push_payments` (:mod:`billing.ledgers.xero_money`)."""
        from billing.ledgers import xero_money

        return xero_money.push_payments(self, payments, refs)

    def changes_since(self, cursor: str):
        """See :meth:`Ledger.changes_since` (:mod:`billing.ledgers.xero_changes`)."""
        from billing.ledgers import xero_changes

        return xero_changes.changes_since(self, cursor)

    def update_payments(self, items, refs):
        """See :meth:`Ledger.update_payments` (:mod:`billing.ledgers.payment_updates`)."""
        from billing.ledgers import payment_updates

        return payment_updates.update_in_xero(self, items, refs)

    def withdraw_payments(self, records):
        """See :meth:`Ledger.withdraw_payments` (:mod:`billing.ledgers.payment_deletes`)."""
        from billing.ledgers import payment_deletes

        return payment_deletes.delete_in_xero(self, records)

    def _send(self, send, chunk) -> dict[int, Outcome]:
        key = group_key(send.__name__, *sorted(self.keys[i.id] for i, _, _ in chunk))
        results = send([payload for _, payload, _ in chunk], key)
        outcomes: dict[int, Outcome] = {}
        for (invoice, _, adopted), result in zip(chunk, results, strict=False):
            entity = result.entity
            outcomes[invoice.id] = (
                Pushed(
                    result.id,
                    result.number,
                    total=_decimal(entity.get("Total")),
                    tax=_decimal(entity.get("TotalTax")),
                    status=str(entity.get("Status") or ""),
                    adopted=adopted,
                )
                if result.ok
                else _rejected(result.errors)
            )
        return outcomes

    @staticmethod
    def _payload(invoice, contact: str, mapper: LineMapper, invoice_id, status: str) -> dict:
        # Xero documents a line's TaxAmount as overridable; its answer's Total is compared with
        # ours all the same, in case it ever recomputes.
        shares = tax_shares(invoice.lines, tax_summary(invoice).taxes)
        lines = []
        for index, line in enumerate(invoice.lines):
            qty, price, _, description = line_figures(line, invoice.currency)
            lines.append(
                xero.XeroLine(
                    description=description[:4000],
                    quantity=qty,
                    unit_amount=price,
                    account_code=mapper.item(line),
                    item_code=mapper.item_code(line),
                    tax_type=mapper.tax(line),
                    tax_amount=from_minor(shares[index], invoice.currency),
                )
            )
        return xero.build_invoice_payload(
            contact_id=contact,
            lines=lines,
            invoice_number=invoice.number,
            reference=invoice.reference or None,
            date=invoice.issue_date,
            due_date=invoice.due_date,
            currency_code=invoice.currency,
            invoice_id=invoice_id,
            status=status,
        )


def _exported(exports, invoice) -> bool:
    export = exports.get(invoice.id)
    return export is not None and bool(export.external_id)


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _rejected(errors) -> ValidationRejected:
    return ValidationRejected("; ".join(errors), provider="xero")
