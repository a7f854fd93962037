"""Credit note numbers: their own sequence in the settings, unique, never reused."""

from sqlalchemy import select

from billing.invoices.numbering import format_number
from models import CreditNote, Settings, db


def take_credit_note_number() -> str:
    """Reserve the next credit note number (``CN-0001``), in the caller's transaction.

    As :func:`billing.invoices.numbering.take_numbers`: the settings row is locked first, so two
    credit notes issued at once cannot take the same number, and a number already on a credit
    note (the prefix changed and back) is skipped, never reused.
    """
    settings = db.session.scalar(select(Settings).where(Settings.id == 1).with_for_update())
    if settings is None:
        from billing.settings import get_settings

        settings = get_settings()
    candidate = settings.next_credit_note_number
    while True:
        number = format_number(settings.credit_note_prefix, candidate)
        candidate += 1
        taken = db.session.scalar(select(CreditNote.id).where(CreditNote.number == number))
        if taken is None:
            break
    settings.next_credit_note_number = candidate
    db.session.flush()
    return number
