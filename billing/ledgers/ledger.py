"""The two ledgers behind one small interface: find or create customers, push invoices.

What both share lives here: the figures a line is sent with, each line's share of the tax, the
idempotency keys (a hash of exactly what is sent), and sending in chunks so that one failed
request fails only its own invoices. The ledgers themselves are in ``export_qbo`` and
``export_xero``; ``export_providers`` says which is whose.
"""

import hashlib
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from billing.ledgers.connections import access_token
from billing.ledgers.sync_types import LedgerChanges, MoneyRefs, Sent
from billing.money import format_money, from_minor
from integrations.exact_json import encode_json
from integrations.ledger_errors import AuthExpired, LedgerError, LedgerUnavailable, NotSent
from integrations.oauth import ProviderConfig
from integrations.transport import Deadline
from models import AccountingConnection, CreditNote, Customer, Invoice, Payment, Provider

T = TypeVar("T")
LEDGER_DECIMALS = 2  # both ledgers book line amounts to the cent, whatever the currency
QUANTITY_DECIMALS = 4  # the most decimals of a quantity both ledgers keep


@dataclass
class Pushed:
    """The ledger's copy of one invoice, as it answered."""

    external_id: str
    number: str | None = None
    sync_token: str | None = None
    total: Decimal | None = None  # what the ledger booked, to compare with ours
    tax: Decimal | None = None
    status: str = ""  # the ledger's status where it has several (Xero DRAFT / AUTHORISED)
    adopted: bool = False  # found in the ledger under our number, not created by this export


Outcome = Pushed | LedgerError


def body_key(provider: Provider, invoice_id: int, payload: dict) -> str:
    """The idempotency key of sending ``payload``: a retry of the same body replays, any change
    of what is sent (a fix in the mapping, an edit) makes a new request."""
    body = f"{provider.value}|{invoice_id}|{encode_json(payload)}"
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def group_key(*parts: str) -> str:
    """One key for a request that carries several bodies (24 characters)."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def creation_key(kind: str, names) -> str:
    """The key of a request creating customers: new for every export. Customers are looked up
    by name first, so a lost answer cannot make a second one; and a refusal fixed in the
    ledger (a vendor renamed there) must not be replayed to the next export."""
    return group_key(kind, secrets.token_hex(8), *sorted(names))


def _exact(value: Decimal, places: int) -> bool:
    return value == value.quantize(Decimal(1).scaleb(-places))


def line_figures(line, currency: str) -> tuple[Decimal, Decimal, Decimal, str]:
    """(quantity, unit price, amount, description) for a ledger line.

    Both ledgers work the amount out as quantity x price to the cent, so our figures are sent as
    they are only when they multiply out to our amount exactly (1.5 x 120.00 = 180.00). Otherwise
    (1.5 x ¥15,001 = ¥22,502 once rounded; a discount; a long quantity) the line goes as one unit
    at our amount and the description keeps the detail.
    """
    amount = from_minor(line.amount_minor, currency)
    price = from_minor(line.unit_price_minor, currency)
    quantity = line.quantity
    description = line.description or "-"
    if (
        line.discount_minor == 0
        and quantity > 0
        and _exact(quantity, QUANTITY_DECIMALS)
        and quantity * price == amount
        and _exact(amount, LEDGER_DECIMALS)
    ):
        return quantity, price, amount, description
    detail = f"{quantity.normalize():f} × {format_money(line.unit_price_minor, currency)}"
    if line.discount_minor:
        detail += f" less {format_money(line.discount_minor, currency)}"
    return Decimal(1), amount, amount, f"{description} ({detail})"


def tax_shares(lines: Sequence, taxes) -> list[int]:
    """Each line's share (by position) of its rate's tax, largest remainder: per rate of
    ``taxes`` (a document's tax summary) the shares sum to its tax exactly; untaxed lines 0."""
    shares = [0] * len(lines)
    for total in taxes:
        mine = [
            i
            for i, ln in enumerate(lines)
            if ln.tax_name == total.tax.name and ln.tax_percent == total.tax.percent
        ]
        base = sum(lines[i].amount_minor for i in mine) or 1
        exact = {i: total.tax_minor * lines[i].amount_minor / Decimal(base) for i in mine}
        floor = {k: int(v) for k, v in exact.items()}
        left = total.tax_minor - sum(floor.values())
        for i in sorted(exact, key=lambda k: exact[k] - floor[k], reverse=True)[:left]:
            floor[i] += 1
        for i, share in floor.items():
            shares[i] = share
    return shares


def not_reached(error: LedgerError, label: str) -> LedgerUnavailable:
    """The error of the invoices after a request that stopped the export."""
    return LedgerUnavailable(
        f"Not sent: {label} stopped the export at an earlier request ({error.message}). "
        "Nothing was changed for this invoice; export it again.",
        "not_reached",
        provider=error.provider,
    )


def send_in_chunks(
    chunks: Sequence[Sequence[T]],
    send: Callable[[Sequence[T]], dict[int, Outcome]],
    ids: Callable[[T], int],
    label: str,
) -> dict[int, Outcome]:
    """``send`` each chunk; a request that fails fails only its own invoices, and the chunks
    after one that was throttled or unanswered are not sent (the ledger is unlikely to do
    better a moment later, and the worker's time is limited). A 401 is raised, to be retried
    whole after a token renewal (safe: what arrived is found again by number)."""
    outcomes: dict[int, Outcome] = {}
    stop: LedgerError | None = None
    for chunk in chunks:
        if stop is not None:
            outcomes.update({ids(x): not_reached(stop, label) for x in chunk})
            continue
        try:
            outcomes.update(send(chunk))
        except AuthExpired:
            raise
        except LedgerError as error:
            outcomes.update({ids(x): error for x in chunk})
            if not isinstance(error, NotSent):
                stop = error
    return outcomes


def chunked(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """``items`` in slices of at most ``size``."""
    return [items[start : start + size] for start in range(0, len(items), size)]


class Ledger(ABC):
    """What the exporter needs from a ledger."""

    provider: Provider
    label: str
    client_class: type  # QuickBooksClient or XeroClient: (base URL, tenant, token, ...)

    def __init__(
        self,
        config: ProviderConfig,
        connection: AccountingConnection,
        token: str,
        deadline: Deadline | None = None,
    ):
        self.config, self.connection, self.access_token = config, connection, token
        self.deadline = deadline or Deadline()
        self.keys: dict[int, str] = {}  # invoice id -> idempotency key of what was sent
        self.money_keys: dict[str, str] = {}  # "payment:<id>" / "credit_note:<id>" -> key

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
            deadline=self.deadline,
        )

    def check(self, invoice: Invoice) -> None:  # noqa: B027 (most ledgers check nothing)
        """:raise NotSent: the ledger would refuse ``invoice`` or book it wrong."""

    @abstractmethod
    def customer_ids(self, customers: list[Customer]) -> dict[int, str | LedgerError]:
        """The ledger's id of each customer, found by exact name or created (or the error
        that customer met: it fails only its own invoices)."""

    @abstractmethod
    def push_invoices(self, invoices, customer_refs, mapper, exports) -> dict[int, Outcome]:
        """Create or update the invoices; ``{invoice id: Pushed or LedgerError}``; fills
        :attr:`keys`."""

    @abstractmethod
    def push_credit_notes(
        self, notes: list[CreditNote], refs: MoneyRefs, mapper
    ) -> dict[int, Sent | LedgerError]:
        """Create each credit note there and apply what it took off its invoice's balance
        (``total - released``) to the invoice; ``{credit note id: Sent or LedgerError}``.
        Fills :attr:`money_keys` (``"credit_note:<id>"`` -> idempotency key)."""

    @abstractmethod
    def push_payments(
        self, payments: list[Payment], refs: MoneyRefs
    ) -> dict[int, Sent | LedgerError]:
        """Create each payment there (direction in: applied to its invoices as it was applied,
        its positive applications, what a credit note released since staying paid there;
        direction out: a refund of its credit note); ``{payment id: Sent or LedgerError}``.
        Fills :attr:`money_keys` (``"payment:<id>"`` -> idempotency key)."""

    @abstractmethod
    def update_payments(self, items: list, refs: MoneyRefs) -> dict[int, Sent | LedgerError]:
        """Send what each ``(record, payment)``'s payment applies now beyond what was sent
        (credit applied here later); ``{record id: Sent (all its refs) or LedgerError}``."""

    @abstractmethod
    def withdraw_payments(self, records: list) -> dict[int, LedgerError | None]:
        """Delete there the copies (each record's refs) of payments and refunds deleted here;
        ``{record id: None (gone there now, or already) or LedgerError}``."""

    @abstractmethod
    def changes_since(self, cursor: str) -> LedgerChanges:
        """What changed there since ``cursor`` (the ledger's time, ISO 8601): changed
        invoices, payments and applied credits; and the cursor for next time. The requests
        grow with what changed, not with the number of invoices."""
