"""OAuth 2.0 endpoints of the fake QBO (§1.1), at Intuit's real paths under the fake's origin.

Authorize auto-approves (``deny=1`` -> ``access_denied``; ``realm_id=`` picks the company), the
token endpoint takes HTTP Basic or body credentials, codes are single-use, bound to their
redirect URI and short-lived, refresh tokens roll and rotate per ``QboConfig.rotation``, and
revocation takes a JSON body. No ``id_token`` is issued (intuitlib would verify it against JWKS).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import secrets
from urllib.parse import unquote, urlencode, urlsplit

from flask import Blueprint, Response, redirect, request

from tests.fakes.qbo_common import current_store
from tests.fakes.qbo_faults import json_response, trace_id
from tests.fakes.qbo_state import AuthCode, FakeStore, IssuedToken

bp = Blueprint("qbo_oauth", __name__)

AUTHORIZE_PATH = "/connect/oauth2"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
REVOKE_PATH = "/v2/oauth2/tokens/revoke"
USERINFO_PATH = "/v1/openid_connect/userinfo"
JWKS_PATH = "/op/v1/jwks"
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
KNOWN_SCOPES = {
    ACCOUNTING_SCOPE, "com.intuit.quickbooks.payment", "openid", "profile", "email", "phone",
    "address",
}  # fmt: skip
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def discovery_document(origin: str) -> dict:
    """The OpenID discovery document, every endpoint on ``origin``."""
    return {
        "issuer": f"{origin}/op/v1",
        "authorization_endpoint": origin + AUTHORIZE_PATH,
        "token_endpoint": origin + TOKEN_PATH,
        "userinfo_endpoint": origin + USERINFO_PATH,
        "revocation_endpoint": origin + REVOKE_PATH,
        "jwks_uri": origin + JWKS_PATH,
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    }


@bp.get("/.well-known/openid_sandbox_configuration")
@bp.get("/.well-known/openid_sandbox_configuration/")
@bp.get("/.well-known/openid_configuration")
@bp.get("/.well-known/openid_configuration/")
def discovery() -> Response:
    """What intuitlib's ``AuthClient`` fetches when constructed."""
    return json_response(200, discovery_document(request.host_url.rstrip("/")))


@bp.get(JWKS_PATH)
def jwks() -> Response:
    """An empty key set: the fake signs no id_tokens."""
    return json_response(200, {"keys": []})


def _loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _redirect_allowed(store: FakeStore, uri: str) -> bool:
    if store.config.redirect_uris:
        return uri in store.config.redirect_uris
    return _loopback(uri)


def _back(redirect_uri: str, **params: str | None) -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return redirect(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}", code=302)


@bp.get(AUTHORIZE_PATH)
def authorize() -> Response:
    """Auto-approve and send the browser back with ``code``, ``state`` and ``realmId``."""
    store, args = current_store(), request.args
    client_id, redirect_uri = args.get("client_id", ""), args.get("redirect_uri", "")
    if client_id != store.config.client_id:
        return Response("invalid_client: unknown client_id", status=400, mimetype="text/plain")
    if not _redirect_allowed(store, redirect_uri):
        return Response("invalid redirect_uri", status=400, mimetype="text/plain")
    state = args.get("state")
    if args.get("response_type") != "code":
        return _back(redirect_uri, error="unsupported_response_type", state=state)
    if not state:
        return _back(redirect_uri, error="invalid_request", error_description="state is required")
    scopes = args.get("scope", "").split()
    if not scopes or not set(scopes) <= KNOWN_SCOPES:
        return _back(redirect_uri, error="invalid_scope", state=state)
    if args.get("deny") == "1":
        return _back(redirect_uri, error="access_denied", state=state)
    realm_id = args.get("realm_id") or store.config.realm_id
    with store.lock:
        grant_id = store.new_grant(realm_id, client_id, " ".join(scopes))
        code = secrets.token_urlsafe(48)
        expires = store.clock.now() + store.config.code_ttl
        store.codes[code] = AuthCode(grant_id, redirect_uri, expires)
    return _back(redirect_uri, code=code, state=state, realmId=realm_id)


def _basic_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret)


def _authenticated_client(allow_body: bool) -> str | None:
    store = current_store()
    credentials = _basic_credentials()
    if credentials is None and allow_body and "client_id" in request.form:
        credentials = (request.form["client_id"], request.form.get("client_secret", ""))
    if credentials != (store.config.client_id, store.config.client_secret):
        return None
    return store.config.client_id


def _oauth_error(status: int, error: str, description: str | None = None) -> Response:
    body = {"error": error}
    if description:
        body["error_description"] = description
    return json_response(status, body, NO_STORE)


@bp.post(TOKEN_PATH)
def token() -> Response:
    """Exchange a code or a refresh token (Basic auth or body credentials)."""
    client_id = _authenticated_client(allow_body=True)
    if client_id is None:
        return _oauth_error(401, "invalid_client")
    store, form = current_store(), request.form
    grant_type = form.get("grant_type")
    with store.lock:
        now = store.clock.now()
        if grant_type == "authorization_code":
            code = store.codes.get(form.get("code", ""))
            if (
                code is None
                or code.used
                or code.expires_at <= now
                or code.redirect_uri != form.get("redirect_uri")
                or store.grants[code.grant_id].client_id != client_id
            ):
                return _oauth_error(400, "invalid_grant")
            code.used = True
            refresh_token = store.issue_refresh_token(code.grant_id)
            grant_id = code.grant_id
        elif grant_type == "refresh_token":
            presented = form.get("refresh_token", "")
            issued = store.refresh_tokens.get(presented)
            if issued is None:
                return _oauth_error(400, "invalid_grant", "Incorrect or invalid refresh token")
            grant = store.grants[issued.grant_id]
            if not issued.active or issued.expires_at <= now or grant.revoked:
                return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
            if grant.client_id != client_id:
                return _oauth_error(400, "invalid_grant", "Incorrect or invalid refresh token")
            refresh_token = _rotate(store, presented, issued, now)
            grant_id = issued.grant_id
        else:
            return _oauth_error(400, "unsupported_grant_type")
        access_token = store.issue_access_token(grant_id)
        refresh = store.refresh_tokens[refresh_token]
        body = {
            "token_type": "bearer",
            "access_token": access_token,
            "refresh_token": refresh_token,
            "expires_in": store.config.access_token_ttl,
            "x_refresh_token_expires_in": round(refresh.expires_at - now),
        }
        if store.config.send_hard_expiry:
            cap = store.grants[grant_id].created_at + store.config.refresh_token_hard_ttl
            body["x_refresh_token_hard_expires_in"] = round(cap - now)
    return json_response(200, body, NO_STORE)


def _rotate(store: FakeStore, presented: str, issued: IssuedToken, now: float) -> str:
    """The refresh token to hand back, per the configured rotation policy."""
    policy = store.config.rotation
    rotate = policy == "always_rotate" or (
        policy == "rotate_every_24h" and now - issued.issued_at >= 86400
    )
    if not rotate:
        issued.expires_at = store._refresh_expiry(issued.grant_id, now)  # rolling expiry
        return presented
    if store.config.invalidate_old_refresh:
        issued.active = False
    return store.issue_refresh_token(issued.grant_id)


@bp.post(REVOKE_PATH)
def revoke() -> Response:
    """Revoke a refresh or access token (JSON ``{"token": ...}``): disconnects the app."""
    client_id = _authenticated_client(allow_body=False)
    if client_id is None:
        return _oauth_error(401, "invalid_client")
    store = current_store()
    token_value = None
    if request.is_json:
        payload = request.get_json(silent=True)
        token_value = payload.get("token") if isinstance(payload, dict) else None
    elif store.config.revoke_accepts_form:
        token_value = request.form.get("token")
    if not token_value:
        return _oauth_error(400, "invalid_request", 'a JSON body {"token": ...} is required')
    with store.lock:
        issued = store.refresh_tokens.get(token_value) or store.access_tokens.get(token_value)
        if issued is not None and store.grants[issued.grant_id].client_id == client_id:
            store.revoke_grant(issued.grant_id)
    return Response(b"", status=200, headers={"intuit_tid": trace_id(), **NO_STORE})


@bp.get(USERINFO_PATH)
def userinfo() -> Response:
    """OpenID user info for a token granted with the ``openid`` scope."""
    store = current_store()
    header = request.headers.get("Authorization", "")
    with store.lock:
        issued = store.access_tokens.get(header.removeprefix("Bearer ").strip())
        if issued is None or not issued.active or issued.expires_at <= store.clock.now():
            return _oauth_error(401, "invalid_token")
        grant = store.grants[issued.grant_id]
    if "openid" not in grant.scope.split():
        return _oauth_error(403, "insufficient_scope")
    return json_response(
        200,
        {
            "sub": f"fake-user-{issued.grant_id}",
            "email": "fake.user@example.com",
            "emailVerified": True,
            "givenName": "Fake",
            "familyName": "User",
        },
    )
