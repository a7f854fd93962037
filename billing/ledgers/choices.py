"""What the connected ledger offers to map to: its items or accounts, tax codes or types, and
customers or contacts.

Read live from the ledger each time the mapping page opens (a few small requests), so the
dropdowns never offer something deleted or archived there since. A QuickBooks company's tax
model is read again at the same time (see :mod:`billing.ledgers.tax`).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from billing.catalog import percent_text
from billing.ledgers.connections import access_token
from billing.ledgers.providers import ledger_classes
from billing.ledgers.tax import GLOBAL, NON, TAX, US_AST, detect_tax_model
from integrations import quickbooks as qbo
from integrations import xero
from integrations.oauth import provider_config
from models import AccountingConnection, Provider

QBO_SALE_ITEM_TYPES = {"Service", "NonInventory", "Inventory"}
XERO_INCOME_TYPES = {"REVENUE", "SALES", "OTHERINCOME"}

Choice = tuple[str, str]  # (the ledger's id or code, what the dropdown shows)


@dataclass
class LedgerChoices:
    """The dropdown options of the mapping page, by :attr:`MappingRow.target`."""

    item: list[Choice] = field(default_factory=list)
    tax: list[Choice] = field(default_factory=list)
    item_code: list[Choice] = field(default_factory=list)
    customer: list[Choice] = field(default_factory=list)
    bank: list[Choice] = field(default_factory=list)  # where payments are received
    tax_model: str = GLOBAL

    def name_of(self, target: str, external_id: str) -> str | None:
        """The label of ``external_id`` among ``target``'s options (None: not offered)."""
        return dict(getattr(self, target)).get(external_id)


def ledger_choices(connection: AccountingConnection) -> LedgerChoices:
    """The options the ledger offers now (its token refreshed first if due, and once on a 401).

    :raise ReconnectNeeded: the connection must be made again.
    :raise LedgerError: the ledger refused or failed (its own words are in the error).
    """
    config = provider_config(connection.provider.value)
    ledger = ledger_classes()[connection.provider](
        config, connection, access_token(connection, config)
    )
    read = _quickbooks if connection.provider == Provider.QUICKBOOKS else _xero
    choices = ledger.with_one_refresh(lambda it: read(it.client()))
    if connection.provider == Provider.QUICKBOOKS:
        connection.tax_model = choices.tax_model
    return choices


def _quickbooks(client: qbo.QuickBooksClient) -> LedgerChoices:
    model = detect_tax_model(client.company_info(), client.preferences())
    items = [
        (str(i["Id"]), str(i.get("FullyQualifiedName") or i["Name"]))
        for i in client.list_items()
        if i.get("Active", True) and i.get("Type") in QBO_SALE_ITEM_TYPES
    ]
    taxes = []
    if model != US_AST:  # with automated sales tax, QuickBooks chooses the rate itself
        taxes = [
            (str(t["Id"]), str(t.get("Name") or t["Id"]))
            for t in client.list_tax_codes()
            if t.get("Active", True) and str(t["Id"]) not in (TAX, NON)
        ]
    customers = [
        (str(c["Id"]), str(c.get("DisplayName") or c["Id"]))
        for c in client.list_customers()
        if c.get("Active", True)
    ]
    banks = [
        (str(a["Id"]), str(a.get("FullyQualifiedName") or a.get("Name") or a["Id"]))
        for a in client.list_accounts()
        if a.get("Active", True) and a.get("AccountType") == "Bank"
    ]
    return LedgerChoices(
        item=sorted(items, key=_label),
        tax=sorted(taxes, key=_label),
        customer=sorted(customers, key=_label),
        bank=sorted(banks, key=_label),
        tax_model=model,
    )


def _xero(client: xero.XeroClient) -> LedgerChoices:
    listed = [a for a in client.list_accounts() if a.get("Status") == "ACTIVE"]
    accounts = [
        (str(a["Code"]), f"{a['Code']} {a.get('Name', '')}".strip())
        for a in listed
        if a.get("Code") and a.get("Type") in XERO_INCOME_TYPES
    ]
    banks = [
        (str(a["AccountID"]), str(a.get("Name") or a.get("Code") or a["AccountID"]))
        for a in listed
        if a.get("Type") == "BANK" and a.get("AccountID")
    ]
    taxes = [
        (str(t["TaxType"]), f"{t.get('Name', t['TaxType'])} ({_rate(t)} %)")
        for t in client.list_tax_rates()
        if t.get("Status") == "ACTIVE" and t.get("CanApplyToRevenue", True)
    ]
    items = [
        (str(i["Code"]), f"{i['Code']} {i.get('Name', '')}".strip())
        for i in client.list_items()
        if i.get("Code") and i.get("IsSold", True)
    ]
    contacts = [(str(c["ContactID"]), str(c.get("Name") or "")) for c in client.list_contacts()]
    return LedgerChoices(
        item=accounts,
        tax=sorted(taxes, key=_label),
        item_code=items,
        customer=sorted(contacts, key=_label),
        bank=sorted(banks, key=_label),
    )


def _rate(tax: dict) -> str:
    return percent_text(Decimal(str(tax.get("EffectiveRate") or tax.get("DisplayTaxRate") or 0)))


def _label(choice: Choice) -> str:
    return choice[1].casefold()
