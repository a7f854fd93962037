"""State of the fake QuickBooks Online server: configuration, clock, tokens, realms, logs.

Everything lives in memory behind one lock; ``FakeStore.reset()`` returns to the seeded state.
Facts Intuit's documentation leaves open ([unverified]) are knobs on ``QboConfig``.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from tests.fakes import qbo_seed

PACIFIC = timezone(timedelta(hours=-7))  # QBO stamps "time"/MetaData in company (Pacific) time


@dataclass
class QboConfig:
    """The fake's behaviour; every [unverified] fact of the contract is a field here."""

    client_id: str = "fake-qbo-client"
    client_secret: str = "fake-qbo-secret"
    redirect_uris: tuple[str, ...] = ()  # empty: any http(s) URI on loopback is accepted
    realm_id: str = "9341455130166501"
    company_name: str = "Sandbox Company_US_1"
    # OAuth (§1.1)
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 8726400  # rolling; the doc's example value (101 days)
    refresh_token_hard_ttl: int = 5 * 365 * 86400
    send_hard_expiry: bool = False  # x_refresh_token_hard_expires_in [unverified name]
    code_ttl: int = 300  # [unverified]
    rotation: str = "always_rotate"  # always_rotate | rotate_every_24h | never [unverified]
    invalidate_old_refresh: bool = True  # [unverified]
    revoke_accepts_form: bool = False  # the documented body is JSON; form bodies [unverified]
    auth_fault_style: str = "a"  # 401 body: "a" (observed), "b" (documented), "c" (gateway)
    # Rate limits (§2.5)
    rate_limit_per_minute: int = 500
    batch_limit_per_minute: int = 40
    concurrent_limit: int = 10
    batch_max_items: int = 30  # 30 per the 2023 blog; 50 per a 2026 tutorial [3p]
    batch_items_count_toward_limit: bool = True
    send_retry_after: bool = True  # whether 429 carries Retry-After [unverified]
    retry_after_seconds: int | None = 60  # its value; None: seconds until the window frees
    response_delay: float = 0.0  # seconds slept per API request (to exercise concurrency)
    # requestid (§2.6)
    requestid_max_len: int = 50
    batch_requestid_max_len: int = 36
    batch_bid_max_len: int = 10
    requestid_ttl: float | None = 86400.0  # how long ids are kept [unverified]; None = forever
    # Entities and validation (§2.2) [all unverified]
    names_case_sensitive: bool = False  # duplicate DisplayName/Name detection
    query_case_sensitive: bool = False  # string comparison in queries
    query_hides_inactive: bool = True  # unless the query filters on Active
    duplicate_detail_includes_id: bool = False  # "... Id=<existing>" appended to 6240 Detail
    derive_display_name: bool = True  # DisplayName from name fields when omitted
    custom_txn_numbers: bool = True  # duplicate DocNumber -> 6140
    first_doc_number: int = 1001  # auto-assigned when DocNumber is omitted
    max_doc_number_len: int = 21
    check_line_amount: bool = True  # Amount must equal round(Qty * UnitPrice, 2)
    line_amount_rounding: str = "half_up"  # that round(): half_up | half_even [unverified]
    amount_mismatch_code: str = "6070"
    default_item_id: str | None = "1"  # ItemRef when a sales line omits it; None -> 2020
    default_terms_days: int = 30  # DueDate when omitted
    home_currency: str = "USD"
    multicurrency: bool = False
    # Sales tax (qbo_tax.py); the rates are the fake's own tables in qbo_seed, not settable
    tax_model: str = "us"  # "us": TAX/NON lines + TxnTaxCodeRef; "global": a code per line
    automated_sales_tax: bool = False  # US only: QBO computes the tax (at ast_rate)
    ast_rate: Decimal = Decimal("8.875")  # percent; differs from every seeded code's rate
    tax_rounding: str = "per_code"  # per_code: once per code/group | per_rate [unverified]
    country: str = ""  # CompanyInfo.Country; "" -> "US" (us) or "GB" (global)
    batch_sees_own_creates: bool = False  # batch queries see entities created earlier in it
    # Void/delete of an invoice a payment settles [unverified code]
    refuse_linked_void: bool = True  # False: allowed, as if QBO unlinked the payment
    linked_payment_code: str = "6000"
    default_max_results: int = 100
    max_max_results: int = 1000
    # Change Data Capture (ledger_sync.md §1.5): what QBO answers beyond 30 days is [unverified]
    cdc_max_days: int = 30
    cdc_refuse_old: bool = True  # False: clamp changedSince to the 30-day floor instead
    cdc_max_objects: int = 1000
    cdc_over_limit: str = "truncate"  # truncate (§1.9) | refuse
    # Webhooks (§1.7)
    webhook_url: str = ""
    webhook_verifier_token: str = "fake-verifier-token"
    webhook_format: str = "cloudevents"  # cloudevents | legacy

    def update(self, values: dict[str, Any]) -> None:
        """Set fields from plain (JSON) values; unknown names raise KeyError, bad values
        ValueError."""
        known = {f.name: f for f in fields(self)}
        for name, value in values.items():
            if name == "tax_rates":
                raise KeyError(
                    "tax_rates was replaced by tax_model, automated_sales_tax and ast_rate; "
                    "the rates per code are the fake's own (qbo_seed.US_TAX_CODE_RATES)"
                )
            if name not in known:
                raise KeyError(name)
            if name == "ast_rate":
                value = Decimal(str(value))
            elif name == "redirect_uris":
                value = tuple(value)
            allowed = CHOICES.get(name)
            if allowed and value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}")
            setattr(self, name, value)

    @property
    def company_country(self) -> str:
        """CompanyInfo.Country: the configured one, else what the tax model implies."""
        return self.country or ("US" if self.tax_model == "us" else "GB")

    def as_json(self) -> dict[str, Any]:
        """The configuration as JSON-ready values."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["ast_rate"] = str(self.ast_rate)
        data["redirect_uris"] = list(self.redirect_uris)
        data.pop("client_secret")
        return data


CHOICES = {
    "tax_model": ("us", "global"),
    "tax_rounding": ("per_code", "per_rate"),
    "line_amount_rounding": ("half_up", "half_even"),
    "cdc_over_limit": ("truncate", "refuse"),
    "webhook_format": ("cloudevents", "legacy"),
}
TAX_SETTINGS = ("tax_model", "country")  # changing one reseeds every realm's tax tables


class FakeClock:
    """Wall time plus an offset that tests advance instead of sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch, as the fake sees them."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the fake's time forward (tokens expire, rate windows slide)."""
        self.offset += seconds

    def stamp(self) -> str:
        """The current time in QBO's format, e.g. ``2026-01-31T09:29:56.229-07:00``."""
        moment = datetime.fromtimestamp(self.now(), tz=UTC).astimezone(PACIFIC)
        return moment.isoformat(timespec="milliseconds")

    def today(self) -> str:
        """The company's current date, ``YYYY-MM-DD``."""
        return datetime.fromtimestamp(self.now(), tz=UTC).astimezone(PACIFIC).date().isoformat()


@dataclass
class Grant:
    """One app authorisation of one realm (what revocation disconnects)."""

    realm_id: str
    client_id: str
    scope: str
    created_at: float
    revoked: bool = False


@dataclass
class IssuedToken:
    """An access or refresh token bound to a grant."""

    grant_id: str
    expires_at: float
    issued_at: float
    active: bool = True


@dataclass
class AuthCode:
    """A single-use authorization code."""

    grant_id: str
    redirect_uri: str
    expires_at: float
    used: bool = False


class Realm:
    """One QBO company: its entities by type and id, and its counters."""

    def __init__(self, realm_id: str, config: QboConfig, clock: FakeClock) -> None:
        self.realm_id = realm_id
        self.entities: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for name, entity in qbo_seed.seed_entities(realm_id, config, clock.stamp()):
            self.entities[name][entity["Id"]] = entity
        self._ids: dict[str, itertools.count] = {}
        self.events: list[dict[str, Any]] = []  # queued webhook events (qbo_webhooks)
        self.deleted: list[dict[str, Any]] = []  # tombstones CDC returns
        self.next_doc_number = config.first_doc_number

    def reseed_taxes(self, config: QboConfig, stamp: str) -> None:
        """Replace the tax codes, rates and agencies with those of the configured model."""
        for name in qbo_seed.TAX_ENTITIES:
            self.entities[name].clear()
            self._ids.pop(name, None)
        for name, entity in qbo_seed.tax_entities(config, stamp):
            self.entities[name][entity["Id"]] = entity

    def new_id(self, entity: str) -> str:
        """The next numeric id for ``entity`` (after the seeded ones)."""
        if entity not in self._ids:
            taken = [int(i) for i in self.entities[entity] if i.isdigit()]
            self._ids[entity] = itertools.count(max(taken, default=0) + 1)
        return str(next(self._ids[entity]))


class FakeStore:
    """All of the fake's mutable state, guarded by ``lock``."""

    def __init__(self, config: QboConfig | None = None) -> None:
        self.lock = threading.RLock()
        self.config = config or QboConfig()
        self.baseline = copy.deepcopy(self.config)
        self.clock = FakeClock()
        self.reset()

    def reset(self, full: bool = False) -> None:
        """Forget all state and reseed the default realm; ``full`` also restores the starting
        configuration and real time."""
        with self.lock:
            if full:
                self.config = copy.deepcopy(self.baseline)
                self.clock.offset = 0.0
            self.realms: dict[str, Realm] = {}
            self.grants: dict[str, Grant] = {}
            self.codes: dict[str, AuthCode] = {}
            self.access_tokens: dict[str, IssuedToken] = {}
            self.refresh_tokens: dict[str, IssuedToken] = {}
            self.replays: dict[tuple[str, str], tuple[float, int, bytes]] = {}
            self.windows: dict[str, deque[tuple[float, int]]] = defaultdict(deque)
            self.batch_windows: dict[str, deque[float]] = defaultdict(deque)
            self.inflight: Counter[str] = Counter()
            self.log: list[dict[str, Any]] = []
            self.counts: Counter[str] = Counter()
            self.fail_queue: list[dict[str, Any]] = []
            self.drop_queue: list[str] = []
            self.realm(self.config.realm_id)

    def realm(self, realm_id: str) -> Realm:
        """The realm with this id, created (and seeded) on first use."""
        with self.lock:
            if realm_id not in self.realms:
                self.realms[realm_id] = Realm(realm_id, self.config, self.clock)
            return self.realms[realm_id]

    def configure(self, values: dict[str, Any]) -> None:
        """Change configuration fields; a new tax model reseeds every realm's tax tables."""
        with self.lock:
            before = [getattr(self.config, name) for name in TAX_SETTINGS]
            self.config.update(values)
            if before != [getattr(self.config, name) for name in TAX_SETTINGS]:
                for realm in self.realms.values():
                    realm.reseed_taxes(self.config, self.clock.stamp())

    # --- tokens -------------------------------------------------------------------------

    def new_grant(self, realm_id: str, client_id: str, scope: str) -> str:
        """Record an authorisation and return its id."""
        grant_id = secrets.token_hex(8)
        self.grants[grant_id] = Grant(realm_id, client_id, scope, self.clock.now())
        self.realm(realm_id)
        return grant_id

    def issue_access_token(self, grant_id: str) -> str:
        """A new opaque access token for the grant."""
        now = self.clock.now()
        token = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.." + secrets.token_urlsafe(48)
        self.access_tokens[token] = IssuedToken(grant_id, now + self.config.access_token_ttl, now)
        return token

    def issue_refresh_token(self, grant_id: str) -> str:
        """A new refresh token for the grant (rolling expiry, capped by the grant's age)."""
        now = self.clock.now()
        token = "AB11" + secrets.token_hex(20)
        self.refresh_tokens[token] = IssuedToken(grant_id, self._refresh_expiry(grant_id, now), now)
        return token

    def _refresh_expiry(self, grant_id: str, now: float) -> float:
        cap = self.grants[grant_id].created_at + self.config.refresh_token_hard_ttl
        return min(now + self.config.refresh_token_ttl, cap)

    def tokens_for(self, realm_id: str | None = None, scope: str | None = None) -> dict[str, Any]:
        """Issue a token pair directly (a test shortcut around the OAuth dance)."""
        with self.lock:
            realm_id = realm_id or self.config.realm_id
            grant_id = self.new_grant(
                realm_id, self.config.client_id, scope or "com.intuit.quickbooks.accounting"
            )
            return {
                "access_token": self.issue_access_token(grant_id),
                "refresh_token": self.issue_refresh_token(grant_id),
                "realm_id": realm_id,
            }

    def revoke_grant(self, grant_id: str) -> None:
        """Disconnect: every token of the grant stops working."""
        self.grants[grant_id].revoked = True
        for table in (self.access_tokens, self.refresh_tokens):
            for issued in table.values():
                if issued.grant_id == grant_id:
                    issued.active = False

    # --- test control -------------------------------------------------------------------

    def snapshot(self, realm_id: str | None = None, with_log: bool = True) -> dict[str, Any]:
        """Stored entities per realm, plus the request log and counts per endpoint."""
        with self.lock:
            realms = {
                rid: {name: list(by_id.values()) for name, by_id in realm.entities.items()}
                for rid, realm in self.realms.items()
                if realm_id is None or rid == realm_id
            }
            data: dict[str, Any] = {
                "realms": copy.deepcopy(realms),
                "counts": dict(self.counts),
                "clock": {"now": self.clock.now(), "offset": self.clock.offset},
            }
            if with_log:
                data["requests"] = copy.deepcopy(self.log)
            return data
