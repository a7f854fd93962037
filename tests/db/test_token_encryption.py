"""OAuth tokens are encrypted at rest, and keys can be rotated."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from clock import utcnow
from integrations import secrets as token_secrets
from models import AccountingConnection, Provider, db


def _connect(access="access-token-plaintext", refresh="refresh-token-plaintext"):
    connection = AccountingConnection(
        provider=Provider.XERO,
        tenant_id="tenant-1",
        access_token=access,
        refresh_token=refresh,
        expires_at=utcnow() + timedelta(minutes=30),
    )
    db.session.add(connection)
    db.session.commit()
    return connection


def _raw_tokens():
    row = db.session.execute(
        sa.text("SELECT access_token, refresh_token FROM accounting_connections")
    ).one()
    return row.access_token, row.refresh_token


def test_tokens_are_unreadable_in_the_database_and_readable_in_python(app):
    connection = _connect()
    raw_access, raw_refresh = _raw_tokens()
    assert "plaintext" not in raw_access and "plaintext" not in raw_refresh
    db.session.expire_all()
    assert db.session.get(AccountingConnection, connection.id).access_token == (
        "access-token-plaintext"
    )


key_old = Fernet.generate_key().decode()
key_new = Fernet.generate_key().decode()


@pytest.mark.parametrize("app_config", [{"TOKEN_ENCRYPTION_KEY": key_old}])
def test_rotated_key_still_reads_old_tokens(app, app_config):
    connection = _connect()
    app.config["TOKEN_ENCRYPTION_KEY"] = f"{key_new},{key_old}"
    token_secrets.init_app(app)
    db.session.expire_all()
    assert db.session.get(AccountingConnection, connection.id).refresh_token == (
        "refresh-token-plaintext"
    )
    app.config["TOKEN_ENCRYPTION_KEY"] = key_new  # the old key dropped: old tokens are lost
    token_secrets.init_app(app)
    db.session.expire_all()
    with pytest.raises(InvalidToken):
        db.session.get(AccountingConnection, connection.id).refresh_token  # noqa: B018
    db.session.rollback()
