"""Errors raised by the ledger API clients (QuickBooks Online, Xero), shared by both.

Each client maps the ledger's HTTP answer to one of these, keeping the ledger's own words
(``message``, ``detail``, ``code``) verbatim, because the exporter shows them to the user as-is.

- ``AuthExpired``: 401, the access token is expired, revoked or unknown (refresh once, retry once).
- ``RateLimited``: 429; ``retry_after`` is seconds to wait, or None when the ledger did not say.
- ``ValidationRejected``: 400 with the ledger's validation/business fault (duplicate name, stale
  SyncToken, bad reference, query parse error...).
- ``AccessDenied`` (403) and ``NotFound`` (404): the company is not reachable with this
  connection, or the object does not exist.
- ``NotSent``: refused here before sending, because the ledger would refuse it or book it wrong
  (a name or number it cannot take, several US sales taxes on one invoice...).
- ``LedgerUnavailable``: 5xx, connection errors, timeouts, unreadable answers. ``status`` is None
  when no HTTP answer arrived; such a request may or may not have been applied by the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class LedgerError(Exception):
    """A ledger refused or failed a request.

    ``message``/``detail``/``code`` are the ledger's own (``code`` is a string, e.g. QBO "6240");
    ``status`` is the HTTP status (None when no answer arrived); ``errors`` keeps every error the
    ledger listed (for a fault with several), each a plain dict; ``provider`` names the ledger;
    ``trace_id`` is the ledger's request id for support (QBO ``intuit_tid``, Xero
    ``Xero-Correlation-Id``).
    """

    def __init__(
        self,
        message: str,
        code: str | None = None,
        status: int | None = None,
        detail: str | None = None,
        *,
        errors: Sequence[Mapping[str, Any]] = (),
        provider: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.detail = detail
        self.errors = [dict(e) for e in errors]
        self.provider = provider
        self.trace_id = trace_id

    @property
    def text(self) -> str:
        """The ledger's own words for the user: message, then detail unless it repeats it."""
        if not self.detail or self.detail == self.message:
            return self.message
        if self.detail.startswith(self.message):
            return self.detail
        return f"{self.message}: {self.detail}"

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, code={self.code!r}, "
            f"status={self.status!r}, detail={self.detail!r})"
        )


class AuthExpired(LedgerError):
    """The access token was rejected (HTTP 401): refresh it, or reconnect if refreshing fails."""


class RateLimited(LedgerError):
    """The ledger throttled the request (HTTP 429).

    ``retry_after`` is the number of seconds the ledger asked to wait (``Retry-After``), or None.
    """

    def __init__(
        self,
        message: str,
        code: str | None = None,
        status: int | None = 429,
        detail: str | None = None,
        *,
        retry_after: float | None = None,
        errors: Sequence[Mapping[str, Any]] = (),
        provider: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(
            message, code, status, detail, errors=errors, provider=provider, trace_id=trace_id
        )
        self.retry_after = retry_after


class ValidationRejected(LedgerError):
    """The ledger rejected the request's content (HTTP 400 fault), with its own message and code."""


class LedgerUnavailable(LedgerError):
    """The ledger failed (5xx) or could not be reached (connection error, timeout)."""


class AccessDenied(LedgerError):
    """The ledger refused access to the company (HTTP 403): e.g. Xero's organisation is no
    longer connected to the app. Refreshing the token does not help; reconnecting does."""


class NotFound(LedgerError):
    """The ledger has no such object (HTTP 404), e.g. an invoice id it does not know."""


class NotSent(LedgerError):
    """Refused before sending: the ledger would refuse it, or book it wrong; nothing was sent.
    The message says why and what to do."""
