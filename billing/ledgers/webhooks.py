"""Webhooks from the ledgers: the signature check, and which connections they concern.

A webhook only records that its connection should sync (``sync_requested_at``); the sync reads
what changed. So a forged, replayed or reordered call can change no invoice or payment: the
signature is checked on the raw body before anything is parsed, and a verified one does no
more than ask for a sync.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable

import sqlalchemy as sa

from clock import utcnow
from models import AccountingConnection, Provider, db


def signature_ok(raw_body: bytes, header: str | None, key: str) -> bool:
    """Whether ``header`` is base64(HMAC-SHA256(``key``, ``raw_body``)): QuickBooks'
    ``intuit-signature`` (the verifier token) and Xero's ``x-xero-signature`` (the webhook
    key) alike. Compared in constant time; no key, no match."""
    if not key or not header:
        return False
    mac = hmac.new(key.encode(), raw_body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(mac).decode(), header.strip())


class Unreadable(ValueError):
    """A verified body that is not the shape the ledger sends."""


def _json(raw_body: bytes) -> object:
    try:
        return json.loads(raw_body)
    except (UnicodeDecodeError, ValueError) as error:
        raise Unreadable("not JSON") from error


def quickbooks_realms(raw_body: bytes) -> set[str]:
    """The company ids (realmIds) a QuickBooks notification speaks of: a CloudEvents array
    (``intuitaccountid``), or the older ``eventNotifications`` form (``realmId``).

    :raise Unreadable: neither form.
    """
    payload = _json(raw_body)
    if isinstance(payload, list):
        events, key = payload, "intuitaccountid"
    elif isinstance(payload, dict) and isinstance(payload.get("eventNotifications"), list):
        events, key = payload["eventNotifications"], "realmId"
    else:
        raise Unreadable("neither CloudEvents nor eventNotifications")
    return {str(e[key]) for e in events if isinstance(e, dict) and e.get(key)}


def xero_tenants(raw_body: bytes) -> set[str]:
    """The organisations (tenantIds) a Xero webhook speaks of; none for the "intent to
    receive" handshake (an empty ``events`` list).

    :raise Unreadable: no ``events`` list.
    """
    payload = _json(raw_body)
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise Unreadable("no events list")
    return {
        str(e["tenantId"]) for e in payload["events"] if isinstance(e, dict) and e.get("tenantId")
    }


def request_sync(provider: Provider, tenant_ids: Iterable[str]) -> int:
    """Mark the connections of ``provider`` to these companies as wanting a sync; how many
    were marked (a company not connected here is ignored). Nothing is committed here."""
    ids = sorted(set(tenant_ids))
    if not ids:
        return 0
    result = db.session.execute(
        sa.update(AccountingConnection)
        .where(AccountingConnection.provider == provider, AccountingConnection.tenant_id.in_(ids))
        .values(sync_requested_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
