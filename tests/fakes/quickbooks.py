"""A fake QuickBooks Online server on loopback, faithful to Intuit's QuickBooks Online API.

One origin serves Intuit's OAuth endpoints (authorize, token, revoke, discovery document), the
Accounting API at ``/v3/company/{realmId}/...`` and test-control endpoints under ``/_fake/``.
The pieces live in ``qbo_*.py`` beside this module: entities (``qbo_entities``, ``qbo_invoice``,
``qbo_payments`` for Payment/CreditMemo/RefundReceipt), Change Data Capture (``qbo_cdc``),
webhooks (``qbo_webhooks``) and a user's actions in QuickBooks (``qbo_ledger``).

In tests::

    with FakeQuickBooks(client_id="id", client_secret="secret") as fake:
        fake.api_base_url        # http://127.0.0.1:PORT/v3
        fake.tokens()            # a token pair without the OAuth dance
        fake.advance(3601)       # expire the access tokens
        fake.edit_in_ledger("Invoice", "12", CustomerMemo={"value": "Thanks"})  # SyncToken + 1
        fake.add_name("Vendor", "Acme Ltd")  # now a customer of that name gets 6240
        fake.apply_payment("12", "50.00")  # Balance - 50, LinkedTxn Payment, SyncToken + 1
        fake.void_in_ledger("Invoice", "12")  # and delete_in_ledger, apply_credit, add_account
        fake.configure(webhook_url=URL); fake.send_webhook()  # signed CloudEvents POST

Standalone::

    python -m tests.fakes.quickbooks --port 8765 --client-id ID --client-secret SECRET
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from typing import Any

from flask import Flask, Response, g, request

from tests.fakes import qbo_api, qbo_control, qbo_oauth
from tests.fakes.qbo_common import EXTENSION
from tests.fakes.qbo_ledger import LedgerActions
from tests.fakes.qbo_state import FakeStore, QboConfig
from tests.serving import LOOPBACK, LoopbackServer

DROP_KEY = "qbo_fake.drop"


def create_app(store: FakeStore) -> Flask:
    """The fake's Flask app over ``store``."""
    app = Flask(__name__)
    app.extensions[EXTENSION] = store
    app.register_blueprint(qbo_oauth.bp)
    app.register_blueprint(qbo_api.bp)
    app.register_blueprint(qbo_control.bp)

    @app.before_request
    def inject() -> Response | None:
        """Apply a queued ``fail-next`` (answer now) or ``drop-next`` (answer never)."""
        if request.path.startswith("/_fake/"):
            return None
        with store.lock:
            for entry in store.fail_queue:
                if request.path.startswith(entry["path"]):
                    store.fail_queue.remove(entry)
                    g.injected = entry["status"]
                    return qbo_control.injected_failure(
                        entry["status"],
                        entry.get("retry_after"),
                        store.clock.stamp(),
                        store.config.send_retry_after,
                    )
            for path in store.drop_queue:
                if request.path.startswith(path):
                    store.drop_queue.remove(path)
                    request.environ[DROP_KEY] = True
                    break
        return None

    @app.after_request
    def record(response: Response) -> Response:
        """Log the request and count it per endpoint (control endpoints excluded)."""
        if request.path.startswith("/_fake/"):
            return response
        endpoint = f"{request.method} {_endpoint_label()}"
        entry: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "endpoint": endpoint,
            "status": response.status_code,
            "time": store.clock.now(),
            **g.get("log_extra", {}),
        }
        if g.get("injected"):
            entry["injected"] = g.injected
        if request.environ.get(DROP_KEY):
            entry["dropped"] = True
        with store.lock:
            store.log.append(entry)
            store.counts[endpoint] += 1
        return response

    return app


def _endpoint_label() -> str:
    """The route with the entity spelled out: ``/v3/company/{realmId}/invoice/{id}``."""
    if request.url_rule is None:
        return request.path
    label = request.url_rule.rule.replace("<realm_id>", "{realmId}")
    label = label.replace("<entity_id>", "{id}")
    return label.replace("<entity>", str((request.view_args or {}).get("entity", "")).lower())


class _DropResponses:
    """WSGI wrapper: for a request marked by ``drop-next``, the work is done but the
    connection is shut before a single byte of the answer is written."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Any) -> Any:
        result = self.app(environ, start_response)
        if not environ.get(DROP_KEY):
            return result
        if hasattr(result, "close"):
            result.close()
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        return []


class FakeQuickBooks(LedgerActions, LoopbackServer):
    """The fake QBO as a loopback HTTP server in a daemon thread.

    Keyword arguments set ``QboConfig`` fields (``client_id``, ``rate_limit_per_minute``...);
    ``host``, ``port`` (0: any free one) and ``quiet`` are the server's.
    """

    def __init__(
        self,
        config: QboConfig | None = None,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        quiet: bool = True,
        **settings: Any,
    ) -> None:
        config = config or QboConfig()
        config.update(settings)
        self.store = FakeStore(config)
        self.app = create_app(self.store)
        super().__init__(_DropResponses(self.app), host, port, quiet)

    @property
    def api_base_url(self) -> str:
        """What ``QUICKBOOKS_API_BASE_URL`` should be (with ``/v3``)."""
        return f"{self.url}/v3"

    @property
    def discovery_url(self) -> str:
        """The discovery document; pass it to intuitlib as ``environment``."""
        return f"{self.url}/.well-known/openid_sandbox_configuration"

    @property
    def realm_id(self) -> str:
        """The company id the authorize endpoint hands out by default."""
        return self.store.config.realm_id

    def settings(self) -> dict[str, str]:
        """The app configuration that points QuickBooks at this fake."""
        return {
            "QUICKBOOKS_CLIENT_ID": self.store.config.client_id,
            "QUICKBOOKS_CLIENT_SECRET": self.store.config.client_secret,
            "QUICKBOOKS_AUTHORIZE_URL": self.url + qbo_oauth.AUTHORIZE_PATH,
            "QUICKBOOKS_ACCESS_TOKEN_URL": self.url + qbo_oauth.TOKEN_PATH,
            "QUICKBOOKS_REVOKE_URL": self.url + qbo_oauth.REVOKE_PATH,
            "QUICKBOOKS_API_BASE_URL": self.api_base_url,
        }

    # In-process shortcuts for the /_fake/ endpoints.

    def reset(self) -> None:
        """Like ``POST /_fake/reset``."""
        self.store.reset(full=True)

    def configure(self, **settings: Any) -> None:
        """Like ``POST /_fake/config`` (a new ``tax_model`` reseeds the tax codes)."""
        self.store.configure(settings)

    def advance(self, seconds: float) -> None:
        """Like ``POST /_fake/clock?advance=``."""
        with self.store.lock:
            self.store.clock.advance(seconds)

    def tokens(self, realm_id: str | None = None) -> dict[str, Any]:
        """Like ``POST /_fake/tokens``: ``access_token``, ``refresh_token``, ``realm_id``."""
        return self.store.tokens_for(realm_id)

    def fail_next(
        self, status: int, path: str = "/v3/", count: int = 1, retry_after: str | None = None
    ) -> None:
        """Like ``POST /_fake/fail-next`` (``retry_after``: the 429's ``Retry-After``)."""
        entry = {"status": status, "path": path, "retry_after": retry_after}
        with self.store.lock:
            self.store.fail_queue.extend(dict(entry) for _ in range(count))

    def drop_next(self, path: str = "/v3/", count: int = 1) -> None:
        """Like ``POST /_fake/drop-next``."""
        with self.store.lock:
            self.store.drop_queue.extend([path] * count)

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until no API request is being served (e.g. one a client gave up on)."""
        deadline = time.monotonic() + timeout
        while sum(self.store.inflight.values()) and time.monotonic() < deadline:
            time.sleep(0.01)

    def state(self, realm_id: str | None = None) -> dict[str, Any]:
        """Like ``GET /_fake/state``."""
        return self.store.snapshot(realm_id)

    def entities(self, entity: str, realm_id: str | None = None) -> list[dict[str, Any]]:
        """The stored entities of one type (``"Invoice"``...) in a realm, as stored."""
        with self.store.lock:
            realm = self.store.realm(realm_id or self.realm_id)
            return [dict(e) for e in realm.entities[entity].values()]


def main(argv: list[str] | None = None) -> None:
    """Run the fake in the foreground and print the settings that point the app at it."""
    parser = argparse.ArgumentParser(description="Fake QuickBooks Online server (loopback).")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--client-id", default=QboConfig.client_id)
    parser.add_argument("--client-secret", default=QboConfig.client_secret)
    parser.add_argument("--realm-id", default=QboConfig.realm_id)
    parser.add_argument("--rate-limit", type=int, default=QboConfig.rate_limit_per_minute)
    args = parser.parse_args(argv)
    fake = FakeQuickBooks(
        host=args.host,
        port=args.port,
        quiet=False,
        client_id=args.client_id,
        client_secret=args.client_secret,
        realm_id=args.realm_id,
        rate_limit_per_minute=args.rate_limit,
    )
    fake.start()
    print(f"Fake QuickBooks Online on {fake.url} (realmId {fake.realm_id})")
    for key, value in fake.settings().items():
        print(f"{key}={value}")
    print(f"# intuitlib AuthClient(environment=...): {fake.discovery_url}")
    print(f"# test control: {fake.url}/_fake/state, /_fake/reset, /_fake/config, /_fake/clock")
    sys.stdout.flush()
    fake.wait()


if __name__ == "__main__":
    main()
