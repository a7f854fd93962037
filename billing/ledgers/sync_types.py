"""What a sync asks a ledger to send and what a ledger reports back, in words both share.

A ledger object is named ``"Type/id"`` (``Payment/212``, ``CreditMemo/140``,
``RefundReceipt/9``, ``CreditNote/<guid>``, ``Payment/<guid>``): unique within one ledger, and
what :class:`models.LedgerRef` stores, so a sync recognises what it sent, or already brought
back, by id alone.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


def applied_amounts(payment) -> dict[int, int]:
    """What a payment received paid on each invoice (minor units), as it goes to a ledger: its
    positive applications. What a credit note released of it since stays paid in the ledger,
    the credit note being applied there for less (see ``billing.ledgers.sync_push``)."""
    applied: dict[int, int] = {}
    for application in payment.applications:
        if application.amount_minor > 0:
            invoice_id = application.invoice_id
            applied[invoice_id] = applied.get(invoice_id, 0) + application.amount_minor
    return applied


def ref(kind: str, external_id: str) -> str:
    """The name of a ledger object: ``ref("Payment", "212") == "Payment/212"``."""
    return f"{kind}/{external_id}"


@dataclass
class Sent:
    """What the ledger made of one payment, refund or credit note sent from here."""

    refs: list[str]  # its objects there; the first is the main one (e.g. the CreditMemo)
    number: str = ""  # the ledger's number for it, if it has one


@dataclass
class MoneyRefs:
    """The ledger ids a send needs, all read before sending."""

    customers: dict[int, str]  # customer id -> the ledger's customer / ContactID
    invoices: dict[int, str]  # invoice id -> the ledger's invoice id (exported ones only)
    credit_notes: dict[int, list[str]]  # credit note id -> its refs there (exported ones)
    bank_account: str = ""  # mapping "account:bank": QBO Account Id / Xero AccountID


@dataclass
class LedgerApplication:
    """Part of a ledger payment or credit applied to one invoice."""

    invoice_external_id: str
    amount: Decimal  # in the invoice's currency, positive


@dataclass
class LedgerPayment:
    """Money applied to invoices in the ledger: a payment received there, or a credit note
    (QBO CreditMemo, Xero ACCRECCREDIT) applied there. Refunds are not reported."""

    ref: str  # "Payment/212"; for a Xero credit note "CreditNote/<guid>"
    kind: str  # "payment" (money received) or "credit" (a credit applied there)
    date: date
    currency: str | None
    reference: str  # PaymentRefNum / Reference / the credit note's number: shown here
    applications: list[LedgerApplication] = field(default_factory=list)
    deleted: bool = False  # deleted or voided there
    # QBO: a $0 Payment that applies a CreditMemo: the CreditMemo's ref, so a credit note sent
    # from here is recognised by its own object too.
    credit_ref: str = ""


@dataclass
class LedgerInvoice:
    """How an invoice stands in the ledger now."""

    external_id: str
    status: str  # "open", "paid", "voided" or "deleted"
    total: Decimal | None = None
    balance: Decimal | None = None
    sync_token: str | None = None  # QBO: applying a payment there bumps it


@dataclass
class LedgerChanges:
    """Everything that changed in the ledger since a cursor."""

    invoices: list[LedgerInvoice] = field(default_factory=list)
    payments: list[LedgerPayment] = field(default_factory=list)
    cursor: str = ""  # where the next sync reads from (the ledger's own time, ISO 8601)
