"""Fixtures shared by every layer of the suite.

The suite runs against SQLite, and also against PostgreSQL when ``TEST_DATABASE_URL`` points at
a server (a fresh database is created for the run and dropped afterwards): every test that uses
the ``app`` fixture runs once per backend. With ``MSP_TEST_STRICT=1`` (CI), a missing PostgreSQL
or browser is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import jinja2
import jinja2.bccache
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from models import Role, User, db
from tests.factories import TEST_PASSWORD, make_user  # noqa: F401 (tests import both from here)
from tests.scratch_db import scratch_database
from tests.url_builders import install as share_url_builders

share_url_builders()

STRICT = os.environ.get("MSP_TEST_STRICT") == "1"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def pytest_sessionstart(session: pytest.Session) -> None:
    if STRICT and not PG_URL:
        raise pytest.UsageError("MSP_TEST_STRICT=1 needs TEST_DATABASE_URL (the PostgreSQL leg).")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this run, dropped at the end."""
    with scratch_database(PG_URL, "run") as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """A database with the schema built, once per backend for the session."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        scratch = None
    else:
        scratch = _memory_dir() or tmp_path_factory.mktemp("db")
        url = f"sqlite:///{scratch / 'test.db'}"
    schema_app = create_app(_test_config(url))
    with schema_app.app_context():
        db.create_all()
        db.engine.dispose()
    yield url
    if scratch is not None and scratch.parent == SHM:
        shutil.rmtree(scratch, ignore_errors=True)


SHM = Path("/dev/shm")


def _memory_dir() -> Path | None:
    """A fresh directory in memory (tmpfs) for the SQLite test database, where the machine has
    one: on a disk each commit's fsync costs milliseconds, and the suite commits tens of
    thousands of times. The database is thrown away after the run; durability buys nothing."""
    if SHM.is_dir() and os.access(SHM, os.W_OK):
        return Path(tempfile.mkdtemp(prefix="msp-test-", dir=SHM))
    return None


def _test_config(url: str) -> dict:
    engine_options: dict = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        # The run's database is dropped at the end: waiting for each commit's WAL flush buys
        # nothing (the server still checks every constraint and lock as in production).
        engine_options["connect_args"] = {"options": "-c synchronous_commit=off"}
    return {
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_SERVER": "",
    }


@pytest.fixture
def app_config() -> dict:
    """Per-test overrides for the app's config (override this fixture, or update the dict)."""
    return {}


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as in production: a fresh ``g`` and DB session.

    The test's own context (pushed by the ``app`` fixture) would otherwise be reused by every
    request, leaking ``g`` (the logged-in user, cached settings) from one request to the next.
    After the request, the test's session is expired so it reads what the request committed.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates shared by every app the suite creates (compiling is most of its time)."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = MemoryBytecodeCache()


@pytest.fixture
def app(database_url: str, app_config: dict) -> Iterator[Flask]:
    """The app on a clean database; every row is deleted after the test."""
    application = create_app({**_test_config(database_url), **app_config})
    application.test_client_class = IsolatedClient
    application.jinja_env.bytecode_cache = TEMPLATE_CACHE
    with application.app_context():
        yield application
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


def log_in(client: FlaskClient, user: User) -> FlaskClient:
    """Log ``client`` in as ``user`` through the session; the login form has its own tests."""
    session_id = user.get_id()
    db.session.commit()  # the user's session token, if it had none yet
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


@pytest.fixture
def admin(app: Flask) -> User:
    return make_user(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def technician(app: Flask) -> User:
    return make_user(Role.TECHNICIAN, name="Tom Tech")


@pytest.fixture
def admin_client(client: FlaskClient, admin: User) -> FlaskClient:
    return log_in(client, admin)


@pytest.fixture
def tech_client(client: FlaskClient, technician: User) -> FlaskClient:
    return log_in(client, technician)


@pytest.fixture
def billing_tech_client(client: FlaskClient, technician: User) -> FlaskClient:
    """A technician whom an admin allowed to see billing (read-only: invoices, PDFs)."""
    technician.can_see_billing = True
    db.session.commit()
    return log_in(client, technician)


class QueryLog(list):
    """The SQL statements run inside a ``count_queries()`` block."""


@pytest.fixture
def count_queries(app: Flask):
    """``with count_queries() as log: ...`` then ``len(log)``: statements sent to the database."""
    from contextlib import contextmanager

    @contextmanager
    def _count():
        log = QueryLog()

        def record(conn, cursor, statement, parameters, context, executemany):
            log.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield log
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)

    return _count


def _on(nodeid: str, backend: str) -> bool:
    return f"[{backend}]" in nodeid or f"[{backend}-" in nodeid


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say how many tests ran on each leg, so a missing leg is visible in CI's output."""
    passed = terminalreporter.stats.get("passed", [])
    legs = {
        "sqlite": sum(_on(r.nodeid, "sqlite") for r in passed),
        "postgresql": sum(_on(r.nodeid, "postgresql") for r in passed),
        "browser (chromium)": sum(r.nodeid.startswith("tests/browser/") for r in passed),
    }
    terminalreporter.write_sep("-", "legs passed")
    for leg, count in legs.items():
        terminalreporter.write_line(f"{leg}: {count}")


@pytest.fixture(scope="session")
def qbo():
    """The QuickBooks Online fake on a loopback port, for the whole run (tests reset it)."""
    from tests.fakes.quickbooks import FakeQuickBooks

    with FakeQuickBooks() as fake:
        yield fake


@pytest.fixture(scope="session")
def xero():
    """The Xero fake on a loopback port, for the whole run (tests reset it)."""
    from tests.fakes.xero import FakeXero

    with FakeXero() as fake:
        yield fake


@pytest.fixture(params=["quickbooks", "xero"])
def ledger(request, qbo, xero):
    """``(provider, fake)`` for each ledger, the fake reset (QuickBooks: a US company)."""
    from models import Provider
    from tests.ledgers import prepare_fake

    provider = Provider(request.param)
    fake = qbo if provider == Provider.QUICKBOOKS else xero
    prepare_fake(provider, fake)
    return provider, fake


@pytest.fixture
def ledgers_agree(app, qbo, xero):
    """After the test: every export recorded is in its fake at the total we recorded, equal
    to ours unless recorded as a difference (see ``tests.ledgers.assert_ledgers_agree``)."""
    yield
    from models import Provider
    from tests.ledgers import assert_ledgers_agree

    assert_ledgers_agree({Provider.QUICKBOOKS: qbo, Provider.XERO: xero})


@pytest.fixture
def smtp_server() -> Iterator:
    """A real SMTP server on loopback for the test: its ``Mailbox`` (see ``tests.smtp``)."""
    from tests.smtp import running_smtp_server

    with running_smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def instance(app: Flask, tmp_path) -> Path:
    """The app's instance folder, in tmp: the outbox must never land in the repository."""
    app.instance_path = str(tmp_path / "instance")
    return Path(app.instance_path)
