"""Applying what a sync read about invoices: voided or deleted in the ledger (flagged here,
never acted on), the balance there, and a total there other than ours (shown as a
difference: we win for the invoice's content, a re-export sends it)."""

from decimal import Decimal

from billing.ledgers.sync_context import PullContext
from billing.ledgers.sync_types import LedgerInvoice
from billing.money import format_money, from_minor


def apply_invoice_state(context: PullContext, state: LedgerInvoice) -> list[str]:
    """Apply how one invoice stands in the ledger; a line per thing changed here."""
    export = context.exports.get(state.external_id)
    if export is None:
        return []
    invoice = export.invoice
    done = []
    if state.sync_token:
        export.sync_token = state.sync_token
    if state.balance is not None:
        export.ledger_balance = Decimal(state.balance).quantize(Decimal("0.0001"))
    flag = state.status if state.status in ("voided", "deleted") else ""
    if flag != export.ledger_flag:
        export.ledger_flag = flag
        if flag:
            context.event(invoice, "ledger_flagged",
                   f"{flag} there. Nothing was changed here: if it is cancelled, credit it "
                   "here; to bill it again, forget the ledger's copy and export it again.",
                   flag=flag)  # fmt: skip
            done.append(f"{invoice.number}: {flag} in {context.label} (flagged).")
    if flag or state.total is None:
        return done
    total = Decimal(state.total).quantize(Decimal("0.0001"))
    differs = total != from_minor(invoice.total_minor, invoice.currency)
    if total != export.ledger_total or differs != export.total_differs:
        export.ledger_total, export.total_differs = total, differs
        if differs:
            context.event(invoice, "ledger_total_differs",
                   f"the total there is now {total} {invoice.currency}, ours "
                   f"{format_money(invoice.total_minor, invoice.currency)}: shown as a "
                   "difference. Export it again to send ours.")  # fmt: skip
            done.append(f"{invoice.number}: total differs in {context.label}.")
    return done
