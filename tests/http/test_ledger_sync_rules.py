"""The sync's rules beyond the happy path (issue #16), against the fakes: the CLI for cron, a
webhook then ``--requested-only``, payments deleted there, a ledger that does not answer, two
syncs at once, hostile input on "Sync now", and what Admin > Accounting shows afterwards."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from clock import utcnow
from models import AccountingConnection, Invoice, InvoiceEvent, Payment, Provider, db
from tests.factories import make_payment
from tests.http.test_ledger_sync import _counts, _exported, _map_bank, _pay_there, _sync
from tests.http.test_ledger_webhooks import KEY, Catcher, _replay
from tests.ledgers import connect, fake_settings
from tests.pages import squeeze

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens


@pytest.fixture
def app_config(ledger):
    provider, fake = ledger
    return {**fake_settings(provider, fake), "QUICKBOOKS_WEBHOOK_VERIFIER": KEY,
            "XERO_WEBHOOK_KEY": KEY}  # fmt: skip


def _connection() -> AccountingConnection:
    db.session.expire_all()
    return db.session.scalar(sa.select(AccountingConnection))


def _other(provider: Provider) -> Provider:
    return Provider.XERO if provider == Provider.QUICKBOOKS else Provider.QUICKBOOKS


def _ledger_payment_id(provider: Provider, fake, amount: str) -> str:
    """The id there of the one payment of ``amount``."""
    qbo = provider == Provider.QUICKBOOKS
    held = fake.entities("Payment") if qbo else fake.payments()
    key, field = ("Id", "TotalAmt") if qbo else ("PaymentID", "Amount")
    (found,) = [p[key] for p in held if Decimal(str(p[field])) == Decimal(amount)]
    return str(found)


def _delete_payment_there(provider: Provider, fake, payment_id: str, void=False) -> None:
    if provider == Provider.QUICKBOOKS:
        (fake.void_in_ledger if void else fake.delete_in_ledger)("Payment", payment_id)
    else:
        fake.delete_payment(payment_id)


def _events(invoice: Invoice, kind: str) -> list[InvoiceEvent]:
    return db.session.scalars(
        sa.select(InvoiceEvent).where(
            InvoiceEvent.invoice_id == invoice.id, InvoiceEvent.kind == kind
        )
    ).all()


def _names_the_payment(line: str) -> bool:
    """Whether a change line names the invoice, the amount and that it was recorded here."""
    return all(word in line for word in ("INV-0001", "$288.24", "recorded"))


def _live_payments() -> list[Payment]:
    return db.session.scalars(sa.select(Payment).where(Payment.deleted_at.is_(None))).all()


def test_the_cli_prints_each_change_then_nothing_changed(app, runner, admin_client, ledger):
    provider, fake = ledger
    (invoice,) = _exported(admin_client, provider, fake)
    _pay_there(provider, fake, invoice, "288.24")
    result = runner.invoke(args=["ledgers", "sync"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == f"{provider.label}: 1 change.", lines
    (change,) = lines[:-1]
    assert change.startswith(f"{provider.label}: ") and _names_the_payment(change), change
    assert "Traceback" not in result.output
    result = runner.invoke(args=["ledgers", "sync"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{provider.label}: Nothing changed."


def test_the_cli_without_a_connection_says_so(app, runner, ledger):
    result = runner.invoke(args=["ledgers", "sync"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Nothing to sync: no ledger is connected."


def test_the_cli_asked_for_a_ledger_not_connected_fails_clearly(app, runner, ledger):
    provider, fake = ledger
    connect(provider, fake)
    other = _other(provider)
    result = runner.invoke(args=["ledgers", "sync", "--ledger", other.value])
    assert result.exit_code != 0
    assert f"Connect {other.label} in Admin > Accounting first." in result.output
    assert "Traceback" not in result.output
    assert _connection().synced_at is None


def _webhook_call(admin_client, provider: Provider, fake, invoice: Invoice) -> tuple:
    """The ledger's real webhook call after ``invoice`` is paid there: (body, headers)."""
    with Catcher() as catcher:
        url = f"{catcher.url}/webhooks/{provider.value}"
        if provider == Provider.QUICKBOOKS:
            fake.webhook_delivery()  # drain what the export queued
            fake.configure(webhook_url=url, webhook_verifier_token=KEY)
            _pay_there(provider, fake, invoice, "288.24")
            assert fake.send_webhook()["status"] == 200
        else:
            fake.set_webhook(url, KEY)
            fake.deliver_webhooks()
            catcher.calls.clear()
            _pay_there(provider, fake, invoice, "288.24")
            assert fake.deliver_webhooks() == 200
    assert catcher.calls, "the ledger sent no webhook"
    return catcher.calls[-1]


def test_a_webhook_marks_the_connection_and_requested_only_syncs_it_once(
    app, runner, admin_client, client, ledger
):
    provider, fake = ledger
    (invoice,) = _exported(admin_client, provider, fake)
    call = _webhook_call(admin_client, provider, fake, invoice)
    result = runner.invoke(args=["ledgers", "sync", "--requested-only"])
    assert result.exit_code == 0 and "Nothing to sync" in result.output, result.output
    assert _live_payments() == []
    assert _replay(client, provider, call).status_code == 200
    assert _connection().sync_requested_at is not None
    result = runner.invoke(args=["ledgers", "sync", "--requested-only"])
    assert result.exit_code == 0, result.output
    assert f"{provider.label}: 1 change." in result.output
    connection = _connection()
    assert connection.sync_requested_at is None and connection.synced_at is not None
    assert [p.amount_minor for p in _live_payments()] == [28824]
    before = _counts()
    result = runner.invoke(args=["ledgers", "sync", "--requested-only"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Nothing to sync: no ledger is connected or asked for a sync."
    db.session.expire_all()
    assert _counts() == before


def test_a_forged_webhook_is_refused_and_requested_only_syncs_nothing(
    app, runner, admin_client, client, ledger
):
    provider, fake = ledger
    (invoice,) = _exported(admin_client, provider, fake)
    body, headers = _webhook_call(admin_client, provider, fake, invoice)
    header = "intuit-signature" if provider == Provider.QUICKBOOKS else "x-xero-signature"
    forged = {k: v for k, v in headers.items() if k.lower() != header} | {header: "Zm9yZ2Vk"}
    response = _replay(client, provider, (body, forged))
    assert response.status_code == 401 and response.data == b""
    assert _connection().sync_requested_at is None
    result = runner.invoke(args=["ledgers", "sync", "--requested-only"])
    assert result.exit_code == 0, result.output
    assert "Nothing to sync" in result.output
    assert _live_payments() == [] and _connection().synced_at is None


def test_payments_deleted_there_are_deleted_here_when_they_came_from_there_else_flagged(
    admin_client, ledger
):
    provider, fake = ledger
    theirs, ours = _exported(admin_client, provider, fake, 2)
    _map_bank(provider, fake)
    _pay_there(provider, fake, theirs, "100.00")
    here = make_payment(ours.customer, 5000, {ours.id: 5000}, reference="BANK-9")
    page = _sync(admin_client)
    assert f"Synced with {provider.label}: 2 changes." in page, page
    db.session.expire_all()
    assert (theirs.balance_minor, ours.balance_minor) == (18824, 23824)
    (from_there,) = [p for p in _live_payments() if p.recorded_in == provider.value]

    _delete_payment_there(provider, fake, _ledger_payment_id(provider, fake, "100.00"))
    _delete_payment_there(provider, fake, _ledger_payment_id(provider, fake, "50.00"), void=True)
    page = _sync(admin_client)
    assert f"Payment #{from_there.id} deleted here" in page, page
    assert f"Payment #{here.id}: deleted in {provider.label}, kept here (flagged)." in page
    db.session.expire_all()
    assert db.session.get(Payment, from_there.id).is_deleted
    assert theirs.balance_minor == 28824  # owes again
    (gone,) = _events(theirs, "payment_deleted")
    assert f"(deleted or voided in {provider.label} (Payment/" in gone.message, gone.message
    assert gone.data["source"] == provider.value  # History names the ledger as who did it
    kept = db.session.get(Payment, here.id)
    assert not kept.is_deleted and ours.balance_minor == 23824
    (flag,) = _events(ours, "ledger_payment_deleted")
    assert flag.data["source"] == provider.value and flag.data["payment_id"] == here.id
    assert "kept here" in flag.message

    before = _counts()
    assert f"Synced with {provider.label}: nothing changed." in _sync(admin_client)
    db.session.expire_all()
    assert _counts() == before


def test_an_unreachable_ledger_changes_nothing_says_so_and_frees_the_lease(
    app, admin_client, ledger
):
    provider, fake = ledger
    (invoice,) = _exported(admin_client, provider, fake)
    _sync(admin_client)  # a cursor to keep
    cursor = _connection().sync_cursor
    assert cursor
    _pay_there(provider, fake, invoice, "288.24")
    key = "QUICKBOOKS_API_BASE_URL" if provider == Provider.QUICKBOOKS else "XERO_API_BASE_URL"
    reachable, app.config[key] = app.config[key], f"{CLOSED}/unreachable"
    page = _sync(admin_client, to=provider.value)
    assert f"{provider.label} could not be reached" in page, page
    assert "Nothing was changed here" in page
    for leak in ("Traceback", "HTTPConnectionPool", "Errno", "Max retries", "Exception"):
        assert leak not in page
    connection = _connection()
    assert "could not be reached" in connection.sync_error
    assert connection.sync_cursor == cursor and connection.sync_running_until is None
    assert _live_payments() == []

    app.config[key] = reachable
    page = _sync(admin_client, to=provider.value)
    assert "already running" not in page
    assert f"Synced with {provider.label}: 1 change." in page
    assert _connection().sync_error == ""


def test_the_cli_with_the_ledger_unreachable_exits_1_and_says_why(app, runner, ledger):
    provider, fake = ledger
    connect(provider, fake)
    key = "QUICKBOOKS_API_BASE_URL" if provider == Provider.QUICKBOOKS else "XERO_API_BASE_URL"
    app.config[key] = f"{CLOSED}/unreachable"
    result = runner.invoke(args=["ledgers", "sync"])
    assert result.exit_code == 1, result.output
    assert f"{provider.label}: The sync with {provider.label} stopped" in result.stderr
    assert "could not be reached" in result.stderr and "Traceback" not in result.output
    assert _connection().sync_running_until is None


def test_a_sync_already_running_is_said_and_changes_nothing(admin_client, ledger):
    provider, fake = ledger
    (invoice,) = _exported(admin_client, provider, fake)
    _pay_there(provider, fake, invoice, "288.24")
    connection = _connection()
    until = utcnow() + timedelta(minutes=5)
    connection.sync_running_until = until
    db.session.commit()
    before = _counts()
    page = _sync(admin_client, to=provider.value)
    assert f"A sync with {provider.label} is already running; try again in a minute." in page
    connection = _connection()
    assert connection.synced_at is None and connection.sync_cursor in (None, "")
    assert connection.sync_running_until.replace(tzinfo=None) == until.replace(tzinfo=None)
    assert _counts() == before


def test_sync_now_refuses_an_unknown_ledger_with_400(admin_client, ledger):
    provider, fake = ledger
    connect(provider, fake)
    for garbage in ("sage", "QUICKBOOKS", "x" * 500, "quick books"):
        response = admin_client.post("/invoices/ledgers/sync", data={"to": garbage, "next": "/"})
        assert response.status_code == 400, garbage
    # A NUL is refused by the app-wide input guard (blueprints/input_guard.py), before the view.
    response = admin_client.post("/invoices/ledgers/sync", data={"to": "quickbooks\x00"})
    assert response.status_code == 422
    assert _connection().synced_at is None


def test_sync_now_goes_back_only_to_a_local_page(admin_client, ledger):
    provider, fake = ledger
    connect(provider, fake)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = admin_client.post(
            "/invoices/ledgers/sync", data={"to": provider.value, "next": target}
        )
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//"), location
        assert "evil" not in location


def test_sync_now_needs_the_csrf_token_when_csrf_is_on(app, admin_client, ledger):
    provider, fake = ledger
    connect(provider, fake)
    app.config["WTF_CSRF_ENABLED"] = True
    response = admin_client.post("/invoices/ledgers/sync", data={"to": provider.value})
    assert response.status_code == 400
    assert _connection().synced_at is None
    page = admin_client.get("/admin/accounting").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = admin_client.post(
        "/invoices/ledgers/sync", data={"to": provider.value, "csrf_token": token}
    )
    assert response.status_code == 302
    assert _connection().synced_at is not None


def test_admin_accounting_shows_the_last_sync_and_what_it_changed(admin_client, ledger):
    provider, fake = ledger
    (invoice,) = _exported(admin_client, provider, fake)
    assert "Not synced yet." in squeeze(admin_client.get("/admin/accounting"))
    _pay_there(provider, fake, invoice, "288.24")
    _sync(admin_client)
    response = admin_client.get("/admin/accounting")
    html = response.get_data(as_text=True)
    page = squeeze(response)
    assert re.search(r"Last sync .* UTC : 1 change\.", page), page
    assert "What it changed" in page
    (line,) = _connection().sync_summary.splitlines()
    assert _names_the_payment(line) and " ".join(line.split()) in page
    block = html[html.index(f'id="sync-{provider.value}"') :]
    form = block[: block.index("</form>")]
    assert 'action="/invoices/ledgers/sync"' in form
    assert f'name="to" value="{provider.value}"' in form
    assert 'name="next" value="/admin/accounting"' in form
