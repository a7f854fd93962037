"""OAuth 2.0 with QuickBooks Online and Xero (Authlib): provider URLs from configuration.

Every URL has a production default and an override in the environment, so tests and demos can
point the whole flow at the fakes in tests/fakes/ (or at any server that speaks the real API).
"""

from dataclasses import dataclass

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

QBO_SANDBOX_API = "https://sandbox-quickbooks.api.intuit.com/v3"
QBO_PRODUCTION_API = "https://quickbooks.api.intuit.com/v3"

DEFAULT_URLS = {
    "QUICKBOOKS_AUTHORIZE_URL": "https://appcenter.intuit.com/connect/oauth2",
    "QUICKBOOKS_ACCESS_TOKEN_URL": "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
    "QUICKBOOKS_REVOKE_URL": "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
    "XERO_AUTHORIZE_URL": "https://login.xero.com/identity/connect/authorize",
    "XERO_ACCESS_TOKEN_URL": "https://identity.xero.com/connect/token",
    "XERO_REVOKE_URL": "https://identity.xero.com/connect/revocation",
    "XERO_CONNECTIONS_URL": "https://api.xero.com/connections",
    "XERO_API_BASE_URL": "https://api.xero.com/api.xro/2.0",
}
# Xero apps created on or after 2 March 2026 may only ask for the granular scopes; older apps
# may keep the broad ``accounting.transactions`` (XERO_SCOPES=broad). Either way we ask for
# what the exporter and the sync use: write invoices, credit notes, payments and contacts;
# read accounts, tax rates and items.
XERO_SCOPES = {
    "granular": (
        "offline_access accounting.invoices accounting.payments accounting.contacts "
        "accounting.settings.read"
    ),
    "broad": "offline_access accounting.transactions accounting.contacts accounting.settings.read",
}
QUICKBOOKS_SCOPE = "com.intuit.quickbooks.accounting"


def scope_for(provider: str, config) -> str:
    """The OAuth scopes to ask ``provider`` for, per configuration."""
    if provider == "quickbooks":
        return QUICKBOOKS_SCOPE
    choice = str(config.get("XERO_SCOPES") or "granular").strip().lower()
    if choice not in XERO_SCOPES:
        raise ValueError(f"XERO_SCOPES must be one of {', '.join(XERO_SCOPES)}, not {choice!r}")
    return XERO_SCOPES[choice]


EXTENSION_KEY = "msp_oauth"


@dataclass(frozen=True)
class ProviderConfig:
    """Where a ledger's OAuth server and API live, and our credentials there."""

    name: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    revoke_url: str
    api_base_url: str
    connections_url: str = ""
    max_wait: float = 0.0  # seconds of a 429's Retry-After worth waiting out inline
    deadline: float | None = None  # seconds a whole export may take (None: no limit)

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)


def configure_defaults(app: Flask) -> None:
    """Fill the URL settings the environment left empty with the providers' real URLs."""
    for key, url in DEFAULT_URLS.items():
        if not app.config.get(key):
            app.config[key] = url
    if not app.config.get("QUICKBOOKS_API_BASE_URL"):
        production = app.config.get("QUICKBOOKS_ENVIRONMENT") == "production"
        app.config["QUICKBOOKS_API_BASE_URL"] = (
            QBO_PRODUCTION_API if production else QBO_SANDBOX_API
        )


def init_app(app: Flask) -> None:
    """Register both providers with Authlib, for this app only."""
    configure_defaults(app)
    oauth = OAuth(app)
    for name in ("quickbooks", "xero"):
        prefix = name.upper()
        oauth.register(
            name,
            client_id=app.config.get(f"{prefix}_CLIENT_ID") or "",
            client_secret=app.config.get(f"{prefix}_CLIENT_SECRET") or "",
            authorize_url=app.config[f"{prefix}_AUTHORIZE_URL"],
            access_token_url=app.config[f"{prefix}_ACCESS_TOKEN_URL"],
            client_kwargs={
                "scope": scope_for(name, app.config),
                "token_endpoint_auth_method": "client_secret_basic",
            },
        )
    app.extensions[EXTENSION_KEY] = oauth


def oauth_client(provider: str):
    """The Authlib Flask client of ``provider`` for the current app."""
    return current_app.extensions[EXTENSION_KEY].create_client(provider)


def provider_config(provider: str, config=None) -> ProviderConfig:
    """The configured URLs and credentials of ``provider`` ("quickbooks" or "xero")."""
    config = config if config is not None else current_app.config
    prefix = provider.upper()
    return ProviderConfig(
        name=provider,
        client_id=config.get(f"{prefix}_CLIENT_ID") or "",
        client_secret=config.get(f"{prefix}_CLIENT_SECRET") or "",
        authorize_url=config[f"{prefix}_AUTHORIZE_URL"],
        token_url=config[f"{prefix}_ACCESS_TOKEN_URL"],
        revoke_url=config[f"{prefix}_REVOKE_URL"],
        api_base_url=config[f"{prefix}_API_BASE_URL"],
        connections_url=config.get(f"{prefix}_CONNECTIONS_URL", ""),
        max_wait=float(config.get("LEDGER_MAX_WAIT_SECONDS") or 0),
        deadline=float(config.get("LEDGER_EXPORT_DEADLINE_SECONDS") or 0) or None,
    )
