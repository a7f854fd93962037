"""Applying what changed in the ledger: payments and credits applied there, invoices voided,
deleted or booked at another total there.

The rules (issue #16):

- A ledger object is recognised by its id first (:class:`models.LedgerRef`): what was sent
  from here, or brought back before, is never recorded again.
- An unknown payment is then matched to one recorded here by date, amount and invoice, and
  linked to it: recorded once, on both sides.
- Otherwise it is recorded here as a payment from the ledger (the ledger wins for money
  recorded there), applied to the same invoices. Deleted or voided there later, it is deleted
  here too. A payment sent from here and deleted there is only flagged: it was recorded here.
- An invoice voided or deleted there is flagged, never changed or deleted here; a total other
  than ours is shown as a difference (see :mod:`billing.ledgers.sync_invoices`).

Every decision is an event on the invoice's trail naming its source.
"""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from billing.errors import BillingError
from billing.ledgers.sync_context import PullContext
from billing.ledgers.sync_invoices import apply_invoice_state
from billing.ledgers.sync_types import LedgerChanges, LedgerPayment, applied_amounts
from billing.money import format_money
from billing.payments.store import delete_payment, record_payment
from clock import utcnow
from models import (
    AccountingConnection,
    ExportState,
    Invoice,
    InvoiceEvent,
    LedgerRecord,
    LedgerRef,
    Payment,
    PaymentDirection,
    PaymentMethod,
    db,
)


def apply_changes(connection: AccountingConnection, changes: LedgerChanges) -> list[str]:
    """Apply ``changes`` here (not committed); returns a line per thing changed here."""
    context = PullContext(connection, changes)
    done: list[str] = []
    for payment in changes.payments:
        done += _apply_payment(context, payment)
    for state in changes.invoices:
        done += apply_invoice_state(context, state)
    return done


def _apply_payment(context: PullContext, payment: LedgerPayment) -> list[str]:
    record = context.known.get(payment.ref) or context.known.get(payment.credit_ref)
    if record is not None:
        return _known_payment(context, payment, record)
    if payment.deleted:
        return []  # never recorded here: nothing to undo
    applied = context.invoices_of(payment)
    if not applied:
        return []  # not about our invoices
    wrong = [i for i, _ in applied if payment.currency and payment.currency != i.currency]
    if wrong:
        return _refuse_currency(context, payment, wrong)
    local = _matching_payment(context, payment, applied)
    if local is not None:
        record = _link(context, local, payment, origin="matched")
        record.applied = {str(invoice.id): minor for invoice, minor in applied}
        for invoice, _ in applied:
            message = (
                f"{_what(payment)} is payment #{local.id} recorded here (same date, amount "
                "and invoice): kept once."
            )
            context.event(invoice, "ledger_payment_matched", message, ref=payment.ref,
                   payment_id=local.id)  # fmt: skip
        return [f"{_what(payment)} matched payment #{local.id} recorded here."]
    return _record_from_ledger(context, payment, applied)


def _kind(payment: LedgerPayment) -> str:
    return "credit" if payment.kind == "credit" else "payment"


def _what(payment: LedgerPayment) -> str:
    """ "payment of 2026-12-03 (ref. ACH-1001)": how the trail names a ledger payment."""
    reference = f" (ref. {payment.reference})" if payment.reference else ""
    return f"{_kind(payment)} of {payment.date.isoformat()}{reference}"


def _refuse_currency(context, payment: LedgerPayment, invoices: list[Invoice]) -> list[str]:
    said = []
    for invoice in invoices:
        if _already_said(invoice, payment.ref, "ledger_payment_refused"):
            continue
        context.event(invoice, "ledger_payment_refused",
               f"{_what(payment)} is in {payment.currency}, this invoice in "
               f"{invoice.currency}: not recorded here. Correct it in {context.label}.",
               context, ref=payment.ref)  # fmt: skip
        said.append(f"{_what(payment)} not recorded: its currency differs from {invoice.number}.")
    return said


def _already_said(invoice: Invoice, ref: str, kind: str) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.func.count(InvoiceEvent.id)).where(
                InvoiceEvent.invoice_id == invoice.id,
                InvoiceEvent.kind == kind,
                InvoiceEvent.data["ref"].as_string() == ref,
            )
        )
        > 0
    )


def _matching_payment(context, payment: LedgerPayment, applied) -> Payment | None:
    """A payment recorded here, not yet in this ledger, of the same date, customer and
    amounts on the same invoices."""
    wanted = {invoice.id: minor for invoice, minor in applied}
    customer_id = applied[0][0].customer_id
    linked = sa.select(LedgerRecord.payment_id).where(
        LedgerRecord.provider == context.provider,
        LedgerRecord.payment_id.is_not(None),
        LedgerRecord.state == ExportState.EXPORTED,
    )
    candidates = db.session.scalars(
        sa.select(Payment)
        .where(
            Payment.customer_id == customer_id,
            Payment.payment_date == payment.date,
            Payment.direction == PaymentDirection.IN,
            Payment.deleted_at.is_(None),
            Payment.recorded_in == "",
            Payment.id.not_in(linked),
        )
        .options(selectinload(Payment.applications))
        .order_by(Payment.id)
    )
    return next((p for p in candidates if applied_amounts(p) == wanted), None)


def _link(context, local: Payment, payment: LedgerPayment, origin: str) -> LedgerRecord:
    record = db.session.scalar(
        sa.select(LedgerRecord).where(
            LedgerRecord.provider == context.provider, LedgerRecord.payment_id == local.id
        )
    )
    if record is None:
        record = LedgerRecord(provider=context.provider, payment_id=local.id)
        db.session.add(record)
    record.origin, record.state, record.error, record.error_kind = (
        origin,
        ExportState.EXPORTED,
        "",
        "",
    )
    record.exported_at = record.attempted_at = utcnow()
    record.external_number = payment.reference[:40]
    record.refs.append(LedgerRef(provider=context.provider, ref=payment.ref))
    context.known[payment.ref] = record
    return record


def _record_from_ledger(context, payment: LedgerPayment, applied) -> list[str]:
    invoice = applied[0][0]
    total = sum(minor for _, minor in applied)
    allocations = {i.id: min(minor, max(i.balance_minor, 0)) for i, minor in applied}
    allocations = {k: v for k, v in allocations.items() if v > 0}
    how = "credit applied" if payment.kind == "credit" else "payment recorded"
    try:  # record_payment checks everything before it adds a row
        local = record_payment(
            invoice.customer, payment.date, total, invoice.currency, PaymentMethod.OTHER,
            payment.reference[:100] or payment.ref[:100],
            f"From {context.label} ({how} there, {payment.ref}).", allocations, None,
        )  # fmt: skip
    except BillingError as error:
        for inv, _ in applied:
            if not _already_said(inv, payment.ref, "ledger_payment_refused"):
                context.event(inv, "ledger_payment_refused",
                       f"{_what(payment)} could not be recorded here: {error}",
                       context, ref=payment.ref)  # fmt: skip
        return [f"{_what(payment)} not recorded: {error}"]
    local.recorded_in = context.provider.value
    _link(context, local, payment, origin="ledger")
    for inv, minor in applied:
        kept = allocations.get(inv.id, 0)
        extra = (
            f"; {format_money(minor - kept, inv.currency)} beyond its balance here is kept as "
            "the customer's credit"
            if kept < minor
            else ""
        )
        context.event(inv, "ledger_payment",
               f"{_what(payment)}, {format_money(minor, inv.currency)} on this invoice, recorded "
               f"here as payment #{local.id}{extra} ({payment.ref} there).",
               ref=payment.ref, payment_id=local.id)  # fmt: skip
    numbers = ", ".join(inv.number for inv, _ in applied)
    money = format_money(total, invoice.currency)
    reference = f", ref. {payment.reference}" if payment.reference else ""
    return [
        f"{numbers}: {_kind(payment)} of {money} in {context.label} "
        f"({payment.date.isoformat()}{reference}) recorded here as payment #{local.id}."
    ]


def _known_payment(context, payment: LedgerPayment, record: LedgerRecord) -> list[str]:
    local = record.payment
    if local is None or record.credit_note_id is not None:
        return []  # a credit note sent from here, and its application: ours
    if not payment.deleted:
        if record.origin != "ledger" or local.is_deleted:
            return []
        applied = context.invoices_of(payment)
        if sum(minor for _, minor in applied) == local.amount_minor:
            return []  # as recorded (what went beyond a balance here is the customer's credit)
        _delete_here(context, local, payment, "changed")
        db.session.flush()
        record.refs.clear()
        db.session.delete(record)
        db.session.flush()
        context.known.pop(payment.ref, None)
        return _record_from_ledger(context, payment, applied)
    if local.is_deleted:
        return []
    if record.origin == "ledger":
        _delete_here(context, local, payment, "deleted or voided")
        return [f"Payment #{local.id} deleted here: {payment.ref} was deleted or voided there."]
    if record.error.startswith("Deleted"):
        return []  # already flagged
    record.error = f"Deleted or voided in {context.label}; kept here (it was recorded here)."
    for application in local.applications:
        context.event(application.invoice, "ledger_payment_deleted",
               f"payment #{local.id} (recorded here, {payment.ref} there) was deleted or voided "
               "there. It is kept here; delete it here too if it was a mistake.",
               ref=payment.ref, payment_id=local.id)  # fmt: skip
    return [f"Payment #{local.id}: deleted in {context.label}, kept here (flagged)."]


def _delete_here(context, local: Payment, payment: LedgerPayment, how: str) -> None:
    delete_payment(local, f"{how} in {context.label} ({payment.ref})", None, context.provider.value)
