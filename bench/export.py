"""Exporting 200 invoices to each fake ledger: requests made against the minimum, and seconds.

The fakes of ``tests/fakes`` run in process on loopback, as in ``tests/db/test_export.py``;
each run starts from an empty ledger (every customer must be created) and is rolled back after,
so each run exports the same invoices the same way.

The minimum is what the providers' batch forms allow: QuickBooks, one customer query per 100
names (a query answers 100 rows unless told otherwise), one invoice look-up by number per 100,
the new customers and then the invoices 30 per batch request; Xero, one contact query, one
request creating up to 50 new contacts, and per 50 invoices one look-up by number and one
request carrying them (Xero recommends at most 50 elements a request). The target is the
invoices' look-ups and requests plus the customers that had to be created.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from bench.harness import Stats, bench_app

INVOICES = 200
RUNS = 3
QBO_BATCH = 30
QBO_NAMES_PER_QUERY = 100
XERO_PER_REQUEST = 50


@dataclass(frozen=True)
class ExportFigures:
    """One ledger's export of the invoices."""

    seconds: Stats
    requests: int
    by_endpoint: dict[str, int]
    minimum: int
    customers_created: int
    exported: int
    failures: list[str]

    target: int


def _minimum(provider, invoices: int, customers: int) -> int:
    """Look-ups, creations and invoices, each in the provider's batch form."""
    from models import Provider

    if provider == Provider.QUICKBOOKS:
        return (
            math.ceil(customers / QBO_NAMES_PER_QUERY)
            + math.ceil(invoices / QBO_NAMES_PER_QUERY)
            + math.ceil(customers / QBO_BATCH)
            + math.ceil(invoices / QBO_BATCH)
        )
    return 1 + math.ceil(customers / XERO_PER_REQUEST) + 2 * math.ceil(invoices / XERO_PER_REQUEST)


def _target(provider, invoices: int, customers: int) -> int:
    """The issue's bound: the invoices' minimum plus the customers that had to be created."""
    from models import Provider

    # Every export first looks its invoices up by number (100 a QuickBooks query, 50 a Xero
    # request), then sends them (30 a QuickBooks batch, 50 a Xero request).
    if provider == Provider.QUICKBOOKS:
        return math.ceil(invoices / QBO_BATCH) + math.ceil(invoices / 100) + customers
    return 2 * math.ceil(invoices / XERO_PER_REQUEST) + customers


def _connect(provider, fake):
    """An accounting connection to ``fake`` whose mapping covers every tax rate."""
    from clock import utcnow
    from models import AccountingConnection, LedgerMapping, Provider, TaxRate, db
    from tests.fakes.xero_seed import DEFAULT_TENANT_ID

    if provider == Provider.QUICKBOOKS:
        tenant, item, tax, untaxed = fake.realm_id, "1", "3", "6"  # a UK (global) company
    else:
        tenant, item, tax, untaxed = DEFAULT_TENANT_ID, "200", "OUTPUT2", "NONE"
    stale = db.session.scalar(
        sa.select(AccountingConnection).where(AccountingConnection.provider == provider)
    )
    if stale is not None:
        db.session.execute(sa.delete(LedgerMapping).where(LedgerMapping.connection_id == stale.id))
        db.session.delete(stale)
        db.session.flush()
    connection = AccountingConnection(
        provider=provider,
        tenant_id=tenant,
        company_name="Fake",
        access_token="",
        refresh_token="",
        expires_at=utcnow() + timedelta(hours=1),
        tax_model="global" if provider == Provider.QUICKBOOKS else "",
    )
    db.session.add(connection)
    db.session.flush()
    keys = [("item", "default", item), ("tax", "none", untaxed)]
    keys += [("tax", str(rate_id), tax) for rate_id in db.session.scalars(sa.select(TaxRate.id))]
    for kind, key, value in keys:
        db.session.add(
            LedgerMapping(connection_id=connection.id, kind=kind, local_key=key, external_id=value)
        )
    db.session.commit()
    return connection


def _fresh_ledger(provider, fake, connection, currencies: set[str]) -> None:
    """Empty the fake, open it to the invoices' currencies, give the connection a token."""
    from models import Provider, db
    from tests.fakes.xero_seed import DEFAULT_TENANT_ID

    fake.reset()
    if provider == Provider.QUICKBOOKS:
        fake.configure(tax_model="global", multicurrency=True)
        token = fake.tokens()
    else:
        with fake.state.lock:
            held = fake.state.tenants[DEFAULT_TENANT_ID].currencies
            known = {c["Code"] for c in held}
            held.extend({"Code": c, "Description": c} for c in sorted(currencies - known))
        token = fake.issue_token()
    connection.access_token, connection.refresh_token = (
        token["access_token"],
        token["refresh_token"],
    )
    db.session.commit()


def _requests(provider, fake) -> list[dict]:
    from models import Provider

    if provider == Provider.QUICKBOOKS:
        with fake.store.lock:
            return list(fake.store.log)
    with fake.state.lock:
        return list(fake.state.requests)


def _one_export(provider, fake, connection, ids: list[int]):
    from billing.ledgers.export import export_invoices
    from models import Invoice, db

    currencies = set(db.session.scalars(sa.select(Invoice.currency).where(Invoice.id.in_(ids))))
    _fresh_ledger(provider, fake, connection, currencies)
    invoices = list(
        db.session.scalars(
            sa.select(Invoice)
            .where(Invoice.id.in_(ids))
            .options(selectinload(Invoice.lines), selectinload(Invoice.exports))
            .order_by(Invoice.id)
        )
    )
    started = time.perf_counter()
    outcomes = export_invoices(invoices, provider, None)
    db.session.flush()
    seconds = time.perf_counter() - started
    log = _requests(provider, fake)
    db.session.rollback()
    return seconds, log, outcomes


def export_figures(url: str) -> dict[str, ExportFigures]:
    """Export the newest 200 invoices to each fake ledger, ``RUNS`` times after a warm-up."""
    from models import Invoice, Provider, db
    from tests.fakes.quickbooks import FakeQuickBooks
    from tests.fakes.xero import FakeXero

    results = {}
    for provider, make_fake in ((Provider.QUICKBOOKS, FakeQuickBooks), (Provider.XERO, FakeXero)):
        with make_fake() as fake:
            settings = fake.settings() if provider == Provider.QUICKBOOKS else fake.env()
            app = bench_app(url, **settings)
            with app.app_context():
                ids = list(
                    db.session.scalars(
                        sa.select(Invoice.id).order_by(Invoice.id.desc()).limit(INVOICES)
                    )
                )
                customers = db.session.scalar(
                    sa.select(sa.func.count(sa.distinct(Invoice.customer_id))).where(
                        Invoice.id.in_(ids)
                    )
                )
                connection = _connect(provider, fake)
                _one_export(provider, fake, connection, ids)  # warm-up
                runs = [_one_export(provider, fake, connection, ids) for _ in range(RUNS)]
                db.engine.dispose()
        _, log, outcomes = runs[-1]
        by_endpoint: dict[str, int] = {}
        for entry in log:
            by_endpoint[entry["endpoint"]] = by_endpoint.get(entry["endpoint"], 0) + 1
        results[provider.value] = ExportFigures(
            seconds=Stats.of([r[0] for r in runs]),
            requests=len(log),
            by_endpoint=by_endpoint,
            minimum=_minimum(provider, len(ids), customers),
            target=_target(provider, len(ids), customers),
            customers_created=customers,
            exported=sum(o.ok for o in outcomes),
            failures=[o.message for o in outcomes if not o.ok][:3],
        )
    return results
