"""Typed durations -> whole minutes, and minutes -> "h:mm"."""

import pytest

from billing.errors import ValidationFailed
from billing.invoices.lines import format_minutes
from billing.work.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        # hours:minutes
        ("1:30", 90),
        ("0:45", 45),
        ("0:01", 1),
        ("10:00", 600),
        ("24:00", 1440),
        # minutes
        ("90m", 90),
        ("90 min", 90),
        ("90 mins", 90),
        ("45 minutes", 45),
        ("1 minute", 1),
        ("5M", 5),
        # hours
        ("1.5h", 90),
        ("2h", 120),
        ("2 hours", 120),
        ("1 hour", 60),
        ("1.25 hrs", 75),
        ("1,5h", 90),  # a decimal comma
        # a bare number is hours
        ("1.5", 90),
        ("2", 120),
        (".5", 30),
        ("0.25", 15),
        ("24", 1440),
        # hours then minutes
        ("1h 30m", 90),
        ("1h30", 90),
        ("1h30m", 90),
        ("1H30MIN", 90),
        ("1 hour 30 minutes", 90),
        ("2h 5", 125),
        ("0h 45m", 45),
        # spaces around and inside
        ("  1:30  ", 90),
        ("1.5   h", 90),
        # fractions of a minute round half-up
        ("0.5m", 1),
        ("1.5m", 2),
        ("2.49m", 2),
        ("0.01h", 1),  # 0.6 min
        ("1.01h", 61),  # 60.6 min
        ("1.0083h", 60),  # 60.498 min
        ("1.0084h", 61),  # 60.504 min
    ],
)
def test_parse_duration(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter how long the work took"),
        ("   ", "Enter how long the work took"),
        (None, "Enter how long the work took"),
        ("abc", "Enter a duration such as 1:30"),
        ("1:3", "Enter a duration such as 1:30"),
        ("1:30:00", "Enter a duration such as 1:30"),
        ("1:75", "00 to 59"),
        ("h", "Enter a duration such as 1:30"),
        ("m", "Enter a duration such as 1:30"),
        ("1.2.3", "Enter a duration such as 1:30"),
        ("1 30", "Enter a duration such as 1:30"),
        ("30m 1h", "Enter a duration such as 1:30"),
        ("1h 2h", "Enter a duration such as 1:30"),
        ("1e2", "Enter a duration such as 1:30"),
        ("NaN", "Enter a duration such as 1:30"),
        ("1" * 50 + "m", "Enter a duration such as 1:30"),
        ("0", "at least one minute"),
        ("0:00", "at least one minute"),
        ("0m", "at least one minute"),
        ("0.4m", "at least one minute"),  # rounds to zero
        ("0.004h", "at least one minute"),
        ("-1:00", "cannot be negative"),
        ("-30m", "cannot be negative"),
        ("-1", "cannot be negative"),
        ("25h", "at most 24 hours"),
        ("24:01", "at most 24 hours"),
        ("1441m", "at most 24 hours"),
        ("24h 1m", "at most 24 hours"),
        ("25", "A plain number is hours"),
        ("90", "type 90m"),
    ],
)
def test_parse_duration_refuses(text, message):
    with pytest.raises(ValidationFailed, match=message) as refused:
        parse_duration(text)
    assert refused.value.field == "duration"


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0:00"), (1, "0:01"), (45, "0:45"), (60, "1:00"), (90, "1:30"), (1440, "24:00")]
    + [(6001, "100:01"), (-90, "-1:30"), (-5, "-0:05")],  # an overdrawn block is negative
)
def test_format_duration(minutes, text):
    assert format_duration(minutes) == text
    assert format_minutes(minutes) == text  # the name the billing rules use: the same one


@pytest.mark.parametrize("minutes", [1, 59, 61, 90, 599, 1440])
def test_format_then_parse_round_trips(minutes):
    assert parse_duration(format_duration(minutes)) == minutes
