"""What the credit note pages show: a credit note with its invoice, customer and lines, the
refunds paid from it, an invoice's credit notes, and the tax rates a credit for an amount may
use. (Its totals with tax per rate: :func:`billing.credit_notes.lines.credit_note_totals`.)"""

from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from billing.errors import NotFound
from models import CreditNote, Invoice, Payment, PaymentDirection, db


def load_credit_note(credit_note_id: int) -> CreditNote:
    """The credit note with its invoice, customer and lines.

    :raise NotFound: no such credit note.
    """
    credit_note = db.session.scalar(
        sa.select(CreditNote)
        .where(CreditNote.id == credit_note_id)
        .options(
            joinedload(CreditNote.invoice),
            joinedload(CreditNote.customer),
            selectinload(CreditNote.lines),
        )
    )
    if credit_note is None:
        raise NotFound(f"There is no credit note #{credit_note_id}.")
    return credit_note


def invoice_credit_notes(invoice: Invoice) -> list[CreditNote]:
    """The invoice's credit notes, oldest first (one query; their lines are not loaded)."""
    return list(
        db.session.scalars(
            sa.select(CreditNote)
            .where(CreditNote.invoice_id == invoice.id)
            .order_by(CreditNote.issue_date, CreditNote.id)
        )
    )


def credit_note_refunds(credit_note: CreditNote) -> list[Payment]:
    """The refunds paid from the credit note (payments out, not deleted), oldest first."""
    return list(
        db.session.scalars(
            sa.select(Payment)
            .where(
                Payment.credit_note_id == credit_note.id,
                Payment.direction == PaymentDirection.OUT,
                Payment.deleted_at.is_(None),
            )
            .options(joinedload(Payment.created_by))
            .order_by(Payment.payment_date, Payment.id)
        )
    )


class TaxChoice(NamedTuple):
    """A rate a credit for an amount may use, as the invoice's lines have it (None: untaxed)."""

    tax_rate_id: int | None
    name: str
    percent: Decimal


def invoice_tax_choices(invoice: Invoice) -> list[TaxChoice]:
    """The rates a credit for an amount may use: untaxed first when a line is untaxed, then
    each rate on the invoice's lines, in line order."""
    choices: dict[int | None, TaxChoice] = {}
    for line in invoice.lines:
        if line.tax_rate_id is None and not line.tax_name:
            choices.setdefault(None, TaxChoice(None, "", Decimal(0)))
        elif line.tax_rate_id is not None:
            choice = TaxChoice(line.tax_rate_id, line.tax_name, line.tax_percent)
            choices.setdefault(line.tax_rate_id, choice)
    untaxed = [choices.pop(None)] if None in choices else []
    return untaxed + list(choices.values())
