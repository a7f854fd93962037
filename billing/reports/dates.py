"""The days a report is asked for, read from a query string or an option."""

import re
from datetime import date

from billing.errors import ValidationFailed
from billing.wording import shown

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# Far enough for any real question; a day before start or after end never overflows.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


def parse_day(raw: str | None, default: date, *, field: str) -> date:
    """``raw`` (YYYY-MM-DD) as a date, ``default`` when blank.

    :raise ValidationFailed: not a day of the calendar in that form, or before 1900 or after
        2999 (beside ``field``).
    """
    text = (raw or "").strip()
    if not text:
        return default
    try:
        if not ISO_DAY.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"“{shown(text)}” is not a date: enter it as YYYY-MM-DD, e.g. 2026-12-31.", field
        ) from None
    if not EARLIEST <= day <= LATEST:
        raise ValidationFailed(
            f"Enter a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}.", field
        )
    return day
