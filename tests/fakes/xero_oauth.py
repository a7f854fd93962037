"""The fake Xero's identity side (§1.2): authorize, token, revocation, discovery, /connections.

Test hooks on the authorize URL (not Xero's): ``deny=1`` answers ``error=access_denied``, and
``tenant_ids=a,b`` connects only those organisations (all seeded ones otherwise). The fake has
one user; every client is confidential (the secret is always checked, PKCE is checked on top).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from html import escape
from urllib.parse import unquote, urlencode, urlsplit

from flask import Blueprint, Response, redirect, request

from tests.fakes.xero_format import iso7, json_response, new_id, problem
from tests.fakes.xero_scopes import KNOWN_SCOPES, ScopeRefused, refusal
from tests.fakes.xero_state import AccessToken, AuthCode, current_state
from tests.fakes.xero_tokens import USER_EMAIL, USER_ID, issue_tokens, jwks, pkce_matches

bp = Blueprint("fake_xero_oauth", __name__)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def issuer() -> str:
    """The fake's origin, standing in for identity.xero.com and login.xero.com."""
    return request.host_url.rstrip("/")


def _error_page(message: str) -> Response:
    # Xero shows its own page, and never redirects, when client_id or redirect_uri is wrong.
    html = f"<!doctype html><title>Xero | Error</title><h1>Error</h1><p>{escape(message)}</p>"
    return Response(html, status=400, content_type="text/html; charset=utf-8")


def _redirect_allowed(uri: str) -> bool:
    parts = urlsplit(uri)
    if uri in current_state().config.redirect_uris:
        return True
    return parts.scheme in {"http", "https"} and parts.hostname in LOOPBACK_HOSTS


def _back(redirect_uri: str, params: dict) -> Response:
    joiner = "&" if urlsplit(redirect_uri).query else "?"
    clean = {k: v for k, v in params.items() if v is not None}
    return redirect(f"{redirect_uri}{joiner}{urlencode(clean)}", code=302)


@bp.route("/identity/connect/authorize")
@bp.route("/connect/authorize")
def authorize():
    """Auto-approve (or deny with ``deny=1``) and send the browser back with code and state."""
    state = current_state()
    args = request.args
    client_id, redirect_uri = args.get("client_id", ""), args.get("redirect_uri", "")
    if client_id != state.config.client_id:
        return _error_page("unauthorized_client: unknown client_id")
    if not redirect_uri or not _redirect_allowed(redirect_uri):
        return _error_page("invalid_request: redirect_uri is not registered for this app")
    back_state = args.get("state")
    if args.get("response_type") != "code":
        return _back(redirect_uri, {"error": "unsupported_response_type", "state": back_state})
    scopes = tuple(args.get("scope", "").split())
    if not scopes or any(s not in KNOWN_SCOPES for s in scopes):
        return _back(redirect_uri, {"error": "invalid_scope", "state": back_state})
    refused = refusal(scopes, state.config.new_app)
    if refused:
        # [unverified] Xero may instead show its own error page; third parties report both
        # invalid_scope and unauthorized_client for a new app asking for a broad scope.
        params = {"error": "invalid_scope", "error_description": refused, "state": back_state}
        return _back(redirect_uri, params)
    if args.get("deny") == "1":
        return _back(redirect_uri, {"error": "access_denied", "state": back_state})
    with state.lock:
        event = new_id()
        code = secrets.token_hex(24)
        state.codes[code] = AuthCode(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            expires_at=state.clock.now() + state.config.code_ttl,
            auth_event_id=event,
            nonce=args.get("nonce"),
            code_challenge=args.get("code_challenge"),
            code_challenge_method=args.get("code_challenge_method"),
        )
        wanted = [t for t in args.get("tenant_ids", "").split(",") if t] or None
        state.connect(client_id, event, wanted)
    params = {"code": code, "state": back_state}
    if state.config.callback_extras:
        params.update(scope=" ".join(scopes), session_state=secrets.token_hex(16))
    return _back(redirect_uri, params)


def _oauth_error(error: str, status: int = 400, description: str = "") -> Response:
    body = {"error": error}
    if error == "invalid_grant":
        description = current_state().config.invalid_grant_description
    if description:
        body["error_description"] = description
    return json_response(body, status, NO_STORE)


def _client() -> str | None:
    """The authenticated client id (Basic header or body credentials), or None."""
    config = current_state().config
    auth = request.authorization
    client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
    if auth is not None and auth.type == "basic":
        basic_id, basic_secret = unquote(auth.username or ""), unquote(auth.password or "")
        if client_id and client_id != basic_id:
            return None
        client_id, secret = basic_id, basic_secret
    if client_id == config.client_id and secret == config.client_secret:
        return client_id
    return None


@bp.route("/connect/token", methods=["POST"])
def token():
    """Exchange a code, or rotate a refresh token (§1.2)."""
    state = current_state()
    client_id = _client()
    if client_id is None:
        return _oauth_error("invalid_client")
    grant = request.form.get("grant_type")
    try:
        with state.lock:
            if grant == "authorization_code":
                return _exchange_code(client_id)
            if grant == "refresh_token":
                return _refresh(client_id)
    except ScopeRefused as refused:
        # A code or refresh token from when the app counted as old: never a broad grant now.
        return _oauth_error("invalid_scope", description=str(refused))
    return _oauth_error("unsupported_grant_type")


def _exchange_code(client_id: str) -> Response:
    state = current_state()
    code = state.codes.get(request.form.get("code", ""))
    now = state.clock.now()
    if (
        code is None
        or code.used
        or code.expires_at <= now
        or code.client_id != client_id
        or code.redirect_uri != request.form.get("redirect_uri")
    ):
        return _oauth_error("invalid_grant")
    code.used = True
    if code.code_challenge and not pkce_matches(
        request.form.get("code_verifier", ""), code.code_challenge, code.code_challenge_method
    ):
        return _oauth_error("invalid_grant")
    body = issue_tokens(state, client_id, code.scopes, code.auth_event_id, issuer(), code.nonce)
    return json_response(body, 200, NO_STORE)


def _refresh(client_id: str) -> Response:
    state = current_state()
    old = state.refresh_tokens.get(request.form.get("refresh_token", ""))
    now = state.clock.now()
    if old is None or old.revoked or old.client_id != client_id:
        return _oauth_error("invalid_grant")
    refused = refusal(old.scopes, state.config.new_app)
    if refused:
        return _oauth_error("invalid_scope", description=refused)
    if old.rotated_at is None:
        if now - old.issued_at > state.config.refresh_token_ttl:
            return _oauth_error("invalid_grant")
        old.rotated_at = now
    elif now - old.rotated_at > state.config.refresh_grace:
        return _oauth_error("invalid_grant")
    body = issue_tokens(state, client_id, old.scopes, old.auth_event_id, issuer())
    return json_response(body, 200, NO_STORE)


@bp.route("/connect/revocation", methods=["POST"])
def revocation():
    """Revoke a refresh token: every token of the app dies and its connections go (§1.2)."""
    state = current_state()
    client_id = _client()
    if client_id is None:
        return _oauth_error("invalid_client")
    value = request.form.get("token", "")
    with state.lock:
        refresh = state.refresh_tokens.get(value)
        access = state.access_tokens.get(value)
        if refresh is not None and refresh.client_id == client_id:
            for other in state.refresh_tokens.values():
                if other.client_id == client_id:
                    other.revoked = True
            for conn_id in [c.id for c in state.connections.values() if c.client_id == client_id]:
                del state.connections[conn_id]
            if state.config.revoke_kills_access_tokens:
                for other in state.access_tokens.values():
                    if other.client_id == client_id:
                        other.revoked = True
        elif access is not None and access.client_id == client_id:
            access.revoked = True
    return Response("", status=200)


def bearer() -> tuple[AccessToken | None, Response | None]:
    """The request's valid access token, or the 401 answer Xero gives (§1.2)."""
    state = current_state()
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    with state.lock:
        token = state.access_tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None or token.revoked:
            body = problem(401, "Unauthorized", "AuthenticationUnsuccessful")
            return None, json_response(body, 401)
        if token.expires_at <= state.clock.now():
            expired = datetime.fromtimestamp(token.expires_at, UTC)
            detail = f"TokenExpired: token expired at {expired:%m/%d/%Y %H:%M:%S}"
            return None, json_response(problem(401, "Unauthorized", detail), 401)
        return token, None


def _connection_json(conn) -> dict:
    tenant = current_state().tenants.get(conn.tenant_id)
    return {
        "id": conn.id,
        "authEventId": conn.auth_event_id,
        "tenantId": conn.tenant_id,
        "tenantType": tenant.tenant_type if tenant else "ORGANISATION",
        "tenantName": tenant.name if tenant else "",
        "createdDateUtc": iso7(conn.created),
        "updatedDateUtc": iso7(conn.updated),
    }


@bp.route("/connections")
@bp.route("/Connections")
def connections():
    """The organisations this token's app is connected to (optionally one auth event's)."""
    token, failure = bearer()
    if failure:
        return failure
    state = current_state()
    event = request.args.get("authEventId")
    with state.lock:
        found = [
            _connection_json(c)
            for c in state.connections.values()
            if c.client_id == token.client_id and (not event or c.auth_event_id == event)
        ]
    return json_response(found)


@bp.route("/connections/<conn_id>", methods=["DELETE"])
@bp.route("/Connections/<conn_id>", methods=["DELETE"])
def delete_connection(conn_id: str):
    """Disconnect one organisation: 204, or 404 when the id is not this app's."""
    token, failure = bearer()
    if failure:
        return failure
    state = current_state()
    with state.lock:
        conn = state.connections.get(conn_id)
        if conn is None or conn.client_id != token.client_id:
            return Response("", status=404)
        del state.connections[conn_id]
    return Response("", status=204)


@bp.route("/.well-known/openid-configuration")
def discovery():
    """The OpenID discovery document, every endpoint on this origin."""
    base = issuer()
    return json_response(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/identity/connect/authorize",
            "token_endpoint": f"{base}/connect/token",
            "userinfo_endpoint": f"{base}/connect/userinfo",
            "revocation_endpoint": f"{base}/connect/revocation",
            "jwks_uri": f"{base}/.well-known/openid-configuration/jwks",
            "scopes_supported": sorted(KNOWN_SCOPES),
            "claims_supported": ["sub", "xero_userid", "email", "given_name", "family_name"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "code_challenge_methods_supported": ["plain", "S256"],
        }
    )


@bp.route("/.well-known/openid-configuration/jwks")
def jwks_document():
    """The key that signs ID tokens."""
    return json_response(jwks())


@bp.route("/connect/userinfo")
def userinfo():
    """The fake's single user, for an access token with ``openid``."""
    token, failure = bearer()
    if failure:
        return failure
    claims = {"sub": USER_ID, "xero_userid": USER_ID}
    if "email" in token.scopes:
        claims["email"] = USER_EMAIL
    return json_response(claims)
