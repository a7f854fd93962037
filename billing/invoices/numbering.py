"""Invoice numbers: from the settings' sequence, unique, never reused."""

from sqlalchemy import select

from models import Invoice, Settings, db


def format_number(prefix: str, number: int) -> str:
    """``INV-`` and 7 -> ``INV-0007``."""
    return f"{prefix}{number:04d}"


def take_numbers(count: int) -> list[str]:
    """Reserve ``count`` consecutive numbers (in the caller's transaction).

    The settings row is locked first (``FOR UPDATE`` on PostgreSQL; SQLite serialises writers),
    so two batches saved at once cannot take the same numbers. A number already present
    (e.g. after the prefix was changed back) is skipped, never reused.
    """
    settings = db.session.scalar(select(Settings).where(Settings.id == 1).with_for_update())
    if settings is None:
        from billing.settings import get_settings

        settings = get_settings()
    numbers: list[str] = []
    candidate = settings.next_invoice_number
    while len(numbers) < count:
        wanted = [
            format_number(settings.invoice_prefix, n)
            for n in range(candidate, candidate + count - len(numbers))
        ]
        taken = set(db.session.scalars(select(Invoice.number).where(Invoice.number.in_(wanted))))
        numbers += [n for n in wanted if n not in taken]
        candidate += len(wanted)
    settings.next_invoice_number = candidate
    db.session.flush()
    return numbers
