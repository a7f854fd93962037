"""The fakes' webhooks, as the real ledgers send them, reach our endpoints (issue #16): an
invoice exported from here and paid in the ledger makes the ledger call us, and its call, byte
for byte, marks the connection for a sync; the same call forged is refused."""

import pytest
import sqlalchemy as sa
from flask import Flask, request

from billing.ledgers.webhooks import signature_ok
from models import AccountingConnection, Invoice, InvoiceExport, InvoiceStatus, Provider, db
from tests.ledgers import connect, fake_settings, make_invoices
from tests.serving import LoopbackServer

KEY = "webhook-key-of-this-app"


class Catcher(LoopbackServer):
    """Where the fake posts its webhooks: it keeps each call (body and headers) for the test
    to hand to the app byte for byte, and answers 200."""

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, dict[str, str]]] = []
        app = Flask("catcher")

        @app.post("/webhooks/<provider>")
        def hook(provider: str):
            self.calls.append((request.get_data(), dict(request.headers)))
            return "", 200

        super().__init__(app)


@pytest.fixture
def app_config(ledger):
    provider, fake = ledger
    return {**fake_settings(provider, fake), "QUICKBOOKS_WEBHOOK_VERIFIER": KEY,
            "XERO_WEBHOOK_KEY": KEY}  # fmt: skip


def _replay(client, provider: Provider, call: tuple[bytes, dict[str, str]]):
    body, headers = call
    kept = {k: v for k, v in headers.items() if k.lower() in ("content-type", "intuit-signature",
                                                                "x-xero-signature")}  # fmt: skip
    return client.post(f"/webhooks/{provider.value}", data=body, headers=kept)


def _sent_invoice() -> Invoice:
    (invoice,) = make_invoices(1, customers=1)
    invoice.status = InvoiceStatus.SENT
    invoice.sent_at = invoice.created_at  # the customer has it: Xero's copy is AUTHORISED
    db.session.commit()
    return invoice


def _paid_in_the_ledger(admin_client, provider: Provider, fake, invoice: Invoice) -> Invoice:
    response = admin_client.post(
        "/invoices/bulk/export", data={"to": provider.value, "ids": [str(invoice.id)]}
    )
    assert response.status_code == 302
    copy = db.session.scalars(
        sa.select(InvoiceExport).where(InvoiceExport.invoice_id == invoice.id)
    ).one()
    fake.apply_payment(copy.external_id, "10.00")  # paid there, not here
    return invoice


def test_a_payment_in_the_ledger_calls_us_and_only_asks_for_a_sync(admin_client, client, ledger):
    provider, fake = ledger
    invoice = _sent_invoice()
    connection = connect(provider, fake)  # its tax rate mapped
    with Catcher() as catcher:
        url = f"{catcher.url}/webhooks/{provider.value}"
        if provider == Provider.QUICKBOOKS:
            fake.webhook_delivery()  # what came before this test
            fake.configure(webhook_url=url, webhook_verifier_token=KEY)
            _paid_in_the_ledger(admin_client, provider, fake, invoice)
            assert fake.send_webhook()["status"] == 200
        else:
            fake.set_webhook(url, KEY)
            fake.intent_to_receive()  # good and badly signed handshakes, kept to replay
            handshake = list(catcher.calls)
            catcher.calls.clear()
            _paid_in_the_ledger(admin_client, provider, fake, invoice)
            assert fake.deliver_webhooks() == 200
    calls = catcher.calls
    assert calls, "the ledger sent no webhook"
    if provider == Provider.XERO:
        # The handshake, replayed to the app: each well-signed one 200, each other one 401.
        expected = [200 if signature_ok(body, h.get("X-Xero-Signature"), KEY) else 401
                    for body, h in handshake]  # fmt: skip
        assert sorted(expected) == [200, 200, 401, 401]
        assert [_replay(client, provider, call).status_code for call in handshake] == expected
    body, headers = calls[0]
    header = "intuit-signature" if provider == Provider.QUICKBOOKS else "x-xero-signature"
    forged = {k: v for k, v in headers.items() if k.lower() != header} | {header: "Zm9yZ2Vk"}
    assert _replay(client, provider, (body, forged)).status_code == 401
    assert db.session.get(AccountingConnection, connection.id).sync_requested_at is None
    response = _replay(client, provider, calls[0])
    assert response.status_code == 200 and response.data == b""
    db.session.expire_all()
    assert db.session.get(AccountingConnection, connection.id).sync_requested_at is not None
    # Nothing but the request for a sync: the invoice here is as it was until a sync reads it.
    db.session.refresh(invoice)
    assert (invoice.status, invoice.paid_minor) == (InvoiceStatus.EXPORTED, 0)  # as exported
