"""MSP Billing: the application factory.

``flask --app app run`` and ``gunicorn app:app`` find the module-level ``app``, built lazily on
first access so that importing this module (as the tests do) has no side effects.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from dotenv import load_dotenv
from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from extensions import csrf, htmx, limiter, login_manager, migrate
from models import db

ENV_SETTINGS = {
    # name: (parser, default)
    "DATABASE_URL": (str, None),
    "MAIL_SERVER": (str, ""),
    "MAIL_PORT": (int, 25),
    "MAIL_USERNAME": (str, ""),
    "MAIL_PASSWORD": (str, ""),
    "MAIL_USE_TLS": (lambda v: v.lower() in {"1", "true", "yes", "on"}, False),
    "MAIL_DEFAULT_SENDER": (str, "billing@localhost"),
    "RATELIMIT_STORAGE_URI": (str, "memory://"),
    "LOGIN_RATE_LIMIT": (str, "5 per minute;30 per hour"),
    "TRUST_PROXY": (int, 0),
    "TOKEN_ENCRYPTION_KEY": (str, ""),
    # Accounting ledgers: credentials, and URL overrides (empty: the providers' real URLs).
    "QUICKBOOKS_CLIENT_ID": (str, ""),
    "QUICKBOOKS_CLIENT_SECRET": (str, ""),
    "QUICKBOOKS_ENVIRONMENT": (str, "sandbox"),
    "QUICKBOOKS_AUTHORIZE_URL": (str, ""),
    "QUICKBOOKS_ACCESS_TOKEN_URL": (str, ""),
    "QUICKBOOKS_REVOKE_URL": (str, ""),
    "QUICKBOOKS_API_BASE_URL": (str, ""),
    "XERO_CLIENT_ID": (str, ""),
    "XERO_CLIENT_SECRET": (str, ""),
    "XERO_AUTHORIZE_URL": (str, ""),
    "XERO_ACCESS_TOKEN_URL": (str, ""),
    "XERO_REVOKE_URL": (str, ""),
    "XERO_CONNECTIONS_URL": (str, ""),
    "XERO_API_BASE_URL": (str, ""),
    # Webhooks (optional): the verifier token of the QuickBooks app's Webhooks page and the
    # Xero app's webhook key; empty, that ledger's webhook endpoint answers 404.
    "QUICKBOOKS_WEBHOOK_VERIFIER": (str, ""),
    "XERO_WEBHOOK_KEY": (str, ""),
    # "granular" (apps created on or after 2 March 2026) or "broad" (older Xero apps).
    "XERO_SCOPES": (str, "granular"),
    # What a Xero copy is: "draft_until_sent" (DRAFT until the invoice is Sent here) or
    # "authorised" (an approved receivable as soon as it is exported).
    "XERO_EXPORT_STATUS": (str, "draft_until_sent"),
    # How long an inline export may wait when a ledger answers 429 with Retry-After.
    "LEDGER_MAX_WAIT_SECONDS": (float, 10.0),
    # Pretend today is this ISO date (demos, tests); empty: the server's own date.
    "BILLING_TODAY": (str, ""),
    # The most an export may take in all: below the web worker's timeout (gunicorn: 30 s by
    # default, see the README), so a slow ledger fails the rest clearly instead of a killed worker.
    "LEDGER_EXPORT_DEADLINE_SECONDS": (float, 25.0),
    # Bulk PDF, send and export of more invoices than one chunk become a job done a chunk per
    # request (README: "Many invoices at once"): at most this many invoices a request (exports:
    # BULK_EXPORT_CHUNK_SIZE), and no new one started after BULK_CHUNK_SECONDS.
    "BULK_CHUNK_SIZE": (int, 20),
    "BULK_EXPORT_CHUNK_SIZE": (int, 60),
    "BULK_CHUNK_SECONDS": (float, 5.0),
}


class SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (request and request.is_secure))


def database_url(raw: str | None, instance_path: str) -> str:
    """The SQLAlchemy URL for ``DATABASE_URL``, defaulting to SQLite in the instance folder."""
    if not raw:
        return f"sqlite:///{Path(instance_path) / 'msp_billing.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):  # use the psycopg 3 driver we install
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def instance_secret_key(instance_path: str) -> str:
    """The secret key kept in the instance folder, generated on first use."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Defaults, then the environment (and ``.env``), then ``overrides`` (tests)."""
    load_dotenv(override=False)
    app.config.from_mapping(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        RATELIMIT_HEADERS_ENABLED=True,  # the login limiter's 429 says when to retry (Retry-After)
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
    )
    for name, (parse, default) in ENV_SETTINGS.items():
        raw = os.environ.get(name)
        app.config[name] = parse(raw) if raw not in (None, "") else default
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY")
    app.config.update(overrides or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI", database_url(app.config["DATABASE_URL"], app.instance_path)
    )
    app.config["RATELIMIT_DEFAULT_STORAGE_URI"] = app.config["RATELIMIT_STORAGE_URI"]
    # SQLite: a writer waits up to 15 s for another's lock instead of failing ("database is
    # locked"). PostgreSQL: a server that does not answer fails in 5 s (a 503 page), well
    # within the web worker's timeout. Both below gunicorn's 30 s.
    connect_args = app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("connect_args", {})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        connect_args.setdefault("timeout", 15)
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        connect_args.setdefault("connect_timeout", 5)


def keep_private(url: str) -> None:
    """An SQLite database file is readable by its owner only (0600): it holds every invoice
    and the encrypted ledger tokens. Created so if missing; SQLite gives its journal the same."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url in (prefix, "sqlite:///:memory:"):
        return
    path = Path(url[len(prefix) :].split("?", 1)[0])
    if not path.name or path.name == ":memory:" or not path.parent.is_dir():
        return
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the MSP Billing application; ``config`` overrides everything else."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    load_config(app, config)
    if app.config["TRUST_PROXY"]:
        n = app.config["TRUST_PROXY"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    app.session_interface = SessionInterface()

    from blueprints import security_headers
    from integrations import oauth
    from integrations import secrets as token_secrets

    keep_private(app.config["SQLALCHEMY_DATABASE_URI"])
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    token_secrets.init_app(app)
    oauth.init_app(app)
    security_headers.init_app(app)  # after oauth: the CSP allows the ledgers' sign-in pages

    from blueprints import register_blueprints

    register_blueprints(app)
    return app


def __getattr__(name: str) -> Flask:
    # PEP 562: build the module-level app only when something asks for it.
    if name in {"app", "application"}:
        globals()[name] = built = create_app()
        return built
    raise AttributeError(name)
