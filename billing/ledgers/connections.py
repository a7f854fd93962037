"""Ledger connections: storing tokens (encrypted), refreshing them, and disconnecting.

Both providers rotate refresh tokens, so the one returned by every refresh is stored at once.
A dead refresh token (``invalid_grant``) marks the connection as needing reconnection.
"""

from datetime import datetime, timedelta
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from sqlalchemy import select

from billing.errors import Conflict
from clock import utcnow
from integrations.oauth import ProviderConfig
from models import AccountingConnection, ExportState, InvoiceExport, Provider, User, db

REFRESH_MARGIN = timedelta(seconds=60)
TIMEOUT = 15


class ReconnectNeeded(Conflict):
    """The ledger no longer accepts our refresh token: an admin must connect again."""


def connection_for(provider: Provider) -> AccountingConnection | None:
    """The stored connection to ``provider``, if any."""
    return db.session.scalar(
        select(AccountingConnection).where(AccountingConnection.provider == provider)
    )


def connected_providers() -> list[Provider]:
    """The ledgers connected and usable for export (an organisation chosen), by name."""
    rows = db.session.execute(
        select(AccountingConnection.provider).where(AccountingConnection.tenant_id != "")
    )
    return sorted((provider for (provider,) in rows), key=lambda p: p.value)


def _expiry(token: dict[str, Any]) -> datetime:
    if token.get("expires_at"):
        return datetime.fromtimestamp(int(token["expires_at"]), tz=utcnow().tzinfo)
    return utcnow() + timedelta(seconds=int(token.get("expires_in") or 0))


def store_connection(
    provider: Provider, tenant_id: str, company_name: str, token: dict[str, Any], user: User | None
) -> AccountingConnection:
    """Create or replace the connection to ``provider`` with a fresh token (not committed)."""
    connection = connection_for(provider) or AccountingConnection(provider=provider)
    connection.tenant_id = tenant_id
    connection.company_name = company_name
    connection.needs_reconnect = False
    connection.connected_by_id = user.id if user else None
    connection.connected_at = utcnow()
    store_token(connection, token)
    db.session.add(connection)
    clear_access_failures(provider)
    return connection


def clear_access_failures(provider: Provider) -> int:
    """Forget the exports that failed only because the ledger refused access: after a
    reconnect, their error is stale. One never exported is as if never tried; one exported
    before keeps its ledger copy. Returns how many were cleared (not committed)."""
    failed = db.session.scalars(
        select(InvoiceExport).where(
            InvoiceExport.provider == provider,
            InvoiceExport.state == ExportState.FAILED,
            InvoiceExport.error_kind == "auth",
        )
    ).all()
    for export in failed:
        if export.external_id:
            export.state, export.error, export.error_kind = ExportState.EXPORTED, "", ""
        else:
            db.session.delete(export)
    return len(failed)


def store_token(connection: AccountingConnection, token: dict[str, Any]) -> None:
    """Keep the newest access and refresh tokens (encrypted at rest by the column type)."""
    connection.access_token = token["access_token"]
    connection.refresh_token = token.get("refresh_token") or connection.refresh_token
    connection.expires_at = _expiry(token)
    refresh_ttl = token.get("x_refresh_token_expires_in")
    if refresh_ttl:
        connection.refresh_expires_at = utcnow() + timedelta(seconds=int(refresh_ttl))


def refresh(connection: AccountingConnection, config: ProviderConfig) -> None:
    """Exchange the refresh token for new tokens, storing both at once.

    :raise ReconnectNeeded: the ledger refused the refresh token (``invalid_grant``).
    """
    session = OAuth2Session(
        config.client_id, config.client_secret, token_endpoint_auth_method="client_secret_basic"
    )
    try:
        token = session.refresh_token(
            config.token_url, refresh_token=connection.refresh_token, timeout=TIMEOUT
        )
    except OAuthError as error:
        if error.error in ("invalid_grant", "invalid_client", "unauthorized_client"):
            connection.needs_reconnect = True
            db.session.commit()  # remembered even though the export itself fails
            raise ReconnectNeeded(
                f"{connection.provider.label} refused to renew access "
                f"({error.error}): reconnect it in Admin > Accounting."
            ) from None
        raise
    store_token(connection, token)
    db.session.commit()  # the old refresh token may already be dead: never lose the new one


def access_token(connection: AccountingConnection, config: ProviderConfig, *, force=False) -> str:
    """A valid access token, refreshed first when it expires within a minute (or ``force``).

    :raise ReconnectNeeded: the connection needs an admin to connect again.
    """
    if connection.needs_reconnect:
        raise ReconnectNeeded(
            f"The {connection.provider.label} connection needs to be reconnected "
            "in Admin > Accounting before anything can be exported."
        )
    expires_at = connection.expires_at
    if expires_at.tzinfo is None:  # SQLite returns naive datetimes
        expires_at = expires_at.replace(tzinfo=utcnow().tzinfo)
    if force or expires_at - REFRESH_MARGIN <= utcnow():
        refresh(connection, config)
    return connection.access_token


def disconnect(connection: AccountingConnection, config: ProviderConfig) -> str | None:
    """Revoke the refresh token (best effort) and forget the connection; returns a warning."""
    warning = None
    try:
        if connection.provider == Provider.QUICKBOOKS:
            response = requests.post(
                config.revoke_url,
                json={"token": connection.refresh_token},
                auth=(config.client_id, config.client_secret),
                headers={"Accept": "application/json"},
                timeout=TIMEOUT,
            )
        else:
            response = requests.post(
                config.revoke_url,
                data={"token": connection.refresh_token},
                auth=(config.client_id, config.client_secret),
                timeout=TIMEOUT,
            )
        if response.status_code != 200:
            warning = f"The ledger answered {response.status_code} to the revocation."
    except requests.RequestException as error:
        warning = f"The ledger could not be reached to revoke access ({error})."
    db.session.delete(connection)
    return warning
