"""The settings and the Billing page's filter choices kept per worker (``billing.process_cache``):
a change made anywhere, by this worker or another process, is seen on the next request."""

import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from billing.process_cache import settings_view
from billing.settings import get_settings
from models import CacheVersion, Customer, InvoiceBatch, Settings, db
from tests.factories import make_customer
from tests.http.test_admin_settings import valid_form
from tests.http.test_customers import customer_form

ROOT = Path(__file__).resolve().parents[2]

# Another worker: its own process, app, engine and memory, over the same database. It answers
# each request written on its stdin (JSON [method, path, form]) with a JSON line: the status, the
# page, and the SQL statements the request ran.
WORKER = textwrap.dedent(
    """
    import json, sys
    import sqlalchemy as sa
    from app import create_app
    from models import db
    from tests.conftest import _test_config

    app = create_app(_test_config(sys.argv[1]))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = sys.argv[2]
        session["_fresh"] = True
    statements = []
    with app.app_context():
        sa.event.listen(
            db.engine, "before_cursor_execute", lambda *args: statements.append(args[2])
        )
    print("ready", flush=True)
    for line in sys.stdin:
        method, path, form = json.loads(line)
        statements.clear()
        response = client.open(path, method=method, data=form)
        answer = {
            "status": response.status_code,
            "html": response.get_data(as_text=True),
            "statements": statements,
        }
        print(json.dumps(answer), flush=True)
    """
)


class Worker:
    """A second app in a separate OS process (see :data:`WORKER`)."""

    def __init__(self, url: str, session_id: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, url, session_id],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def request(self, method: str, path: str, form: dict | None = None) -> dict:
        """Send one request; its answer."""
        self.process.stdin.write(json.dumps([method, path, form or {}]) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        """End the process."""
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture
def worker(app, admin):
    """Another worker process logged in as the admin, over the test's database."""
    session_id = admin.get_id()
    db.session.commit()  # the admin's session token
    other = Worker(app.config["SQLALCHEMY_DATABASE_URI"], session_id)
    yield other
    other.close()


def _brand(html: str) -> str:
    start = html.index('class="brand"')
    return html[html.index(">", start) + 1 : html.index("</a>", start)]


def _reads(statements: list[str], table: str) -> bool:
    return any(f"FROM {table}" in " ".join(s.split()) for s in statements)


def _name_company(name: str) -> None:
    get_settings().company_name = name
    db.session.commit()


def test_a_settings_change_in_one_process_is_seen_by_another_at_once(admin_client, worker):
    _name_company("Old Name Ltd")
    assert worker.request("GET", "/billing")["status"] == 200
    warm = worker.request("GET", "/billing")
    # The other worker answers from its memory: no settings row read, the version checked.
    assert _brand(warm["html"]) == "Old Name Ltd"
    assert not _reads(warm["statements"], "settings")
    assert _reads(warm["statements"], "cache_versions")
    assert _brand(admin_client.get("/billing").get_data(as_text=True)) == "Old Name Ltd"

    # This process saves the settings through the admin page; the other sees it at once.
    saved = admin_client.post("/admin/settings", data=valid_form(company_name="New Name GmbH"))
    assert saved.status_code == 302
    seen = worker.request("GET", "/billing")
    assert _brand(seen["html"]) == "New Name GmbH"
    assert _reads(seen["statements"], "settings")

    # And the other way round: the other process saves, this one (its memory warm) sees it.
    admin_client.get("/billing")
    answer = worker.request("POST", "/admin/settings", valid_form(company_name="Third Name SA"))
    assert answer["status"] == 302
    assert _brand(admin_client.get("/billing").get_data(as_text=True)) == "Third Name SA"
    db.session.expire_all()
    assert get_settings().company_name == "Third Name SA"


def test_a_customer_added_elsewhere_shows_in_the_filter_choices(admin_client, worker):
    _name_company("Some Co")
    make_customer(name="Early Customer")
    assert "Early Customer" in worker.request("GET", "/billing")["html"]
    warm = worker.request("GET", "/billing")
    assert not _reads(warm["statements"], "customers ORDER BY")
    admin_client.get("/billing")

    make_customer(name="Late Customer")  # committed by this process
    assert "Late Customer" in worker.request("GET", "/billing")["html"]
    page = admin_client.get("/billing").get_data(as_text=True)
    assert "Late Customer" in page and "Early Customer" in page


def test_a_customer_added_shows_in_the_billing_filter_on_the_next_request(admin_client):
    make_customer(name="Acme Corp")
    assert "Acme Corp" in admin_client.get("/billing").get_data(as_text=True)
    created = admin_client.post("/customers/new", data=customer_form(name="Brand New Customer"))
    assert created.status_code == 302
    assert db.session.scalar(sa.select(Customer.id).where(Customer.name == "Brand New Customer"))
    page = admin_client.get("/billing").get_data(as_text=True)
    assert "Brand New Customer</option>" in page


def test_a_batch_deleted_by_statement_leaves_the_filter_choices(admin_client):
    batch = InvoiceBatch(
        name="Gone Soon", period_start=date(2026, 10, 1), period_end=date(2026, 10, 31)
    )
    db.session.add(batch)
    db.session.commit()
    assert "Gone Soon</option>" in admin_client.get("/billing").get_data(as_text=True)
    # A DELETE statement, not a flushed object: it raises the version too.
    db.session.execute(sa.delete(InvoiceBatch).where(InvoiceBatch.id == batch.id))
    db.session.commit()
    assert "Gone Soon</option>" not in admin_client.get("/billing").get_data(as_text=True)


def test_a_settings_change_through_the_admin_page_shows_at_once(admin_client):
    _name_company("Before Inc")
    assert _brand(admin_client.get("/billing").get_data(as_text=True)) == "Before Inc"
    response = admin_client.post("/admin/settings", data=valid_form(company_name="After Inc"))
    assert response.status_code == 302
    assert _brand(admin_client.get("/billing").get_data(as_text=True)) == "After Inc"
    assert _brand(admin_client.get("/admin/settings").get_data(as_text=True)) == "After Inc"


def test_the_billing_page_reads_fewer_statements_once_warm(admin_client, count_queries):
    _name_company("Some Co")
    make_customer(name="Some Customer")
    with count_queries() as cold:
        admin_client.get("/billing")
    with count_queries() as warm:
        admin_client.get("/billing")
    # Cold: the version, the settings row, the customers, the batches, the ledgers, the user and
    # the page. Warm: the version and the page.
    assert len(warm) <= len(cold) - 5
    for table in ("settings", "accounting_connections", "invoice_batches ORDER BY", "users"):
        assert not _reads(warm, table)
    assert [s for s in warm if "cache_versions" in s]


def test_numbering_an_invoice_keeps_the_memory(app):
    _name_company("Kept Co")
    with app.test_request_context():
        first = settings_view()
    version = db.session.scalar(sa.select(CacheVersion.version))
    get_settings().next_invoice_number += 5
    db.session.commit()
    assert db.session.scalar(sa.select(CacheVersion.version)) == version
    with app.test_request_context():
        assert settings_view() is first


def test_the_own_uncommitted_change_is_read_and_a_rollback_forgets_it(app):
    _name_company("Committed Co")
    with app.test_request_context():
        assert settings_view().company_name == "Committed Co"
        settings = db.session.get(Settings, 1)
        settings.company_name = "Pending Co"
        assert settings_view().company_name == "Pending Co"
        db.session.flush()
        assert settings_view().company_name == "Pending Co"
        db.session.rollback()
        assert settings_view().company_name == "Committed Co"
    with pytest.raises(AttributeError):
        settings_view().company_name = "Changed"
