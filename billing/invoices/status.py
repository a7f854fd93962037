"""The invoice status machine: one explicit table of allowed transitions.

Sending makes an invoice Sent and exporting makes it Exported, by themselves; an admin can also
move it by hand along these edges. Back to Draft is an explicit, recorded admin action.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from billing.audit import record_event
from billing.errors import Conflict
from billing.money import format_money
from billing.settings import company_locale, get_settings
from billing.wording import counted, noun
from clock import today
from models import SETTLED_STATUSES, Invoice, InvoiceEvent, InvoiceStatus, User, db

D, S, E, P, R = (
    InvoiceStatus.DRAFT,
    InvoiceStatus.SENT,
    InvoiceStatus.EXPORTED,
    InvoiceStatus.PAID,
    InvoiceStatus.REFUNDED,
)

TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    D: frozenset({S, E, P}),
    S: frozenset({D, E, P}),
    E: frozenset({D, S, P}),
    P: frozenset({R, S, E}),  # a payment recorded by mistake can be taken back
    R: frozenset(),
}


def allowed(current: InvoiceStatus) -> frozenset[InvoiceStatus]:
    """The statuses an invoice in ``current`` may move to."""
    return TRANSITIONS[current]


def change_status(
    invoice: Invoice,
    target: InvoiceStatus,
    user: User | None,
    why: str = "",
    data: dict[str, Any] | None = None,
    *,
    settled_on: date | None = None,
) -> InvoiceEvent | None:
    """Move ``invoice`` to ``target`` and record who, when, from, to, why (and ``data``);
    the event, or None when it was already there.

    Paid or Refunded, it is settled on ``settled_on`` (today when not given: marked by hand);
    any other status, nothing is settled. A Paid marked while a balance is due (no payment
    recorded here, ``data`` names none) says so on the trail.

    :raise Conflict: the transition is not in :data:`TRANSITIONS`.
    """
    current = invoice.status
    if target == current:
        return None
    if target not in TRANSITIONS[current]:
        raise Conflict(
            f"Invoice {invoice.number} is {current.value.capitalize()}; "
            f"it cannot become {target.value.capitalize()}."
        )
    if target == InvoiceStatus.DRAFT and invoice.paid_minor:
        # A Draft's total can be edited: it could fall below what was paid.
        raise Conflict(
            f"Invoice {invoice.number} has payments applied: it cannot go back to Draft. "
            "Delete its payments first."
        )
    if target == InvoiceStatus.DRAFT and invoice.credited_minor:
        raise Conflict(f"Invoice {invoice.number} has credit notes: it cannot go back to Draft.")
    invoice.status = target
    if target in SETTLED_STATUSES:
        invoice.settled_on = invoice.settled_on or settled_on or today()
    else:
        invoice.settled_on = None
    if (
        target == InvoiceStatus.PAID
        and invoice.balance_minor > 0
        and not (data or {}).get("payment_id")
    ):
        owed = format_money(invoice.balance_minor, invoice.currency, company_locale(get_settings()))
        note = f"Marked Paid by hand: no payment recorded here ({owed} of the balance)."
        why = f"{note} {why}".strip()
    return record_event(
        invoice, user, "status", why, from_status=current, to_status=target, data=data
    )


@dataclass
class StatusChanges:
    """What a change of many invoices' status did: ``asked`` ids, ``found`` invoices, the
    numbers ``changed`` and ``refused`` (a transition the table forbids); the rest were
    already in ``target``."""

    target: InvoiceStatus
    asked: int
    found: int = 0
    changed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> int:
        """How many were already in the target status."""
        return self.found - len(self.changed) - len(self.refused)

    def messages(self) -> list[tuple[str, str]]:
        """What happened in words, each with its kind (success, info, error)."""
        label = self.target.value.capitalize()
        said = []
        if self.changed:
            listed = ", ".join(self.changed)
            said.append(
                (
                    f"{counted(len(self.changed), 'invoice')} changed to {label}: {listed}.",
                    "success",
                )
            )
        if self.unchanged:
            was = noun(self.unchanged, "was", "were")
            said.append((f"{counted(self.unchanged, 'invoice')} {was} already {label}.", "info"))
        if self.refused:
            refused = "; ".join(f"{number}: cannot become {label}" for number in self.refused)
            said.append((f"Not changed: {refused}.", "error"))
        if self.asked > self.found:
            gone = self.asked - self.found
            exist = noun(gone, "exists", "exist")
            said.append((f"{gone} of the selected invoices no longer {exist}.", "info"))
        return said


def change_statuses(
    invoice_ids: list[int], target: InvoiceStatus, user: User | None, why: str
) -> StatusChanges:
    """Move the invoices ``invoice_ids`` to ``target`` along allowed transitions only, in
    number order, each recorded as :func:`change_status` does; the others are listed, not
    changed. The invoices are locked first. Nothing is committed here."""
    outcome = StatusChanges(target, asked=len(invoice_ids))
    invoices = db.session.scalars(
        select(Invoice)
        .where(Invoice.id.in_(invoice_ids))
        .order_by(func.length(Invoice.number), Invoice.number)
        .with_for_update()
    ).all()
    outcome.found = len(invoices)
    for invoice in invoices:
        before = invoice.status
        try:
            change_status(invoice, target, user, why)
        except Conflict:
            outcome.refused.append(invoice.number)
            continue
        if invoice.status != before:
            outcome.changed.append(invoice.number)
    return outcome


def is_editable(invoice: Invoice) -> bool:
    """Only a Draft can be edited."""
    return invoice.status == InvoiceStatus.DRAFT


def ensure_editable(invoice: Invoice) -> None:
    """:raise Conflict: the invoice is past Draft."""
    if not is_editable(invoice):
        raise Conflict(
            f"Invoice {invoice.number} is {invoice.status.value.capitalize()}: only a Draft can "
            "be edited. An admin can move it back to Draft first (that is recorded)."
        )
