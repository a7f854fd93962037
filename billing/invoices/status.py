"""The invoice status machine: one explicit table of allowed transitions.

Sending makes an invoice Sent and exporting makes it Exported, by themselves; an admin can also
move it by hand along these edges. Back to Draft is an explicit, recorded admin action.
"""

from billing.audit import record_event
from billing.errors import Conflict
from models import Invoice, InvoiceStatus, User

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
    invoice: Invoice, target: InvoiceStatus, user: User | None, why: str = ""
) -> None:
    """Move ``invoice`` to ``target`` and record who, when, from, to and why.

    :raise Conflict: the transition is not in :data:`TRANSITIONS`.
    """
    current = invoice.status
    if target == current:
        return
    if target not in TRANSITIONS[current]:
        raise Conflict(
            f"Invoice {invoice.number} is {current.value.capitalize()}; "
            f"it cannot become {target.value.capitalize()}."
        )
    invoice.status = target
    record_event(invoice, user, "status", why, from_status=current, to_status=target)


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
