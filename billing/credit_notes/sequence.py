"""The credit note number sequence as Admin > Settings edits it: a prefix and the next number,
checked as the invoice ones are (:func:`billing.settings.check_prefix`)."""

from sqlalchemy import exists, select

from billing.errors import ValidationFailed
from billing.settings import check_prefix
from models import CreditNote, Settings, db

PREFIX_FIELD = "credit_note_prefix"
NEXT_FIELD = "next_credit_note_number"


def update_credit_note_sequence(
    settings: Settings, prefix: str | None, next_number: int | None
) -> None:
    """Set the credit note prefix and next number on ``settings`` (locked by the caller, not
    committed); None leaves one as it is.

    :raise ValidationFailed: a prefix with other characters than letters, digits, - / _ or
        over 20; a next number below 1, or below the current one once credit notes exist
        (numbers are never reused).
    """
    prefix = settings.credit_note_prefix if prefix is None else prefix
    next_number = settings.next_credit_note_number if next_number is None else next_number
    check_prefix(prefix, field=PREFIX_FIELD)
    if next_number < 1:
        raise ValidationFailed("Enter 1 or more.", NEXT_FIELD)
    current = settings.next_credit_note_number
    if next_number < current and db.session.scalar(select(exists(CreditNote.id))):
        raise ValidationFailed(
            f"Credit notes exist already, so the next number cannot go below {current}: "
            "numbers are never reused.",
            NEXT_FIELD,
        )
    settings.credit_note_prefix = prefix
    settings.next_credit_note_number = next_number
