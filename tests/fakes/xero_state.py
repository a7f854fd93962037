"""The fake Xero's memory: settings, clock, organisations, grants, tokens and connections.

Everything lives in one ``FakeXeroState`` guarded by one re-entrant lock; the HTTP handlers take
the lock for the whole of their work, so requests are applied one at a time (as a test expects).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from flask import current_app

from tests.fakes.xero_format import names, new_id
from tests.fakes.xero_seed import DEFAULT_TENANT_ID, DEFAULT_TENANT_NAME, new_tenant


@dataclass
class FakeXeroConfig:
    """Every knob of the fake. Comments mark the facts Xero's documentation leaves unverified."""

    client_id: str = "fake-xero-client"
    client_secret: str = "fake-xero-secret"
    # The app was created on or after 2 March 2026: granular scopes only (see xero_scopes).
    new_app: bool = True
    app_name: str = "MSP Billing"
    access_token_ttl: int = 1800
    code_ttl: int = 300  # [unverified] "about 5 minutes"
    refresh_token_ttl: int = 60 * 86400
    refresh_grace: int = 1800
    invalid_grant_description: str = ""  # [unverified] Xero usually sends only "error"
    callback_extras: bool = True  # [unverified] scope and session_state on the callback
    issue_id_token: bool = True
    redirect_uris: tuple[str, ...] = ()  # besides any loopback http(s) URI
    revoke_kills_access_tokens: bool = True  # [unverified]
    minute_limit: int = 60
    day_limit: int = 5000
    app_minute_limit: int = 10_000
    concurrent_limit: int = 5
    concurrent_retry_after: int = 0  # [unverified] 0: the concurrent 429 has no Retry-After
    rate_limit_body: str = "Rate limit exceeded"  # [unverified] 429 body, assume non-JSON
    # [doc: developer.xero.com xero-api-limits] 3.5 MB per POST; "no limit to the number of
    # elements" but batches of up to 50 are recommended. The fake refuses more than max_elements
    # (stricter than Xero, so the app cannot come to rely on bigger batches); 0 turns it off.
    max_request_bytes: int = 3_500_000
    max_elements: int = 50
    idempotency_ttl: int = 360  # [3p] 6 minutes
    idempotency_cache_errors: bool = True  # [3p]
    summarize_saves_valid: bool = False  # [unverified] summarizeErrors=true saves nothing
    summarize_elements: str = "failed"  # [unverified] "failed" or "all" elements in the 400
    default_invoice_status: str = "DRAFT"  # [unverified]
    where_case_sensitive: bool = False  # [unverified]
    contact_name_case_sensitive: bool = False  # [unverified]
    post_contacts_match_name: bool = False  # [3p] POST matches ContactID/ContactNumber only
    require_due_date: bool = True  # [unverified] "Due Date is required." unless DRAFT
    list_invoices_lines_without_page: bool = False  # Xero omits lines unless paged
    tax_rounding: str = "line"  # [unverified] "line" or "rate" (once per tax type)
    require_json_accept: bool = True  # real Xero answers XML otherwise; the fake says 406
    page_size: int = 100
    latency: float = 0.0  # seconds slept per API request outside the lock
    # Webhooks (xero_webhooks): events are POSTed to webhook_url (none: only queued).
    webhook_url: str = ""
    webhook_key: str = "fake-xero-webhook-key"
    webhook_max_attempts: int = 5  # Xero retries for 24 hours, then disables the webhook

    def update(self, values: dict[str, Any]) -> None:
        """Set known fields from ``values`` (strings from a form are converted to the field's
        type); KeyError names an unknown field."""
        known = {f.name for f in fields(self)}
        for key, value in values.items():
            if key not in known:
                raise KeyError(key)
            setattr(self, key, _coerce(getattr(self, key), value))

    def as_dict(self) -> dict[str, Any]:
        """The settings as plain JSON-able values."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def _coerce(current: Any, value: Any) -> Any:
    if isinstance(current, tuple):
        return tuple(value.split(",") if isinstance(value, str) else value)
    if isinstance(current, bool) and isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    if isinstance(current, int | float) and not isinstance(current, bool):
        return type(current)(value)
    return value


class Clock:
    """Real time shifted by a settable offset, so tests expire tokens without sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch, as the fake sees it."""
        return time.time() + self.offset

    def utcnow(self) -> datetime:
        """The fake's current time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now(), UTC)

    def advance(self, seconds: float) -> None:
        """Move the fake's time forward (or back, with a negative number)."""
        self.offset += seconds

    def set(self, epoch: float) -> None:
        """Make the fake's time ``epoch`` now (and let it run on from there)."""
        self.offset = epoch - time.time()


@dataclass
class AuthCode:
    """An authorization code: single-use, short-lived, bound to its redirect URI."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    expires_at: float
    auth_event_id: str
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    used: bool = False


@dataclass
class AccessToken:
    """A bearer token for the API and /connections."""

    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    auth_event_id: str
    revoked: bool = False


@dataclass
class RefreshToken:
    """A refresh token: single use, with a grace period after rotation (§1.2)."""

    client_id: str
    scopes: tuple[str, ...]
    auth_event_id: str
    issued_at: float
    rotated_at: float | None = None
    revoked: bool = False


@dataclass
class Connection:
    """One organisation connected to one client (app) for the fake's single user."""

    id: str
    client_id: str
    tenant_id: str
    auth_event_id: str
    created: datetime
    updated: datetime


@dataclass
class Cached:
    """An idempotent answer: replayed for the same key and request within the TTL."""

    fingerprint: str
    status: int
    body: bytes
    content_type: str
    stored_at: float


@dataclass
class WebhookState:
    """Queued events, the delivery log and the webhook's health."""

    pending: list[dict] = field(default_factory=list)
    log: list[dict] = field(default_factory=list)
    sequence: int = 0
    failures: int = 0
    disabled: bool = False
    status: str = "UNTESTED"


@dataclass
class FakeXeroState:
    """All of the fake's data; take ``lock`` around any read or write."""

    config: FakeXeroConfig
    clock: Clock = field(default_factory=Clock)
    lock: threading.RLock = field(default_factory=threading.RLock)
    tenants: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    connections: dict[str, Connection] = field(default_factory=dict)
    idempotency: dict[tuple[str, str, str], Cached] = field(default_factory=dict)
    minute_hits: dict[str, deque] = field(default_factory=dict)
    day_hits: dict[str, deque] = field(default_factory=dict)
    app_hits: dict[str, deque] = field(default_factory=dict)
    in_flight: Counter = field(default_factory=Counter)
    requests: list[dict] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    faults: list[dict] = field(default_factory=list)
    webhooks: WebhookState = field(default_factory=WebhookState)

    def __post_init__(self) -> None:
        self.base_config = self.config.as_dict()
        if not self.tenants:
            self.add_tenant(DEFAULT_TENANT_NAME, DEFAULT_TENANT_ID)

    def reset(self) -> None:
        """Forget everything (data, tokens, log, faults), restore the starting settings and
        re-seed the default organisation."""
        with self.lock:
            self.config.update(self.base_config)
            for name in names(
                "tenants codes access_tokens refresh_tokens connections idempotency "
                "minute_hits day_hits app_hits in_flight counts"
            ):
                getattr(self, name).clear()
            self.requests.clear()
            self.faults.clear()
            self.webhooks = WebhookState()
            self.clock.offset = 0.0
            self.add_tenant(DEFAULT_TENANT_NAME, DEFAULT_TENANT_ID)

    def add_tenant(self, name: str, tenant_id: str | None = None, **options: Any):
        """Seed an organisation (Accounts, TaxRates, Items, Organisation, Currencies)."""
        with self.lock:
            tenant = new_tenant(name, tenant_id, self.clock.utcnow(), **options)
            self.tenants[tenant.tenant_id] = tenant
            return tenant

    def connect(self, client_id: str, auth_event_id: str, tenant_ids=None) -> list[Connection]:
        """Connect organisations to ``client_id`` (all of them unless ``tenant_ids``)."""
        with self.lock:
            now = self.clock.utcnow()
            wanted = list(tenant_ids) if tenant_ids else list(self.tenants)
            result = []
            for tenant_id in wanted:
                existing = self.connection_for(client_id, tenant_id)
                if existing:
                    existing.auth_event_id, existing.updated = auth_event_id, now
                    result.append(existing)
                    continue
                conn = Connection(new_id(), client_id, tenant_id, auth_event_id, now, now)
                self.connections[conn.id] = conn
                result.append(conn)
            return result

    def connection_for(self, client_id: str, tenant_id: str | None) -> Connection | None:
        """The connection of ``tenant_id`` to ``client_id``, if any."""
        for conn in self.connections.values():
            if conn.client_id == client_id and conn.tenant_id == tenant_id:
                return conn
        return None

    def log(self, entry: dict) -> None:
        """Record a request in the log and its per-endpoint count."""
        with self.lock:
            self.requests.append(entry)
            self.counts[entry["endpoint"]] += 1

    def take_fault(self, kind: str, path: str, method: str = "") -> dict | None:
        """Pop the first queued fault of ``kind`` whose path prefix matches ``path`` (and whose
        method, if it names one, is ``method``)."""
        with self.lock:
            for index, fault in enumerate(self.faults):
                if fault.get("method") and fault["method"].upper() != method.upper():
                    continue
                if fault["kind"] == kind and path.lower().startswith(fault["path"].lower()):
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        del self.faults[index]
                    return fault
            return None


def current_state() -> FakeXeroState:
    """The state of the fake serving the current request."""
    return current_app.extensions["fake_xero"]
