"""Counts in words, the one place a noun gets its plural: "1 invoice", "2 invoices".

The app speaks English only; a noun whose plural is not its singular plus "s" names it
(``counted(2, "time entry", "time entries")``).
"""


def noun(count: int, singular: str, plural: str | None = None) -> str:
    """The noun that goes with ``count``: ``singular`` for exactly one, else ``plural``
    (``singular`` + "s" unless given)."""
    return singular if count == 1 else (plural or f"{singular}s")


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """The count and its noun: ``counted(1, "invoice")`` -> ``"1 invoice"``, ``counted(0,
    "invoice")`` -> ``"0 invoices"``."""
    return f"{count} {noun(count, singular, plural)}"


def overdue_text(days: int) -> str:
    """The badge of an invoice ``days`` late: ``"Overdue · 12 days"``; empty when not late."""
    return f"Overdue · {counted(days, 'day')}" if days > 0 else ""
