"""Encryption at rest for secrets such as OAuth tokens (Fernet, from the cryptography package).

The key comes from ``TOKEN_ENCRYPTION_KEY`` (one or more comma-separated Fernet keys, the first
used to encrypt, all tried to decrypt, so keys can be rotated). Without it, a key is derived from
``SECRET_KEY`` with HKDF, so rotating ``SECRET_KEY`` then means reconnecting the ledgers.
"""

import base64
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

EXTENSION_KEY = "msp_secrets"


def derive_key(secret_key: str) -> bytes:
    """A Fernet key derived from the app's ``SECRET_KEY``."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"msp-billing tokens")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


def init_app(app: Flask) -> None:
    """Build the app's cipher from its configuration."""
    configured = app.config.get("TOKEN_ENCRYPTION_KEY") or ""
    keys = [k.strip().encode() for k in configured.split(",") if k.strip()]
    if not keys:
        keys = [derive_key(app.config["SECRET_KEY"])]
    app.extensions[EXTENSION_KEY] = MultiFernet([Fernet(k) for k in keys])


def _cipher() -> MultiFernet:
    return current_app.extensions[EXTENSION_KEY]


class EncryptedText(sa.types.TypeDecorator):
    """A text column whose value is Fernet-encrypted in the database."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return _cipher().encrypt(value.encode()).decode()

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return _cipher().decrypt(value.encode()).decode()
