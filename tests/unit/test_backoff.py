"""Waiting out a 429 within an inline request's budget (integrations/backoff.py)."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from integrations.backoff import MAX_TRIES, retry_after_seconds, with_backoff
from integrations.ledger_errors import RateLimited


class Ledger:
    """Answers 429 with the given Retry-After values, then "ok"."""

    def __init__(self, *waits):
        self.waits, self.calls, self.slept = list(waits), 0, []

    def send(self):
        self.calls += 1
        if self.waits:
            raise RateLimited("Too many", retry_after=self.waits.pop(0))
        return "ok"


def test_short_waits_are_waited_out_within_the_budget():
    ledger = Ledger(2, 3)
    assert with_backoff(ledger.send, max_wait=5, sleep=ledger.slept.append) == "ok"
    assert ledger.slept == [2, 3] and ledger.calls == 3


@pytest.mark.parametrize("waits", [(6,), (3, 3)], ids=["too long", "adds up"])
def test_a_wait_past_the_budget_is_not_waited(waits):
    ledger = Ledger(*waits)
    with pytest.raises(RateLimited):
        with_backoff(ledger.send, max_wait=5, sleep=ledger.slept.append)
    assert sum(ledger.slept) <= 5


def test_without_retry_after_the_wait_starts_short_and_doubles():
    ledger = Ledger(None, None, None)
    assert with_backoff(ledger.send, max_wait=10, sleep=ledger.slept.append) == "ok"
    assert ledger.slept == [1.0, 2.0, 4.0]
    stubborn = Ledger(None, None, None, None)
    with pytest.raises(RateLimited):
        with_backoff(stubborn.send, max_wait=5, sleep=stubborn.slept.append)
    assert stubborn.slept == [1.0, 2.0]  # 4 more would pass the budget


def test_a_ledger_that_keeps_throttling_is_given_up_on():
    ledger = Ledger(*[0] * 10)
    with pytest.raises(RateLimited):
        with_backoff(ledger.send, max_wait=5, sleep=ledger.slept.append)
    assert ledger.calls == MAX_TRIES


def test_retry_after_in_seconds_or_as_an_http_date():
    assert retry_after_seconds("30") == 30.0
    assert retry_after_seconds(" 1.5 ") == 1.5
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 85 <= retry_after_seconds(later) <= 90
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # past: no wait
