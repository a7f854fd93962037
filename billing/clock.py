"""Time helpers: every stored timestamp is timezone-aware UTC."""

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date where the server runs (its local time zone): the billing day."""
    return datetime.now(UTC).astimezone().date()
