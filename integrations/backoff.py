"""Waiting out a ledger's rate limit, as long as an inline request can afford to.

Both ledgers answer 429, usually with ``Retry-After``. A short wait is worth it (the export
then just takes a little longer); a long one is not, and the caller shows the ledger's answer.
Sending again is safe: every write carries its ``requestid`` / ``Idempotency-Key``, and a
throttled request was not applied.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from integrations.ledger_errors import RateLimited

T = TypeVar("T")
MAX_TRIES = 4


def with_backoff(
    send: Callable[[], T], max_wait: float, sleep=time.sleep, first_guess: float = 1.0
) -> T:
    """``send()``, sent again after each wait a 429 asks for while the waits add up to at
    most ``max_wait`` seconds (and at most :data:`MAX_TRIES` tries in all).

    A 429 without ``Retry-After`` (QuickBooks may not send one; Xero's concurrency limit does
    not) is waited out ``first_guess`` seconds, then twice as long each time.

    :raise RateLimited: the ledger asked for a longer wait, or kept throttling.
    """
    waited, guess = 0.0, first_guess
    for attempt in range(1, MAX_TRIES + 1):
        try:
            return send()
        except RateLimited as error:
            wait = error.retry_after if error.retry_after is not None else guess
            guess *= 2
            if waited + wait > max_wait or attempt == MAX_TRIES:
                raise
            sleep(wait)
            waited += wait
    raise AssertionError("unreachable")  # the loop returns or raises


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds: a number of seconds or an HTTP date (None if absent
    or unreadable)."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
