"""Token minting for the fake Xero: JWT-shaped access tokens and RS256-signed ID tokens."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fakes.xero_format import new_id
from tests.fakes.xero_scopes import check
from tests.fakes.xero_state import AccessToken, FakeXeroState, RefreshToken

KEY_ID = "fake-xero-signing-key"
USER_ID = "5d3f1a2b-6c7d-4e8f-9a0b-1c2d3e4f5a6b"
USER_EMAIL = "admin@example.test"


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JWTs use."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64json(value: dict) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


@functools.cache
def _signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks() -> dict:
    """The public half of the ID-token signing key as a JWK set."""
    numbers = _signing_key().public_key().public_numbers()

    def encode(value: int) -> str:
        return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

    key = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": KEY_ID}
    key.update(e=encode(numbers.e), n=encode(numbers.n))
    return {"keys": [key]}


def _signed(claims: dict) -> str:
    head = _b64json({"alg": "RS256", "kid": KEY_ID, "typ": "JWT"})
    body = _b64json(claims)
    signature = _signing_key().sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64url(signature)}"


def pkce_matches(verifier: str, challenge: str, method: str | None) -> bool:
    """Whether ``verifier`` answers the PKCE ``challenge`` (S256 or plain)."""
    if (method or "plain") == "S256":
        return b64url(hashlib.sha256(verifier.encode()).digest()) == challenge
    return verifier == challenge


def issue_tokens(
    state: FakeXeroState,
    client_id: str,
    scopes: tuple[str, ...],
    auth_event_id: str,
    issuer: str,
    nonce: str | None = None,
) -> dict[str, Any]:
    """Mint and remember a token set; the §1.2 response body.

    ``refresh_token`` only with ``offline_access``; ``id_token`` only with ``openid``. Raises
    ScopeRefused, whoever asks, for a scope the app may not have (a broad one for a new app).
    """
    check(scopes, state.config.new_app)
    with state.lock:
        now = state.clock.now()
        ttl = state.config.access_token_ttl
        claims = {
            "nbf": int(now),
            "exp": int(now) + ttl,
            "iss": issuer,
            "aud": f"{issuer}/resources",
            "client_id": client_id,
            "sub": USER_ID,
            "auth_time": int(now),
            "xero_userid": USER_ID,
            "global_session_id": new_id().replace("-", ""),
            "jti": secrets.token_hex(16),
            "authentication_event_id": auth_event_id,
            "scope": list(scopes),
        }
        # The signature part is random: the fake checks tokens by lookup, not by signature.
        access = f"{_b64json({'alg': 'RS256', 'typ': 'JWT'})}.{_b64json(claims)}."
        access += b64url(secrets.token_bytes(32))
        state.access_tokens[access] = AccessToken(client_id, scopes, now + ttl, auth_event_id)
        body: dict[str, Any] = {
            "access_token": access,
            "expires_in": ttl,
            "token_type": "Bearer",
            "scope": " ".join(scopes),
        }
        if "offline_access" in scopes:
            refresh = secrets.token_hex(32)
            state.refresh_tokens[refresh] = RefreshToken(client_id, scopes, auth_event_id, now)
            body["refresh_token"] = refresh
        if "openid" in scopes and state.config.issue_id_token:
            body["id_token"] = _id_token(client_id, scopes, issuer, now, nonce)
        return body


def _id_token(client_id: str, scopes, issuer: str, now: float, nonce: str | None) -> str:
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": client_id,
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now) + 300,
        "auth_time": int(now),
        "sub": USER_ID,
        "xero_userid": USER_ID,
        "global_session_id": secrets.token_hex(16),
        "sid": secrets.token_hex(16),
    }
    if nonce:
        claims["nonce"] = nonce
    if "email" in scopes:
        claims["email"] = USER_EMAIL
    if "profile" in scopes:
        claims.update(given_name="Fake", family_name="Admin", preferred_username=USER_EMAIL)
    return _signed(claims)
