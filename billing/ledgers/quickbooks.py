"""Exporting to QuickBooks Online: customers by name (100 a query, 30 created a request),
invoices looked up by number first, then created or sparsely updated 30 a batch request.

Looking up first means a copy that arrived after a lost answer is adopted, never duplicated,
and every update carries the SyncToken QuickBooks has now (an edit made there bumps it), so a
re-export does not meet "Stale Object Error"; if one still does (an edit in between), it is
read again and sent once more. Updates are sparse: fields QuickBooks users set there (memo,
terms, ...) are kept.
"""

from decimal import Decimal

from billing.ledgers import payment_deletes, payment_updates, quickbooks_changes, quickbooks_money
from billing.ledgers.ledger import (
    Ledger,
    Outcome,
    Pushed,
    body_key,
    chunked,
    creation_key,
    group_key,
    line_figures,
    send_in_chunks,
)
from billing.ledgers.mapping import DEFAULT_ITEM, NO_TAX, LineMapper
from billing.ledgers.tax import GLOBAL, us_invoice_code, us_line_code
from integrations import quickbooks as qbo
from integrations.ledger_errors import LedgerError, NotSent, ValidationRejected
from models import Customer, Invoice, Provider

NAMES_PER_QUERY = 100  # a query answers 100 rows unless told otherwise
MAX_DOC_NUMBER = 21
STALE = "5010"
DUPLICATE_NAME = "6240"


def _quoted(values) -> str:
    return ", ".join("'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'" for v in values)


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


class QuickBooksLedger(Ledger):
    provider = Provider.QUICKBOOKS
    label = "QuickBooks Online"
    client_class = qbo.QuickBooksClient

    def check(self, invoice: Invoice) -> None:
        """QuickBooks takes invoice numbers of at most 21 characters."""
        if len(invoice.number) > MAX_DOC_NUMBER:
            raise NotSent(
                f"QuickBooks takes invoice numbers of at most {MAX_DOC_NUMBER} characters; "
                f"{invoice.number} has {len(invoice.number)}. Shorten the number prefix in "
                "Admin > Settings for new invoices. Nothing was sent.",
                "doc_number_length",
                provider="quickbooks",
            )

    def customer_ids(self, customers: list[Customer]) -> dict[int, str | LedgerError]:
        """Find by exact DisplayName (100 names a query), create the rest 30 a request."""
        result: dict[int, str | LedgerError] = {}
        for customer in customers:
            if ":" in customer.name:
                result[customer.id] = NotSent(
                    f"QuickBooks does not allow ':' in a customer name ({customer.name}): it "
                    "separates sub-customers there. Rename the customer here, or choose its "
                    "QuickBooks customer in Admin > Accounting > Map items and taxes. Nothing "
                    "was sent.",
                    "name_colon",
                    provider="quickbooks",
                )
        customers = [c for c in customers if c.id not in result]
        if not customers:
            return result
        client = self.client()
        by_name: dict[str, str] = {}
        for chunk in chunked(customers, NAMES_PER_QUERY):
            found = client.query(
                f"select * from Customer where DisplayName in ({_quoted(c.name for c in chunk)}) "
                f"MAXRESULTS {NAMES_PER_QUERY}"
            )
            by_name.update({c["DisplayName"]: c["Id"] for c in found.get("Customer", [])})
        result.update({c.id: by_name[c.name] for c in customers if c.name in by_name})
        missing = [c for c in customers if c.id not in result]
        items = [
            {"bId": f"c{c.id}", "operation": "create",
             "Customer": {"DisplayName": c.name, "CurrencyRef": {"value": c.currency},
                          **({"PrimaryEmailAddr": {"Address": c.email_list[0]}}
                             if c.email_list else {})}}
            for c in missing
        ]  # fmt: skip
        if items:
            answers = send_in_chunks(
                chunked(items, qbo.BATCH_LIMIT),
                lambda chunk: self._create_customers(client, chunk),
                lambda item: int(item["bId"][1:]),
                self.label,
            )
            result.update({cid: self._customer_result(answer) for cid, answer in answers.items()})
        return result

    @staticmethod
    def _create_customers(client, chunk) -> dict[int, Outcome]:
        key = creation_key("c", (item["Customer"]["DisplayName"] for item in chunk))
        results = client.batch(chunk, request_id=key)
        return {
            int(item["bId"][1:]): (
                Pushed(results[item["bId"]].entity["Id"])
                if results[item["bId"]].ok
                else results[item["bId"]].error
            )
            for item in chunk
        }

    @staticmethod
    def _customer_result(answer: Outcome) -> str | LedgerError:
        if isinstance(answer, Pushed):
            return answer.external_id
        if answer.code == DUPLICATE_NAME:
            answer.message = (
                "QuickBooks already uses this name for another customer, a vendor or an "
                "employee (names must be unique across all three). Rename the customer here, "
                "or choose its QuickBooks customer in Admin > Accounting > Map items and taxes"
            )
        return answer

    def push_credit_notes(self, notes, refs, mapper):
        """CreditMemos applied with $0 Payments (see :mod:`billing.ledgers.quickbooks_money`)."""
        return quickbooks_money.push_credit_notes(self, notes, refs, mapper)

    def push_payments(self, payments, refs):
        """Payments and RefundReceipts (see :mod:`billing.ledgers.quickbooks_money`)."""
        return quickbooks_money.push_payments(self, payments, refs)

    def changes_since(self, cursor: str):
        """CDC, or queries for an old cursor (see :mod:`billing.ledgers.quickbooks_changes`)."""
        return quickbooks_changes.changes_since(self, cursor)

    def update_payments(self, items, refs):
        """Sparse updates of the Payments' lines (see :mod:`billing.ledgers.payment_updates`)."""
        return payment_updates.update_in_quickbooks(self, items, refs)

    def withdraw_payments(self, records):
        """Deletes, 30 a batch (see :mod:`billing.ledgers.payment_deletes`)."""
        return payment_deletes.delete_in_quickbooks(self, records)

    def push_invoices(self, invoices, customer_refs, mapper, exports) -> dict[int, Outcome]:
        """Look every invoice up by number, then create or sparsely update them in batches."""
        client = self.client()
        found = self._existing(client, invoices, exports)
        outcomes = self._send(client, invoices, customer_refs, mapper, exports, found)
        stale = [
            i for i in invoices
            if isinstance(outcomes.get(i.id), ValidationRejected) and outcomes[i.id].code == STALE
        ]  # fmt: skip
        if stale:  # edited in QuickBooks between our read and our write: read again, once
            again = self._by_id(client, [found[i.id]["Id"] for i in stale if i.id in found])
            fresh = {i.id: again[found[i.id]["Id"]] for i in stale if found[i.id]["Id"] in again}
            outcomes.update(self._send(client, stale, customer_refs, mapper, exports, fresh))
        return outcomes

    def _existing(self, client, invoices, exports) -> dict[int, dict]:
        """The ledger's current copy of each invoice: by the id we stored, else by number."""
        by_number: dict[str, dict] = {}
        for chunk in chunked([i.number for i in invoices], NAMES_PER_QUERY):
            rows = client.query(
                f"select * from Invoice where DocNumber in ({_quoted(chunk)}) MAXRESULTS 1000"
            ).get("Invoice", [])
            by_number.update({row.get("DocNumber"): row for row in rows})
        stored = {i.id: exports[i.id].external_id for i in invoices if _external_id(exports, i)}
        by_id = {row["Id"]: row for row in by_number.values()}
        unknown = [ext for ext in stored.values() if ext not in by_id]
        if unknown:
            by_id.update(self._by_id(client, unknown))
        found = {}
        for invoice in invoices:
            row = by_id.get(stored.get(invoice.id)) or by_number.get(invoice.number)
            if row is not None:
                found[invoice.id] = row
        return found

    @staticmethod
    def _by_id(client, ids: list[str]) -> dict[str, dict]:
        rows = []
        for chunk in chunked(ids, NAMES_PER_QUERY):
            rows += client.query(
                f"select * from Invoice where Id in ({_quoted(chunk)}) MAXRESULTS 1000"
            ).get("Invoice", [])
        return {row["Id"]: row for row in rows}

    def _send(self, client, invoices, customer_refs, mapper, exports, found) -> dict[int, Outcome]:
        outcomes: dict[int, Outcome] = {}
        items = []
        for invoice in invoices:
            row = found.get(invoice.id)
            ours = row is not None and row["Id"] == _external_id(exports, invoice)
            customer = customer_refs[invoice.customer_id]
            if row is not None and not ours and row.get("CustomerRef", {}).get("value") != customer:
                outcomes[invoice.id] = _taken(invoice, row)
                continue
            try:
                payload = self._payload(invoice, customer, mapper, row)
            except NotSent as error:
                outcomes[invoice.id] = error
                continue
            self.keys[invoice.id] = body_key(self.provider, invoice.id, payload)
            operation = "update" if row is not None else "create"
            items.append(
                ({"bId": f"i{invoice.id}", "operation": operation, "Invoice": payload}, row, ours)
            )

        def send(chunk) -> dict[int, Outcome]:
            key = group_key(*sorted(self.keys[int(item["bId"][1:])] for item, _, _ in chunk))
            results = client.batch([item for item, _, _ in chunk], request_id=key)
            return {int(item["bId"][1:]): _pushed(results.get(item["bId"]), row is not None
                                                  and not ours)
                    for item, row, ours in chunk}  # fmt: skip

        outcomes.update(
            send_in_chunks(
                chunked(items, qbo.BATCH_LIMIT), send, lambda x: int(x[0]["bId"][1:]), self.label
            )
        )
        return outcomes

    def _payload(self, invoice: Invoice, customer: str, mapper: LineMapper, row) -> dict:
        model = self.connection.tax_model or GLOBAL
        payload = qbo.build_invoice_payload(
            customer_id=customer,
            lines=[self._line(line, invoice, mapper, model) for line in invoice.lines]
            or [self._empty_line(invoice, mapper, model)],
            doc_number=invoice.number,
            txn_date=invoice.issue_date,
            due_date=invoice.due_date,
            currency=invoice.currency,
        )
        # No TxnTaxDetail.TotalTax of ours: whether QuickBooks honours one is not documented,
        # so (the safer reading) it computes its own and we compare it with ours afterwards.
        code = us_invoice_code(invoice, mapper.mapping, model)
        if code:
            payload["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": code}}
        if row is not None:  # only the fields we own; QuickBooks keeps the rest
            payload = {"Id": row["Id"], "SyncToken": row["SyncToken"], "sparse": True, **payload}
        return payload

    @staticmethod
    def _line(line, invoice, mapper: LineMapper, model: str) -> qbo.InvoiceLine:
        qty, price, amount, description = line_figures(line, invoice.currency)
        return qbo.InvoiceLine(
            item_id=mapper.item(line),
            unit_price=price,
            qty=qty,
            amount=amount,
            description=description[:4000],
            tax_code=mapper.tax(line) if model == GLOBAL else us_line_code(line),
        )

    @staticmethod
    def _empty_line(invoice, mapper: LineMapper, model: str) -> qbo.InvoiceLine:
        tax = mapper.mapping.get(NO_TAX) if model == GLOBAL else "NON"
        return qbo.InvoiceLine(
            item_id=mapper.mapping[DEFAULT_ITEM], unit_price=Decimal(0), qty=Decimal(1),
            amount=Decimal(0), description=f"Invoice {invoice.number}", tax_code=tax,
        )  # fmt: skip


def _external_id(exports, invoice) -> str | None:
    export = exports.get(invoice.id)
    return export.external_id if export is not None else None


def _taken(invoice: Invoice, row: dict) -> NotSent:
    owner = row.get("CustomerRef", {}).get("name") or "another customer"
    return NotSent(
        f"QuickBooks already has an invoice numbered {invoice.number}, for {owner}. It was not "
        "made by this export, so it was left alone: renumber it in QuickBooks, or delete it "
        "there if it is a mistake, then export again. Nothing was sent.",
        "number_taken",
        provider="quickbooks",
    )


def _pushed(result, adopted: bool) -> Outcome:
    if result is None:
        return ValidationRejected(
            "QuickBooks did not answer for this invoice", provider="quickbooks"
        )
    if not result.ok:
        return result.error
    entity = result.entity or {}
    tax = (entity.get("TxnTaxDetail") or {}).get("TotalTax")
    return Pushed(
        entity["Id"],
        entity.get("DocNumber"),
        entity.get("SyncToken"),
        total=_decimal(entity.get("TotalAmt")),
        tax=_decimal(tax),
        adopted=adopted,
    )
