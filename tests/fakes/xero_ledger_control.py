"""Test controls for what a Xero user does in the ledger, and for the fake's webhooks.

- ``POST /_fake/payment`` (``invoice_id`` (id or number), ``amount``, ``tenant``, optional
  ``date``, ``reference``, ``account``): pay an invoice as a user would, into account 090.
- ``POST /_fake/void`` (``invoice_id``, ``tenant``): void an invoice as a user would (the API's
  refusals: only AUTHORISED invoices with nothing paid or credited).
- ``POST /_fake/delete-payment`` (``payment_id``, ``tenant``): remove a payment.
- ``GET /_fake/webhooks``: settings, health, queued events and the delivery log.
- ``POST /_fake/webhooks`` (``url``, ``key``): where and with what key to deliver.
- ``POST /_fake/webhooks/intent``: run the intent-to-receive handshake against the URL.
- ``POST /_fake/webhooks/deliver``: send the queued events now.

Queued events are also delivered after every other request's answer (``install_hooks``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, request

from tests.fakes import xero_invoice_view, xero_payments, xero_webhooks
from tests.fakes.xero_batch import Staging
from tests.fakes.xero_control import _params
from tests.fakes.xero_format import json_response
from tests.fakes.xero_invoices import _refusals
from tests.fakes.xero_seed import DEFAULT_TENANT_ID
from tests.fakes.xero_state import FakeXeroState, current_state

bp = Blueprint("fake_xero_ledger", __name__, url_prefix="/_fake")


class LedgerRefused(ValueError):
    """Xero would refuse this action; the message is Xero's."""


def pay(state: FakeXeroState, tenant_id: str, invoice_id: str, amount: Any, **extra) -> dict:
    """A user's payment against an invoice of ``tenant_id`` (``extra``: ``date``,
    ``reference``, ``account``); the invoice as rendered. Queues its webhook event."""
    with state.lock:
        tenant = state.tenants[tenant_id]
        now = state.clock.utcnow()
        paid = xero_payments.apply_payment(tenant, invoice_id, amount, now, **extra)
        xero_webhooks.queue(state, tenant_id, "INVOICE", "UPDATE", paid["InvoiceID"])
        return xero_invoice_view.render(paid, tenant.contacts)


@bp.route("/payment", methods=["POST"])
def payment():
    """Pay ``amount`` against ``invoice_id``: the invoice, or 400 with Xero's refusal."""
    params = _params()
    tenant_id = str(params.get("tenant") or DEFAULT_TENANT_ID)
    try:
        extra = {k: params.get(k) for k in ("date", "reference", "account")}
        invoice = pay(
            current_state(), tenant_id, str(params.get("invoice_id")), params.get("amount"), **extra
        )
    except KeyError as error:
        return json_response({"error": f"unknown tenant or invoice: {error}"}, 404)
    except ValueError as error:
        return json_response({"error": str(error)}, 400)
    return json_response(invoice)


def void_invoice(state: FakeXeroState, tenant_id: str, invoice_id: str) -> dict[str, Any]:
    """Void an invoice (id or number) as a Xero user; the invoice as rendered. KeyError for an
    unknown one, LedgerRefused where Xero refuses (paid or credited, not AUTHORISED)."""
    with state.lock:
        tenant = state.tenants[tenant_id]
        invoice = tenant.invoices.get(invoice_id.lower()) or next(
            (i for i in tenant.invoices.values() if i["InvoiceNumber"] == invoice_id), None
        )
        if invoice is None:
            raise KeyError(f"no invoice {invoice_id}")
        refusals = _refusals(invoice, "VOIDED")
        if refusals:
            raise LedgerRefused(" ".join(refusals))
        invoice.update(Status="VOIDED", AmountDue=invoice["AmountDue"] * 0)
        invoice["UpdatedDateUTC"] = state.clock.utcnow()
        xero_webhooks.queue(state, tenant_id, "INVOICE", "UPDATE", invoice["InvoiceID"])
        return xero_invoice_view.render(invoice, tenant.contacts)


def delete_payment(state: FakeXeroState, tenant_id: str, payment_id: str) -> dict[str, Any]:
    """Delete a payment as a Xero user; the document it paid gets the amount back."""
    with state.lock:
        tenant = state.tenants[tenant_id]
        payment = tenant.payments[payment_id.lower()]
        staging = Staging(tenant)
        deleted = xero_payments.delete(staging, payment, state.clock.utcnow())
        staging.commit()
        category = "INVOICE" if deleted["Kind"] == "Invoice" else "CREDITNOTE"
        xero_webhooks.queue(state, tenant_id, category, "UPDATE", deleted["DocumentID"])
        return xero_payments.render(deleted, tenant)


def _ledger_action(action, key: str) -> Response:
    params = _params()
    tenant_id = str(params.get("tenant") or DEFAULT_TENANT_ID)
    try:
        return json_response(action(current_state(), tenant_id, str(params.get(key))))
    except KeyError as error:
        return json_response({"error": f"unknown tenant or document: {error}"}, 404)
    except ValueError as error:
        return json_response({"error": str(error)}, 400)


@bp.route("/void", methods=["POST"])
def void():
    """Void ``invoice_id``: the invoice, or 400 with Xero's refusal."""
    return _ledger_action(void_invoice, "invoice_id")


@bp.route("/delete-payment", methods=["POST"])
def delete_payment_view():
    """Delete ``payment_id``: the payment (DELETED), or 400 if it already is."""
    return _ledger_action(delete_payment, "payment_id")


def webhook_status(state: FakeXeroState) -> dict[str, Any]:
    """The webhook's settings, health, queued events and delivery log."""
    with state.lock:
        hooks = state.webhooks
        return {
            "url": state.config.webhook_url,
            "key": state.config.webhook_key,
            "status": hooks.status,
            "disabled": hooks.disabled,
            "failures": hooks.failures,
            "pending": list(hooks.pending),
            "log": list(hooks.log),
        }


@bp.route("/webhooks", methods=["GET", "POST"])
def webhooks():
    """Read, or POST ``url`` and ``key`` to set, the webhook."""
    state = current_state()
    if request.method == "POST":
        params = _params()
        with state.lock:
            if "url" in params:
                state.config.webhook_url = str(params["url"] or "")
            if "key" in params:
                state.config.webhook_key = str(params["key"])
    return json_response(webhook_status(state))


@bp.route("/webhooks/intent", methods=["POST"])
def intent():
    """The intent-to-receive handshake: ``{"ok", "results": [{"good", "status", "ok"}]}``."""
    return json_response(xero_webhooks.intent_to_receive(current_state()))


@bp.route("/webhooks/deliver", methods=["POST"])
def deliver():
    """Send the queued events now: ``{"status": <the receiver's answer or null>}``."""
    return json_response({"status": xero_webhooks.deliver(current_state())})


def install_hooks(app: Flask) -> None:
    """Deliver queued webhook events after every request (but the webhook controls'), once its
    answer is sent: a receiver that called the fake is never kept waiting on its own webhook."""

    @app.after_request
    def deliver_events(response: Response) -> Response:
        """Send what the request queued, when a webhook URL is set."""
        if not request.path.startswith("/_fake/webhooks"):
            state = current_state()
            response.call_on_close(lambda: xero_webhooks.deliver(state))
        return response
