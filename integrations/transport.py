"""Sending one HTTP request to a ledger: timeouts, a deadline for the whole export, and what
to tell the user when no answer came.

Connecting gets a short timeout (a ledger that is up accepts at once); reading gets a longer one,
never longer than what is left of the export's deadline, so an inline export cannot outlive the
web worker that runs it. A request that never left (refused connection, unknown host, no time
left) changed nothing; one that timed out while waiting for the answer may have been applied,
and the words say so.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from integrations.ledger_errors import LedgerUnavailable

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0


@dataclass
class Deadline:
    """The time an export may still take, in seconds from its start (None: no limit)."""

    seconds: float | None = None
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def remaining(self) -> float | None:
        """Seconds left, never below zero (None when there is no deadline)."""
        if self.seconds is None:
            return None
        return max(0.0, self.seconds - (self.clock() - self.started))


def _cause_chain(error: BaseException):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        for arg in getattr(error, "args", ()):
            if isinstance(arg, BaseException):
                yield from _cause_chain(arg)
        error = error.__cause__ or error.__context__


def why_unreachable(error: requests.RequestException) -> str | None:
    """Why a connection could not be made ("connection refused", "host not found", ...), or
    None when it was made and then lost, so the ledger may have received the request."""
    chain = list(_cause_chain(error))
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused"
    if any(isinstance(e, socket.gaierror) for e in chain):
        return "host not found"
    if isinstance(error, requests.exceptions.SSLError) or any(
        isinstance(e, ssl.SSLError) for e in chain
    ):
        return "secure connection failed"
    return None


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    ledger: str,
    provider: str,
    deadline: Deadline | None = None,
    read_timeout: float = READ_TIMEOUT,
    **kwargs,
) -> requests.Response:
    """``session.request(...)`` with our timeouts; no answer raises ``LedgerUnavailable`` whose
    message is for the user (``ledger`` is "QuickBooks" or "Xero").

    :raise LedgerUnavailable: no time left, no connection, or no answer in time.
    """
    left = deadline.remaining() if deadline is not None else None
    if left is not None and left < 1.0:
        raise LedgerUnavailable(
            f"The export ran out of time before this was sent to {ledger}; nothing was changed. "
            "Export it again.",
            "deadline",
            provider=provider,
        )
    read = read_timeout if left is None else min(read_timeout, left)
    try:
        return session.request(method, url, timeout=(min(CONNECT_TIMEOUT, read), read), **kwargs)
    except requests.exceptions.ConnectTimeout as error:
        raise LedgerUnavailable(
            f"{ledger} could not be reached (no connection within {CONNECT_TIMEOUT:g} s); "
            "nothing was changed. Try again in a few minutes.",
            "connection",
            provider=provider,
        ) from error
    except requests.Timeout as error:
        raise LedgerUnavailable(
            f"{ledger} timed out after {max(1, round(read))} s; it may have received the "
            "request. Export again: what already reached it is found and updated, never "
            "duplicated.",
            "timeout",
            provider=provider,
        ) from error
    except requests.RequestException as error:
        reason = why_unreachable(error)
        if reason is None:
            raise LedgerUnavailable(
                f"The connection to {ledger} was lost before it answered; it may have received "
                "the request. Export again: what already reached it is found and updated, "
                "never duplicated.",
                "lost",
                provider=provider,
            ) from error
        raise LedgerUnavailable(
            f"{ledger} could not be reached ({reason}); nothing was changed. "
            "Try again in a few minutes.",
            "connection",
            provider=provider,
        ) from error
