"""Time helpers: every stored timestamp is timezone-aware UTC."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)
