"""A sync's cost grows with what changed in the ledger, not with what was exported to it
(issue #16): three changes among 10,000 exported invoices take a constant few API requests
and SQL statements.

Three invoices are exported for real; the other 9,997 are copies of one of them written
straight into both sides (bulk inserts here, the fake's own in-process state there, stamped a
day earlier), since exporting 10,000 through the API would take minutes.
"""

import copy
import secrets
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from billing.ledgers.sync import sync_ledger
from models import (
    AccountingConnection,
    ExportState,
    Invoice,
    InvoiceEvent,
    InvoiceExport,
    InvoiceLine,
    InvoiceStatus,
    LedgerRecord,
    Payment,
    Provider,
    db,
)
from tests.fakes.qbo_state import PACIFIC
from tests.fakes.xero_format import new_id
from tests.fakes.xero_seed import DEFAULT_TENANT_ID
from tests.http.test_ledger_sync import _exported
from tests.ledgers import api_requests, fake_settings

EXPORTED = 10_000
REAL = 3  # exported through the API; the rest are seeded
QUIET = 300  # seconds the fake's clock moves on between the seeding and the user's changes
MOST_STATEMENTS = 70  # the sync with the three changes (see the test)
QUIET_STATEMENTS = 25  # a sync that finds nothing new
READS = {  # what one sync asks each ledger, however many invoices it holds
    Provider.QUICKBOOKS: lambda fake: [f"GET /v3/company/{fake.realm_id}/cdc"],
    Provider.XERO: lambda fake: [
        "GET /api.xro/2.0/Invoices",
        "GET /api.xro/2.0/Payments",
        "GET /api.xro/2.0/CreditNotes",
    ],
}


@pytest.fixture
def app_config(ledger):
    provider, fake = ledger
    return fake_settings(provider, fake)


@pytest.fixture(autouse=True)
def _qbo_time_kept(qbo):
    # Resetting the QuickBooks fake keeps its clock; later tests get it as it was.
    offset = qbo.store.clock.offset
    yield
    qbo.store.clock.offset = offset


def _copy_rows(table: sa.Table, row, count: int, **per_row) -> list[dict]:
    """``count`` copies of ``row``'s columns but its id; ``per_row`` maps a column to a
    function of the copy's index."""
    base = {c.key: getattr(row, c.key) for c in table.columns if c.key != "id"}
    return [{**base, **{key: make(n) for key, make in per_row.items()}} for n in range(count)]


def _seed_here(template: Invoice, numbers: list[str], external_ids: list[str]) -> list[int]:
    """Copies of ``template`` (lines and export too) numbered ``numbers``, exported to its
    ledger under ``external_ids``: bulk inserts. Their ids."""
    count, table = len(numbers), Invoice.__table__
    ids = db.session.scalars(
        table.insert().returning(table.c.id, sort_by_parameter_order=True),
        _copy_rows(table, template, count, number=lambda n: numbers[n]),
    ).all()
    for line in template.lines:
        rows = _copy_rows(InvoiceLine.__table__, line, count, invoice_id=lambda n: ids[n])
        db.session.execute(InvoiceLine.__table__.insert(), rows)
    (export,) = template.exports
    db.session.execute(
        InvoiceExport.__table__.insert(),
        _copy_rows(InvoiceExport.__table__, export, count, invoice_id=lambda n: ids[n],
                   external_id=lambda n: external_ids[n], external_number=lambda n: numbers[n],
                   request_id=lambda n: secrets.token_hex(16)),
    )  # fmt: skip
    db.session.commit()
    return ids


def _seed_quickbooks(fake, template_id: str, numbers: list[str]) -> list[str]:
    """Copies of a stored invoice in the fake's company, last updated a day ago; their ids."""
    with fake.store.lock:
        realm = fake.store.realm(fake.realm_id)
        template = realm.entities["Invoice"][template_id]
        then = datetime.fromtimestamp(fake.store.clock.now() - 86400, UTC).astimezone(PACIFIC)
        stamp = then.isoformat(timespec="milliseconds")
        ids = []
        for number in numbers:
            invoice = copy.deepcopy(template)
            invoice.update(Id=realm.new_id("Invoice"), DocNumber=number, SyncToken="0",
                           MetaData={"CreateTime": stamp, "LastUpdatedTime": stamp})  # fmt: skip
            realm.entities["Invoice"][invoice["Id"]] = invoice
            ids.append(invoice["Id"])
    return ids


def _seed_xero(fake, template_id: str, numbers: list[str]) -> list[str]:
    """Copies of a stored invoice in the fake's organisation, updated a day ago; their ids."""
    with fake.state.lock:
        stored = fake.state.tenants[DEFAULT_TENANT_ID].invoices
        template = stored[template_id]
        then = fake.state.clock.utcnow() - timedelta(days=1)
        ids = []
        for number in numbers:
            invoice = copy.deepcopy(template)
            invoice.update(InvoiceID=new_id(), InvoiceNumber=number,
                           CreatedDateUTC=then, UpdatedDateUTC=then)  # fmt: skip
            for line in invoice["LineItems"]:
                line["LineItemID"] = new_id()
            stored[invoice["InvoiceID"]] = invoice
            ids.append(invoice["InvoiceID"])
    return ids


def _seed(provider: Provider, fake, template: Invoice) -> dict[int, str]:
    """The other invoices, on both sides: ``{our id: the ledger's id}``."""
    count = EXPORTED - REAL
    number = int(template.number.split("-")[1]) + REAL
    numbers = [f"INV-{number + n:04d}" for n in range(count)]
    template_id = template.exports[0].external_id
    if provider == Provider.QUICKBOOKS:
        external = _seed_quickbooks(fake, template_id, numbers)
    else:
        external = _seed_xero(fake, template_id, numbers)
    return dict(zip(_seed_here(template, numbers, external), external, strict=True))


def _cursor(provider: Provider, fake) -> str:
    """The fake's time now, as the adapter writes its cursor (QuickBooks: its offset kept)."""
    if provider == Provider.QUICKBOOKS:
        return datetime.fromisoformat(fake.store.clock.stamp()).isoformat(timespec="seconds")
    return fake.state.clock.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


def _log(provider: Provider, fake) -> list[dict]:
    """Every request the fake has logged, OAuth and token refreshes included."""
    if provider == Provider.QUICKBOOKS:
        with fake.store.lock:
            return list(fake.store.log)
    with fake.state.lock:
        return list(fake.state.requests)


def _sync(provider: Provider, fake, count_queries) -> tuple[list[str], list[str], int]:
    """Run a sync: what it reported, the API requests it made, the SQL statements it ran."""
    logged, sent = len(_log(provider, fake)), len(api_requests(provider, fake))
    with count_queries() as statements:
        report = sync_ledger(provider)
    assert not report.error, report.error
    new = _log(provider, fake)[logged:]
    made = api_requests(provider, fake)[sent:]
    assert len(new) == len(made) and {e["status"] for e in new} == {200}, new  # no refresh
    return report.changes, made, len(statements)


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_three_changes_among_ten_thousand_exported_invoices_cost_a_few_requests(
    admin_client, ledger, count_queries
):
    """Paid, partly paid and voided there: one CDC request (QuickBooks) or one page each of
    invoices, payments and credit notes (Xero), and a bounded number of SQL statements."""
    provider, fake = ledger
    real = _exported(admin_client, provider, fake, REAL)
    seeded = _seed(provider, fake, real[0])
    assert _count(InvoiceExport, InvoiceExport.state == ExportState.EXPORTED) == EXPORTED
    assert _count(Invoice, Invoice.status == InvoiceStatus.EXPORTED) == EXPORTED
    if provider == Provider.QUICKBOOKS:
        assert len(fake.entities("Invoice")) == EXPORTED
    else:
        assert len(fake.state.tenants[DEFAULT_TENANT_ID].invoices) == EXPORTED

    fake.advance(QUIET)  # the exports are well before the cursor, the changes after it
    connection = db.session.scalar(sa.select(AccountingConnection))
    connection.sync_cursor = _cursor(provider, fake)
    db.session.commit()
    fake.advance(QUIET)
    ours = list(seeded)
    full, part, voided = ours[1000], ours[5000], ours[-1]
    fake.apply_payment(seeded[full], "288.24")
    fake.apply_payment(seeded[part], "100.00")
    if provider == Provider.QUICKBOOKS:
        fake.void_in_ledger("Invoice", seeded[voided])
    else:
        fake.void_invoice(seeded[voided])

    events = _count(InvoiceEvent)
    changes, made, statements = _sync(provider, fake, count_queries)
    assert len(changes) == 3, changes
    assert made == READS[provider](fake)
    # Measured: 59 on SQLite, about 20 per payment recorded here, 2 for the void, the rest
    # fixed. Nothing in it is per exported invoice.
    assert statements < MOST_STATEMENTS, statements

    db.session.expire_all()
    paid, partly = db.session.get(Invoice, full), db.session.get(Invoice, part)
    assert paid.status == InvoiceStatus.PAID and paid.balance_minor == 0
    assert partly.is_partly_paid and partly.balance_minor == 18824
    flagged = db.session.scalars(sa.select(InvoiceExport).where(InvoiceExport.ledger_flag != ""))
    assert [(e.invoice_id, e.ledger_flag) for e in flagged] == [(voided, "voided")]
    assert db.session.get(Invoice, voided).status == InvoiceStatus.EXPORTED
    assert _count(Payment) == 2 and _count(LedgerRecord) == 2
    assert {p.recorded_in for p in db.session.scalars(sa.select(Payment))} == {provider.value}
    assert _count(Invoice, Invoice.status == InvoiceStatus.EXPORTED) == EXPORTED - 1
    assert _count(Invoice, Invoice.paid_minor != 0) == 2
    trail = db.session.execute(
        sa.select(InvoiceEvent.invoice_id, InvoiceEvent.kind).order_by(InvoiceEvent.id)
    ).all()[events:]
    assert sorted(trail) == sorted([
        (full, "payment"), (full, "status"), (full, "ledger_payment"),
        (part, "payment"), (part, "ledger_payment"), (voided, "ledger_flagged"),
    ])  # fmt: skip

    fake.advance(QUIET)  # past the cursor's overlap: nothing new there
    before = (_count(Payment), _count(InvoiceEvent), _count(LedgerRecord))
    changes, made, statements = _sync(provider, fake, count_queries)
    assert changes == [] and made == READS[provider](fake)
    assert statements < QUIET_STATEMENTS, statements
    assert (_count(Payment), _count(InvoiceEvent), _count(LedgerRecord)) == before
