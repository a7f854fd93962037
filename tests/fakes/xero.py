"""A fake Xero on loopback: OAuth 2.0, /connections and the Accounting API under one origin.

Faithful to Xero's Accounting API (OAuth, invoices, contacts, limits) and xero_accounting.yaml,
so the app, Authlib and the official xero-python SDK can all be pointed at it. In tests::

    with FakeXero(client_id="id", client_secret="secret") as fake:
        app.config.update(fake.env())

By hand::

    python -m tests.fakes.xero --port 5055 --client-id ID --client-secret SECRET

The modules beside this one hold the parts: ``xero_oauth`` (identity), ``xero_api`` (guards,
idempotency, dispatch), ``xero_contacts``/``xero_invoices``/``xero_lines``/``xero_settings``
(entities), ``xero_money_api`` with ``xero_payments``/``xero_credit_notes``/``xero_allocations``
(Payments, CreditNotes, Allocations), ``xero_http`` (paging, ``If-Modified-Since``),
``xero_limits`` (rate limits), ``xero_webhooks`` (signed events, intent to receive),
``xero_control`` and ``xero_ledger_control`` (``/_fake/...`` test controls, a ledger user's
payments and voids).
"""

from __future__ import annotations

import argparse
from typing import Any

from flask import Flask

from tests.fakes import (
    xero_api,
    xero_control,
    xero_credit_notes,
    xero_ledger_control,
    xero_oauth,
    xero_payments,
    xero_webhooks,
)
from tests.fakes.xero_control import API_PREFIX, DEFAULT_SCOPES
from tests.fakes.xero_seed import DEFAULT_TENANT_ID, DEFAULT_TENANT_NAME
from tests.fakes.xero_state import FakeXeroConfig, FakeXeroState
from tests.serving import LOOPBACK, LoopbackServer

__all__ = ["DEFAULT_SCOPES", "DEFAULT_TENANT_ID", "DEFAULT_TENANT_NAME", "FakeXero", "create_app"]


def create_app(state: FakeXeroState) -> Flask:
    """The fake's WSGI app over ``state``."""
    app = Flask("fake_xero")
    app.extensions["fake_xero"] = state
    app.register_blueprint(xero_oauth.bp)
    app.register_blueprint(xero_api.bp)
    app.register_blueprint(xero_control.bp)
    app.register_blueprint(xero_ledger_control.bp)
    xero_control.install_hooks(app)
    xero_ledger_control.install_hooks(app)
    return app


class FakeXero(LoopbackServer):
    """The fake as a real HTTP server on 127.0.0.1 (port 0 picks a free one).

    Keyword arguments set FakeXeroConfig fields (``client_id``, ``minute_limit``, ``new_app``...)
    and are what ``reset`` restores. The helper methods act on the state directly, for tests that
    need no HTTP round trip.
    """

    def __init__(self, host: str = LOOPBACK, port: int = 0, **config: Any) -> None:
        settings = FakeXeroConfig()
        settings.update(config)
        self.state = FakeXeroState(settings)
        self.app = create_app(self.state)
        super().__init__(self.app, host, port)

    @property
    def config(self) -> FakeXeroConfig:
        """The live settings (changes apply to the next request; ``reset`` restores them)."""
        return self.state.config

    def env(self) -> dict[str, str]:
        """The app settings that point it here (client id and secret included)."""
        return {
            "XERO_CLIENT_ID": self.config.client_id,
            "XERO_CLIENT_SECRET": self.config.client_secret,
            "XERO_AUTHORIZE_URL": f"{self.url}/identity/connect/authorize",
            "XERO_ACCESS_TOKEN_URL": f"{self.url}/connect/token",
            "XERO_REVOKE_URL": f"{self.url}/connect/revocation",
            "XERO_CONNECTIONS_URL": f"{self.url}/connections",
            "XERO_API_BASE_URL": f"{self.url}{API_PREFIX}",
        }

    def reset(self) -> None:
        """Forget everything, restore the starting settings, re-seed the default organisation."""
        self.state.reset()

    def add_tenant(self, name: str, tenant_id: str | None = None, **options: Any) -> str:
        """Seed another organisation; returns its tenant id."""
        return self.state.add_tenant(name, tenant_id, **options).tenant_id

    def issue_token(self, scope: str = DEFAULT_SCOPES, tenant_ids=None) -> dict[str, Any]:
        """Tokens for the configured client, as if it had just connected ``tenant_ids`` (all).

        The default scopes are granular ones a new app can have. A broad scope
        (``accounting.transactions``...) raises ScopeRefused unless the fake is an old app:
        ``FakeXero(new_app=False)`` or ``fake.config.update({"new_app": False})``.
        """
        return xero_control.mint_token(self.state, self.url, scope, tenant_ids)

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (tokens expire, rate windows slide)."""
        self.state.clock.advance(seconds)

    def fail_next(self, status: int, path: str = API_PREFIX, **options: Any) -> None:
        """Answer the next request under ``path`` with ``status``, without processing it."""
        xero_control.queue_fault(self.state, "fail", status=status, path=path, **options)

    def drop_next(self, path: str = API_PREFIX, count: int = 1, method: str = "") -> None:
        """Process the next request under ``path`` (of ``method``, if given) but drop the
        response."""
        xero_control.queue_fault(self.state, "drop", path=path, count=count, method=method)

    def snapshot(self, tenant_id: str | None = None) -> dict[str, Any]:
        """What ``/_fake/state`` returns (Decimal amounts)."""
        return xero_control.snapshot(self.state, tenant_id)

    def invoices(self, tenant_id: str = DEFAULT_TENANT_ID) -> list[dict[str, Any]]:
        """The stored invoices of one organisation, rendered as the API returns them."""
        return self.snapshot(tenant_id)["tenants"][tenant_id]["invoices"]

    def contacts(self, tenant_id: str = DEFAULT_TENANT_ID) -> list[dict[str, Any]]:
        """The stored contacts of one organisation, rendered as the API returns them."""
        return self.snapshot(tenant_id)["tenants"][tenant_id]["contacts"]

    def apply_payment(
        self, invoice_id: str, amount: Any, tenant_id: str = DEFAULT_TENANT_ID, **extra: Any
    ) -> dict[str, Any]:
        """A user pays ``amount`` against an AUTHORISED invoice in Xero into account 090
        (``extra``: ``date``, ``reference``, ``account``): a stored Payment, AmountPaid up,
        AmountDue down, PAID once nothing is due; returns the invoice as the API renders it.
        KeyError for an unknown invoice, ``PaymentRefused`` (a ValueError in Xero's words) for
        a payment Xero would refuse."""
        return xero_ledger_control.pay(self.state, tenant_id, invoice_id, amount, **extra)

    def void_invoice(self, invoice_id: str, tenant_id: str = DEFAULT_TENANT_ID) -> dict[str, Any]:
        """A user voids an AUTHORISED, unpaid invoice in Xero; the invoice as rendered.
        ``LedgerRefused`` (a ValueError) where Xero would refuse."""
        return xero_ledger_control.void_invoice(self.state, tenant_id, invoice_id)

    def delete_payment(self, payment_id: str, tenant_id: str = DEFAULT_TENANT_ID) -> dict[str, Any]:
        """A user deletes a payment in Xero; the payment as rendered (Status DELETED)."""
        return xero_ledger_control.delete_payment(self.state, tenant_id, payment_id)

    def payments(self, tenant_id: str = DEFAULT_TENANT_ID) -> list[dict[str, Any]]:
        """The stored payments of one organisation, rendered as the API returns them."""
        with self.state.lock:
            tenant = self.state.tenants[tenant_id]
            return [xero_payments.render(p, tenant) for p in tenant.payments.values()]

    def credit_notes(self, tenant_id: str = DEFAULT_TENANT_ID) -> list[dict[str, Any]]:
        """The stored credit notes of one organisation, rendered as the API returns them."""
        with self.state.lock:
            tenant = self.state.tenants[tenant_id]
            notes = tenant.credit_notes.values()
            return [xero_credit_notes.render(n, tenant.contacts) for n in notes]

    def set_webhook(self, url: str, key: str | None = None) -> None:
        """Deliver webhook events to ``url`` (signed with ``key``, if given)."""
        with self.state.lock:
            self.config.webhook_url = url
            if key is not None:
                self.config.webhook_key = key

    def intent_to_receive(self) -> dict[str, Any]:
        """Run Xero's handshake against the webhook URL: ``{"ok", "results"}``."""
        return xero_webhooks.intent_to_receive(self.state)

    def deliver_webhooks(self) -> int | None:
        """Send the queued events now; the receiver's status (None: nothing sent)."""
        return xero_webhooks.deliver(self.state)

    def count(self, endpoint: str) -> int:
        """How many requests hit ``endpoint`` (e.g. ``"PUT /Invoices"``) since the last reset."""
        with self.state.lock:
            return self.state.counts[endpoint]


def main(argv: list[str] | None = None) -> None:
    """Run the fake in the foreground and print the settings that point the app at it."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.xero", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--client-id", default=FakeXeroConfig.client_id)
    parser.add_argument("--client-secret", default=FakeXeroConfig.client_secret)
    parser.add_argument(
        "--tenant", action="append", default=[], help="seed another organisation (repeatable)"
    )
    args = parser.parse_args(argv)
    fake = FakeXero(
        args.host, args.port, client_id=args.client_id, client_secret=args.client_secret
    )
    for name in args.tenant:
        fake.add_tenant(name)
    fake.start()
    print(f"Fake Xero on {fake.url} (test controls under {fake.url}/_fake/)", flush=True)
    for key, value in fake.env().items():
        print(f"{key}={value}", flush=True)
    fake.wait()


if __name__ == "__main__":
    main()
