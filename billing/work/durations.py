"""Durations of work as typed by technicians, stored as whole minutes.

Accepted forms (case and spaces do not matter):

- ``1:30`` hours and minutes (minutes 00-59);
- ``90m``, ``90 min``, ``90 minutes`` minutes;
- ``1.5h``, ``2 hours`` hours;
- ``1h 30m``, ``1h30``, ``1 hour 30 min`` hours then minutes;
- ``1.5`` **a bare number is hours** (``90`` is ninety hours, refused as too long): the common
  case on a timesheet is hours, and minutes are one letter away (``90m``).

A decimal comma works as a decimal point (``1,5h``); digits are 0-9 only. Fractions of a minute
are rounded half-up to the minute (``0.01h`` = 0.6 min -> 1 min). One entry holds more than zero
and at most 24 hours.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

from billing.errors import ValidationFailed

MAX_MINUTES = 24 * 60
FIELD = "duration"

_NUMBER = r"\d+(?:[.,]\d*)?|[.,]\d+"
_HOURS = r"h|hr|hrs|hour|hours"
_MINUTES = r"m|min|mins|minute|minutes"
# re.ASCII: only 0-9 are digits ("²" and "٣" are refused, as every number field does).
_CLOCK = re.compile(r"(?P<hours>\d+):(?P<minutes>\d{2})", re.ASCII)
_BARE = re.compile(rf"(?P<hours>{_NUMBER})", re.ASCII)
_UNITS = re.compile(
    rf"(?:(?P<hours>{_NUMBER})\s*(?:{_HOURS}))?\s*"
    rf"(?:(?P<minutes>{_NUMBER})\s*(?P<unit>{_MINUTES})?)?",
    re.ASCII,
)
_EXAMPLES = "Enter a duration such as 1:30, 90m or 1.5h."


def _number(text: str | None) -> Decimal:
    return Decimal(text.replace(",", ".")) if text else Decimal(0)


def _minutes(text: str) -> Decimal:
    """The typed duration in (possibly fractional) minutes.

    :raise ValidationFailed: the text matches none of the accepted forms.
    """
    if match := _CLOCK.fullmatch(text):
        if int(match["minutes"]) > 59:
            raise ValidationFailed("After the colon come minutes, 00 to 59.", FIELD)
        return Decimal(int(match["hours"]) * 60 + int(match["minutes"]))
    if match := _BARE.fullmatch(text):
        return _number(match["hours"]) * 60
    match = _UNITS.fullmatch(text)
    # "1h30" may leave out the minutes' unit, but a lone number was handled above as hours
    if not text or match is None or (match["hours"] is None and match["unit"] is None):
        raise ValidationFailed(_EXAMPLES, FIELD)
    return _number(match["hours"]) * 60 + _number(match["minutes"])


def parse_duration(text: str) -> int:
    """Whole minutes for a typed duration (see the module docstring for the forms).

    :raise ValidationFailed: (field ``duration``) empty, unreadable, negative, zero, or more
        than 24 hours.
    """
    cleaned = " ".join((text or "").lower().split())
    if not cleaned:
        raise ValidationFailed("Enter how long the work took, such as 1:30.", FIELD)
    if cleaned.startswith("-"):
        raise ValidationFailed("A duration cannot be negative.", FIELD)
    if len(cleaned) > 40:
        raise ValidationFailed(_EXAMPLES, FIELD)
    # capped before rounding: quantize fails past 28 digits, and over a day is refused anyway
    exact = min(_minutes(cleaned), Decimal(MAX_MINUTES + 1))
    minutes = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if minutes <= 0:
        raise ValidationFailed("A duration must be at least one minute.", FIELD)
    if minutes > MAX_MINUTES and _BARE.fullmatch(cleaned):
        raise ValidationFailed(
            f"A plain number is hours, and one entry holds at most 24. For minutes, "
            f"type {cleaned}m.",
            FIELD,
        )
    if minutes > MAX_MINUTES:
        raise ValidationFailed(
            "One entry holds at most 24 hours; split longer work into several entries.", FIELD
        )
    return minutes


def format_duration(minutes: int) -> str:
    """Minutes as h:mm, the one way a duration is shown: ``90`` -> ``"1:30"``, ``5`` ->
    ``"0:05"``, ``1500`` -> ``"25:00"``, ``-90`` (an overdrawn block) -> ``"-1:30"``."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(int(minutes)), 60)
    return f"{sign}{hours}:{rest:02d}"


def hours(minutes: int, places: int = 3) -> Decimal:
    """Minutes as hours, rounded half-up to ``places`` decimals: a line's quantity (3), the text
    of a form field (2, enough to give the minutes back): ``439`` -> ``7.317`` / ``7.32``."""
    step = Decimal(1).scaleb(-places)
    return (Decimal(minutes) / 60).quantize(step, rounding=ROUND_HALF_UP)
