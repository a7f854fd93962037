"""Xero's rate limits (§3.6): per organisation per minute, per day and concurrently, per app per
minute; sliding windows on the fake's clock, with the remaining-headers on every API answer."""

from __future__ import annotations

import math
from collections import deque

from flask import Response

from tests.fakes.xero_format import text_response
from tests.fakes.xero_state import FakeXeroState

MINUTE, DAY = 60, 86_400


def _window(store: dict[str, deque], key: str, span: int, now: float) -> deque:
    hits = store.setdefault(key, deque())
    while hits and hits[0] <= now - span:
        hits.popleft()
    return hits


def _wait(hits: deque, span: int, now: float) -> int:
    return max(1, math.ceil(hits[0] + span - now))


def too_many(state: FakeXeroState, problem: str, retry_after: int | None) -> Response:
    """The 429 answer: ``X-Rate-Limit-Problem`` always, ``Retry-After`` when Xero gives one."""
    headers = {"X-Rate-Limit-Problem": problem}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return text_response(state.config.rate_limit_body, 429, headers)


def acquire(state: FakeXeroState, client_id: str, tenant_id: str) -> Response | None:
    """Count one request, or return the 429 answer when a limit is reached."""
    config = state.config
    with state.lock:
        now = state.clock.now()
        minute = _window(state.minute_hits, tenant_id, MINUTE, now)
        day = _window(state.day_hits, tenant_id, DAY, now)
        app = _window(state.app_hits, client_id, MINUTE, now)
        if state.in_flight[tenant_id] >= config.concurrent_limit:
            return too_many(state, "concurrent", config.concurrent_retry_after or None)
        if len(day) >= config.day_limit:
            return too_many(state, "day", _wait(day, DAY, now))
        if len(minute) >= config.minute_limit:
            return too_many(state, "minute", _wait(minute, MINUTE, now))
        if len(app) >= config.app_minute_limit:
            return too_many(state, "appminute", _wait(app, MINUTE, now))
        for hits in (minute, day, app):
            hits.append(now)
        state.in_flight[tenant_id] += 1
        return None


def release(state: FakeXeroState, tenant_id: str) -> None:
    """The request counted by ``acquire`` has finished."""
    with state.lock:
        state.in_flight[tenant_id] -= 1


def headers(state: FakeXeroState, client_id: str, tenant_id: str) -> dict[str, str]:
    """``X-DayLimit-Remaining``, ``X-MinLimit-Remaining`` and ``X-AppMinLimit-Remaining``."""
    config = state.config
    with state.lock:
        now = state.clock.now()
        minute = _window(state.minute_hits, tenant_id, MINUTE, now)
        day = _window(state.day_hits, tenant_id, DAY, now)
        app = _window(state.app_hits, client_id, MINUTE, now)
        return {
            "X-DayLimit-Remaining": str(max(0, config.day_limit - len(day))),
            "X-MinLimit-Remaining": str(max(0, config.minute_limit - len(minute))),
            "X-AppMinLimit-Remaining": str(max(0, config.app_minute_limit - len(app))),
        }


def too_large(state: FakeXeroState, method: str, body: bytes) -> Response | None:
    """The 413 answer for a PUT/POST body over ``max_request_bytes`` (3.5 MB), else None.

    Xero documents the limit, not the answer: the status and the text are the fake's [unverified].
    """
    limit = state.config.max_request_bytes
    if method == "GET" or not limit or len(body) <= limit:
        return None
    message = f"Request body too large: {len(body)} bytes, the limit is {limit} bytes"
    return text_response(message, 413)
