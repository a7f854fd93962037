"""``POST /webhooks/quickbooks`` and ``POST /webhooks/xero``."""

from flask import Response, current_app, request

from billing.ledgers.webhooks import (
    Unreadable,
    quickbooks_realms,
    request_sync,
    signature_ok,
    xero_tenants,
)
from blueprints.webhooks import bp
from models import Provider, db


def _verified_body(config_key: str, header: str) -> bytes | Response:
    """The raw body once its signature is checked, else the answer: 404 when the ledger's
    webhook is not set up here, 401 when the signature is wrong (before anything is parsed)."""
    key = current_app.config.get(config_key) or ""
    if not key:
        return _empty(404)
    raw = request.get_data(cache=False)
    if not signature_ok(raw, request.headers.get(header), key):
        return _empty(401)
    return raw


def _empty(status: int = 200) -> Response:
    # Xero's rule: no body and no cookies in any answer, refusals included (so no error page,
    # which would touch the session).
    return Response(b"", status=status)


def _receive(provider: Provider, config_key: str, header: str, read) -> Response:
    """Verify the call, read the companies it names with ``read``, mark them for a sync."""
    raw = _verified_body(config_key, header)
    if isinstance(raw, Response):
        return raw
    try:
        tenants = read(raw)
    except Unreadable:
        return _empty(400)
    request_sync(provider, tenants)
    db.session.commit()
    return _empty()


@bp.post("/quickbooks")
def quickbooks() -> Response:
    """A QuickBooks notification: verified by ``intuit-signature``, then the companies it
    names are marked for a sync."""
    return _receive(
        Provider.QUICKBOOKS, "QUICKBOOKS_WEBHOOK_VERIFIER", "intuit-signature", quickbooks_realms
    )


@bp.post("/xero")
def xero() -> Response:
    """A Xero webhook, or its "intent to receive" handshake: verified by ``x-xero-signature``
    (401 otherwise, as Xero requires), then the organisations it names are marked for a sync."""
    return _receive(Provider.XERO, "XERO_WEBHOOK_KEY", "x-xero-signature", xero_tenants)
