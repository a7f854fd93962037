"""The two ledgers behind one small interface: find or create customers, push invoices.

Our amounts are authoritative: a line whose quantity x price does not give its amount to the
cent (rounded hours, discounts) is sent as one unit at its amount, and Xero gets each line's
tax so that its totals equal ours (our tax is rounded once per rate, Xero's per line).
"""

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from billing.accounting import access_token
from billing.invoices import tax_summary
from billing.ledger_mapping import DEFAULT_ITEM, NO_TAX, LineMapper
from billing.money import from_minor, precision
from integrations import quickbooks as qbo
from integrations import xero
from integrations.ledger_errors import AuthExpired, LedgerError, ValidationRejected
from integrations.oauth import ProviderConfig
from models import AccountingConnection, Customer, Invoice, InvoiceExport, Provider

QBO_NAMES_PER_QUERY = 100
T = TypeVar("T")


@dataclass
class Pushed:
    """The ledger's copy of one invoice."""

    external_id: str
    number: str | None = None
    sync_token: str | None = None


def _key(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def line_figures(line, currency: str) -> tuple[Decimal, Decimal, Decimal]:
    """(quantity, unit price, amount) that multiply out exactly to our amount."""
    amount = from_minor(line.amount_minor, currency)
    price = from_minor(line.unit_price_minor, currency)
    gross = (line.quantity * price).quantize(Decimal(1).scaleb(-precision(currency)), ROUND_HALF_UP)
    if line.discount_minor == 0 and gross == amount and line.quantity > 0:
        return line.quantity, price, amount
    return Decimal(1), amount, amount


def allocated_tax(invoice: Invoice) -> dict[int, int]:
    """Each line's share of its rate's tax (largest remainder), summing to ours exactly."""
    shares: dict[int, int] = {}
    for total in tax_summary(invoice).taxes:
        lines = [
            ln
            for ln in invoice.lines
            if ln.tax_name == total.tax.name and ln.tax_percent == total.tax.percent
        ]
        base = sum(ln.amount_minor for ln in lines) or 1
        exact = {ln.id: total.tax_minor * ln.amount_minor / Decimal(base) for ln in lines}
        floor = {k: int(v) for k, v in exact.items()}
        left = total.tax_minor - sum(floor.values())
        for line_id in sorted(exact, key=lambda k: exact[k] - floor[k], reverse=True)[:left]:
            floor[line_id] += 1
        shares.update(floor)
    return shares


class Ledger(ABC):
    """What the exporter needs from a ledger."""

    provider: Provider
    client_class: type  # QuickBooksClient or XeroClient: (base URL, tenant, token, max_wait=)

    def __init__(self, config: ProviderConfig, connection: AccountingConnection, token: str):
        self.config, self.connection, self.access_token = config, connection, token

    def with_one_refresh(self, action: Callable[["Ledger"], T]) -> T:
        """``action(self)``; after a 401, the access token is renewed and it runs once more.

        :raise ReconnectNeeded: the ledger refused to renew the token.
        """
        try:
            return action(self)
        except AuthExpired:
            self.access_token = access_token(self.connection, self.config, force=True)
            return action(self)

    def client(self):
        """The API client for the connected company, with the current access token."""
        return self.client_class(
            self.config.api_base_url,
            self.connection.tenant_id,
            self.access_token,
            max_wait=self.config.max_wait,
        )

    @abstractmethod
    def customer_ids(self, customers: list[Customer]) -> dict[int, str]:
        """The ledger's id of each customer, found by exact name or created."""

    @abstractmethod
    def push_invoices(self, invoices, customer_refs, mapper: LineMapper, exports, keys):
        """Create or update the invoices; ``{invoice id: Pushed or LedgerError}``."""


class QuickBooksLedger(Ledger):
    provider = Provider.QUICKBOOKS
    client_class = qbo.QuickBooksClient

    def customer_ids(self, customers: list[Customer]) -> dict[int, str]:
        """Find by exact DisplayName (100 names a query), create the rest in batches of 30."""
        if not customers:
            return {}
        client = self.client()
        by_name: dict[str, str] = {}
        # A query answers at most 100 rows unless told otherwise: 100 names a query.
        for start in range(0, len(customers), QBO_NAMES_PER_QUERY):
            chunk = customers[start : start + QBO_NAMES_PER_QUERY]
            names = ", ".join("'" + c.name.replace("'", "\\'") + "'" for c in chunk)
            found = client.query(
                f"select * from Customer where DisplayName in ({names}) "
                f"MAXRESULTS {QBO_NAMES_PER_QUERY}"
            )
            by_name.update({c["DisplayName"]: c["Id"] for c in found.get("Customer", [])})
        ids = {c.id: by_name[c.name] for c in customers if c.name in by_name}
        missing = [c for c in customers if c.id not in ids]
        if missing:
            items = [
                {"bId": f"c{c.id}", "operation": "create",
                 "Customer": {"DisplayName": c.name, "CurrencyRef": {"value": c.currency},
                              **({"PrimaryEmailAddr": {"Address": c.email_list[0]}}
                                 if c.email_list else {})}}
                for c in missing
            ]  # fmt: skip
            results = client.batch(items, request_id=_key("c", *sorted(c.name for c in missing)))
            for customer in missing:
                result = results[f"c{customer.id}"]
                if not result.ok:
                    raise result.error
                ids[customer.id] = result.entity["Id"]
        return ids

    def push_invoices(self, invoices, customer_refs, mapper, exports, keys):
        """Create or update every invoice through the batch endpoint (30 per request)."""
        items = []
        for invoice in invoices:
            payload = qbo.build_invoice_payload(
                customer_id=customer_refs[invoice.customer_id],
                lines=[self._line(line, invoice, mapper) for line in invoice.lines]
                or [self._empty_line(invoice, mapper)],
                doc_number=invoice.number,
                txn_date=invoice.issue_date,
                due_date=invoice.due_date,
                currency=invoice.currency,
            )
            payload["TxnTaxDetail"] = {"TotalTax": from_minor(invoice.tax_minor, invoice.currency)}
            export: InvoiceExport | None = exports.get(invoice.id)
            operation = "create"
            if export is not None and export.external_id:
                operation = "update"
                payload.update(Id=export.external_id, SyncToken=export.sync_token or "0")
            items.append({"bId": f"i{invoice.id}", "operation": operation, "Invoice": payload})
        results = self.client().batch(items, request_id=_key(*sorted(keys.values())))
        outcome: dict[int, Pushed | LedgerError] = {}
        for invoice in invoices:
            result = results.get(f"i{invoice.id}")
            if result is None:
                outcome[invoice.id] = ValidationRejected("QuickBooks did not answer this invoice")
            elif not result.ok:
                outcome[invoice.id] = result.error
            else:
                entity = result.entity or {}
                outcome[invoice.id] = Pushed(
                    entity["Id"], entity.get("DocNumber"), entity.get("SyncToken")
                )
        return outcome

    @staticmethod
    def _line(line, invoice, mapper: LineMapper) -> qbo.InvoiceLine:
        qty, price, amount = line_figures(line, invoice.currency)
        return qbo.InvoiceLine(
            item_id=mapper.item(line),
            unit_price=price,
            qty=qty,
            amount=amount,
            description=line.description[:4000],
            tax_code=mapper.tax(line),
        )

    @staticmethod
    def _empty_line(invoice, mapper: LineMapper) -> qbo.InvoiceLine:
        return qbo.InvoiceLine(
            item_id=mapper.mapping[DEFAULT_ITEM], unit_price=Decimal(0), qty=Decimal(1),
            amount=Decimal(0), description=f"Invoice {invoice.number}",
            tax_code=mapper.mapping.get(NO_TAX),
        )  # fmt: skip


class XeroLedger(Ledger):
    provider = Provider.XERO
    client_class = xero.XeroClient

    def customer_ids(self, customers: list[Customer]) -> dict[int, str]:
        """Find contacts by exact name (several per request), create the rest in one request."""
        if not customers:
            return {}
        client = self.client()
        found = client.find_contacts([c.name for c in customers])
        ids = {c.id: found[c.name]["ContactID"] for c in customers if c.name in found}
        missing = [c for c in customers if c.id not in ids]
        if missing:
            payloads = [
                xero.build_contact_payload(c.name, c.email_list[0] if c.email_list else None)
                for c in missing
            ]
            key = _key("contacts", *sorted(c.name for c in missing))
            for customer, result in zip(
                missing, client.create_contacts(payloads, key), strict=True
            ):
                if not result.ok:
                    raise ValidationRejected("; ".join(result.errors), provider="xero")
                ids[customer.id] = result.id
        return ids

    def push_invoices(self, invoices, customer_refs, mapper, exports, keys):
        """New invoices in one PUT, already exported ones in one POST (by InvoiceID)."""
        client = self.client()
        new, known = [], []
        for invoice in invoices:
            export = exports.get(invoice.id)
            payload = self._payload(invoice, customer_refs, mapper, export)
            (known if export is not None and export.external_id else new).append((invoice, payload))
        outcome: dict[int, Pushed | LedgerError] = {}
        for group, send in ((new, client.put_invoices), (known, client.post_invoices)):
            if not group:
                continue
            key = _key(send.__name__, *sorted(keys[i.id] for i, _ in group))
            results = send([payload for _, payload in group], key)
            for (invoice, _), result in zip(group, results, strict=False):
                outcome[invoice.id] = (
                    Pushed(result.id, result.number)
                    if result.ok
                    else ValidationRejected("; ".join(result.errors), provider="xero")
                )
        return outcome

    @staticmethod
    def _payload(invoice, customer_refs, mapper: LineMapper, export) -> dict:
        shares = allocated_tax(invoice)
        lines = []
        for line in invoice.lines:
            qty, price, _ = line_figures(line, invoice.currency)
            lines.append(
                xero.XeroLine(
                    description=line.description[:4000] or "-",
                    quantity=qty,
                    unit_amount=price,
                    account_code=mapper.item(line),
                    item_code=mapper.item_code(line),
                    tax_type=mapper.tax(line),
                    tax_amount=from_minor(shares.get(line.id, 0), invoice.currency),
                )
            )
        return xero.build_invoice_payload(
            contact_id=customer_refs[invoice.customer_id],
            lines=lines,
            invoice_number=invoice.number,
            reference=invoice.reference or None,
            date=invoice.issue_date,
            due_date=invoice.due_date,
            currency_code=invoice.currency,
            invoice_id=export.external_id if export is not None else None,
        )


LEDGERS: dict[Provider, type[Ledger]] = {
    Provider.QUICKBOOKS: QuickBooksLedger,
    Provider.XERO: XeroLedger,
}
