"""What a ledger connection maps, and which ledger item (or account) and tax each line uses.

Mappings are rows of ``ledger_mappings``, ``(kind, local_key) -> external_id``, read here as
``"kind:local_key"`` keys:

- ``item:default``: the income item (QuickBooks) or sales account code (Xero) of every line;
- ``product:<id>``, ``rate:<id>``, ``contract:<type>``: optional overrides for the lines of a
  catalog product, of time billed at a rate, of a contract type (the first that applies wins);
- ``item_code:<product id>``: Xero only, the item code put on a product's lines;
- ``tax:<id>``, ``tax:none``: the tax code (QuickBooks) or tax type (Xero) for our tax rate,
  and for lines without tax. In a US QuickBooks company a line says only ``TAX`` or ``NON`` and
  ``tax:<id>`` names the invoice's one sales tax code; with automated sales tax QuickBooks works
  the tax out itself and nothing is mapped (see :mod:`billing.ledgers.tax`);
- ``customer:<id>``: the ledger's customer or contact: chosen on the mapping page, or found by
  exact name (or created) on the first export;
- ``account:bank``: the bank account payments recorded here go to, and refunds come from
  (without it, QuickBooks puts payments in Undeposited Funds; refunds, and Xero payments, wait).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from billing.catalog import tax_label
from billing.ledgers.tax import GLOBAL, US, US_AST, is_taxed, tax_key
from models import (
    AccountingConnection,
    Contract,
    ContractType,
    Customer,
    Invoice,
    LedgerMapping,
    Product,
    Provider,
    Rate,
    TaxRate,
    TimeEntry,
    db,
)

DEFAULT_ITEM = "item:default"
BANK_ACCOUNT = "account:bank"
NO_TAX = "tax:none"  # tax_key() of an untaxed line


@dataclass(frozen=True)
class MappingRow:
    """One line of the mapping page: our object, and which ledger list its choice comes from."""

    key: str
    label: str
    group: str
    target: str  # "item" (items / accounts), "tax" (tax codes / types), "item_code" (Xero
    # item codes), "customer" (the ledger's customers / contacts) or "bank" (bank accounts)
    required: bool = False


def mappings_of(connection: AccountingConnection) -> dict[str, str]:
    """The connection's mappings as ``{"kind:local_key": external_id}``."""
    return {f"{m.kind}:{m.local_key}": m.external_id for m in connection.mappings}


def mapping_rows(provider: Provider, tax_model: str = GLOBAL) -> list[MappingRow]:
    """Every row of the mapping page for ``provider`` (and a QuickBooks company's tax model),
    in page order."""
    item = "Income item" if provider == Provider.QUICKBOOKS else "Sales account"
    rows = [MappingRow(DEFAULT_ITEM, f"{item} for every line", "Income", "item", True)]
    rows += _tax_rows(tax_model if provider == Provider.QUICKBOOKS else GLOBAL)
    rows.append(
        MappingRow(BANK_ACCOUNT, "Bank account for payments and refunds", "Payments", "bank")
    )
    rows += [
        MappingRow(f"contract:{kind.value}", kind.label, "Contract types", "item")
        for kind in ContractType
    ]
    rates = db.session.scalars(select(Rate).where(Rate.active).order_by(Rate.name))
    rows += [MappingRow(f"rate:{r.id}", r.name, "Rates", "item") for r in rates]
    products = db.session.scalars(select(Product).where(Product.active).order_by(Product.name))
    for product in products:
        rows.append(MappingRow(f"product:{product.id}", product.name, "Products", "item"))
        if provider == Provider.XERO:
            label = f"{product.name}: Xero item"
            rows.append(MappingRow(f"item_code:{product.id}", label, "Products", "item_code"))
    customers = db.session.execute(select(Customer.id, Customer.name).order_by(Customer.name))
    rows += [
        MappingRow(f"customer:{cid}", name, "Customers", "customer") for cid, name in customers
    ]
    return rows


def _tax_rows(tax_model: str) -> list[MappingRow]:
    if tax_model == US_AST:
        return []  # QuickBooks' automated sales tax works the tax out: lines say TAX or NON
    taxes = list(db.session.scalars(select(TaxRate).where(TaxRate.active).order_by(TaxRate.name)))
    if tax_model == US:
        return [
            MappingRow(f"tax:{t.id}", f"{tax_label(t.name, t.percent)}: sales tax",
                       "Taxes", "tax", True)
            for t in taxes
            if t.percent > 0
        ]  # fmt: skip
    rows = [
        MappingRow(f"tax:{t.id}", tax_label(t.name, t.percent), "Taxes", "tax", True) for t in taxes
    ]
    rows.append(MappingRow(NO_TAX, "Lines without tax", "Taxes", "tax", True))
    return rows


def missing_mappings(connection: AccountingConnection) -> list[str]:
    """Labels of the required rows the connection has not mapped yet."""
    mapped = mappings_of(connection)
    rows = mapping_rows(connection.provider, connection.tax_model or GLOBAL)
    return [r.label for r in rows if r.required and r.key not in mapped]


def save_mappings(connection: AccountingConnection, chosen: dict[str, tuple[str, str]]) -> None:
    """Store ``{key: (external id, external name)}``; an empty id removes the mapping (for a
    customer: the next export finds it by name again). Not committed.
    """
    existing = {f"{m.kind}:{m.local_key}": m for m in connection.mappings}
    for key, (external_id, name) in chosen.items():
        row = existing.get(key)
        if not external_id:
            if row is not None:
                connection.mappings.remove(row)
            continue
        if row is None:
            kind, local_key = key.split(":", 1)
            row = LedgerMapping(kind=kind, local_key=local_key)
            connection.mappings.append(row)
        row.external_id, row.external_name = external_id, name[:200]


def required_for(invoices: Iterable[Invoice], tax_model: str = GLOBAL) -> list[tuple[str, str]]:
    """(key, label) of every mapping these invoices cannot be exported without."""
    needed = [(DEFAULT_ITEM, "Income item / sales account for invoice lines")]
    if tax_model == US_AST:
        return needed
    lines = [line for i in invoices for line in i.lines]
    if tax_model == US:
        lines = [line for line in lines if is_taxed(line)]
    taxes = {(tax_key(line), line.tax_name) for line in lines}
    for key, name in sorted(taxes):
        needed.append((key, "Lines without tax" if key == NO_TAX else f"Tax rate {name}"))
    return needed


class LineMapper:
    """Which ledger item/account, item code and tax each line of some invoices uses.

    Built once per export: two queries find the contract type and the rate behind every line,
    whatever the number of lines.
    """

    def __init__(self, mapping: dict[str, str], invoices: list[Invoice]):
        self.mapping = mapping
        lines = [line for invoice in invoices for line in invoice.lines]
        contract_ids = {ln.contract_id for ln in lines if ln.contract_id}
        entry_ids = {ln.time_entry_id for ln in lines if ln.time_entry_id}
        self.contract_types = dict(
            db.session.execute(
                select(Contract.id, Contract.type).where(Contract.id.in_(contract_ids))
            ).all()
            if contract_ids
            else []
        )
        self.entry_rates = dict(
            db.session.execute(
                select(TimeEntry.id, TimeEntry.rate_id).where(TimeEntry.id.in_(entry_ids))
            ).all()
            if entry_ids
            else []
        )

    def item(self, line) -> str:
        """The ledger item (QuickBooks) or account code (Xero) of ``line``."""
        for key in self._candidates(line):
            if key in self.mapping:
                return self.mapping[key]
        return self.mapping[DEFAULT_ITEM]

    def item_code(self, line) -> str | None:
        """The Xero item code of a product's line, when mapped."""
        return self.mapping.get(f"item_code:{line.product_id}") if line.product_id else None

    def tax(self, line) -> str | None:
        """The ledger's tax code or type for ``line``'s tax."""
        return self.mapping.get(tax_key(line))

    def _candidates(self, line) -> list[str]:
        keys = []
        if line.product_id:
            keys.append(f"product:{line.product_id}")
        rate_id = self.entry_rates.get(line.time_entry_id)
        if rate_id:
            keys.append(f"rate:{rate_id}")
        contract_type = self.contract_types.get(line.contract_id)
        if contract_type:
            keys.append(f"contract:{contract_type.value}")
        return keys
