"""Time helpers: every stored timestamp is timezone-aware UTC, and the billing day.

Below ``models.py`` (which stamps rows with :func:`utcnow`), so it imports nothing of the app.
"""

from datetime import UTC, date, datetime

from flask import current_app, has_app_context


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date where the server runs (its local time zone): the billing day.

    ``BILLING_TODAY`` (an ISO date in the app's configuration) pretends another day, for a demo
    or a test that must not depend on the calendar.
    """
    if has_app_context() and current_app.config.get("BILLING_TODAY"):
        return date.fromisoformat(str(current_app.config["BILLING_TODAY"]))
    return datetime.now(UTC).astimezone().date()
