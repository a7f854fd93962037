"""Bulk PDF, send and export of more invoices than one chunk: a job done a chunk per request,
with a progress bar, resumable from its page (issue #13, item 15).

The tests use chunks of 10 and 25 invoices (PDFs take ~0.1 s each); production uses 20 (60 for
exports) and a time bound per request.
"""

import io
import os
import re
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from billing.invoices.pdf import render_invoice_pdf
from clock import utcnow
from models import BulkJob, ExportState, Invoice, InvoiceExport, InvoiceStatus, Provider, Role, db
from tests.conftest import log_in, make_user
from tests.factories import make_customer, make_invoice
from tests.ledgers import connect, fake_settings, ledger_invoices, make_invoices
from tests.smtp import running_smtp_server

CHUNK = {"BULK_CHUNK_SIZE": 10, "BULK_EXPORT_CHUNK_SIZE": 10, "BULK_CHUNK_SECONDS": 60}
HTMX = {"HX-Request": "true"}


@pytest.fixture
def app_config(request):
    """Small chunks; the mail server or the ledger fake when the test uses one."""
    config = dict(CHUNK)
    if "smtp_server" in request.fixturenames:
        config.update(
            MAIL_SERVER="127.0.0.1", MAIL_PORT=request.getfixturevalue("smtp_server").port
        )
    if "ledger" in request.fixturenames:
        config.update(fake_settings(*request.getfixturevalue("ledger")))
    return config


@pytest.fixture(autouse=True)
def instance(app, tmp_path) -> Path:
    """The app's instance folder, in tmp: job files must never land in the repository."""
    app.instance_path = str(tmp_path / "instance")
    return Path(app.instance_path)


def invoices(count: int) -> list[Invoice]:
    customers = [make_customer(name=f"Client {n}", billing_emails=f"ap{n}@example.com")
                 for n in range(3)]  # fmt: skip
    return [
        make_invoice(c, number=f"INV-{n + 1:04d}", bill_to_emails=c.billing_emails)
        for n, c in ((n, customers[n % 3]) for n in range(count))
    ]


def ids_of(items: list[Invoice]) -> list[str]:
    return [str(invoice.id) for invoice in items]


def start(client, action: str, items: list[Invoice], **form) -> str:
    """Post the bulk action; returns the job page's path it redirects to."""
    response = client.post(f"/invoices/bulk/{action}", data={"ids": ids_of(items), **form})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert re.fullmatch(r"/invoices/bulk/jobs/[0-9a-f]{32}", response.location)
    return response.location


def progress(page: str) -> tuple[int, int]:
    """``(value, max)`` of the page's progress bar, checked against its words."""
    bar = re.search(r'<progress id="bulk-progress" max="(\d+)" value="(\d+)">', page)
    total, done = int(bar.group(1)), int(bar.group(2))
    assert f'<span id="bulk-count">{done} of {total} invoices</span>' in page
    return done, total


def next_chunk(client, job_url: str) -> str:
    """The next chunk as htmx asks for it: the progress fragment."""
    response = client.post(f"{job_url}/next", headers=HTMX)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith('<section id="bulk-job"')  # a fragment, not a page
    return page


def run_to_end(client, job_url: str) -> str:
    for _ in range(50):
        page = next_chunk(client, job_url)
        if "hx-post" not in page:
            return page
    raise AssertionError("the job never finished")


def test_pdfs_of_25_invoices_in_chunks_of_10_end_in_one_zip(admin_client, instance):
    items = invoices(25)
    job_url = start(admin_client, "pdf", items)
    page = admin_client.get(job_url).get_data(as_text=True)
    assert progress(page) == (0, 25) and "PDFs of 25 invoices" in page
    # htmx asks for the next chunk as soon as the form is shown; without it, a button does
    assert f'hx-post="{job_url}/next"' in page and 'hx-trigger="load"' in page
    assert f'<form method="post" action="{job_url}/next"' in page
    assert '<button type="submit">Continue</button>' in page
    assert progress(next_chunk(admin_client, job_url)) == (10, 25)
    # without JavaScript: the Continue button posts, and the job's page comes back
    response = admin_client.post(f"{job_url}/next")
    assert response.status_code == 303 and response.location == job_url
    assert progress(admin_client.get(job_url).get_data(as_text=True)) == (20, 25)
    page = next_chunk(admin_client, job_url)
    assert progress(page) == (25, 25) and "25 PDFs ready." in page and "hx-post" not in page
    assert f'href="{job_url}/invoices.zip"' in page
    response = admin_client.get(f"{job_url}/invoices.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == 'attachment; filename="invoices.zip"'
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.namelist() == [f"INV-{n:04d}.pdf" for n in range(1, 26)]
        for invoice in items[:3] + items[-2:]:
            assert archive.read(f"{invoice.number}.pdf") == render_invoice_pdf(invoice)
        assert all(archive.read(name).startswith(b"%PDF") for name in archive.namelist())
    (folder,) = (instance / "bulk_jobs").iterdir()
    assert len(list(folder.glob("*.pdf"))) == 25  # kept on disk, not in the database


def test_one_chunk_or_less_is_still_one_request(admin_client):
    items = invoices(10)
    response = admin_client.post("/invoices/bulk/pdf", data={"ids": ids_of(items)})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert len(archive.namelist()) == 10
    assert db.session.scalar(sa.select(sa.func.count(BulkJob.id))) == 0


def test_invoices_deleted_since_the_job_began_are_reported(admin_client):
    items = invoices(12)
    job_url = start(admin_client, "pdf", items)
    gone = [items[3].id, items[11].id]
    for invoice_id in gone:
        db.session.delete(db.session.get(Invoice, invoice_id))
    db.session.commit()
    page = run_to_end(admin_client, job_url)
    assert "10 PDFs ready." in page and "2 could not be made." in page
    for invoice_id in gone:
        assert f"Invoice #{invoice_id} no longer exists" in page
        assert f'<tr id="bulk-{invoice_id}" data-ok="false">' in page
    with zipfile.ZipFile(io.BytesIO(admin_client.get(f"{job_url}/invoices.zip").data)) as zipped:
        assert len(zipped.namelist()) == 10
        assert "INV-0004.pdf" not in zipped.namelist()


@pytest.fixture
def smtp_server():
    with running_smtp_server() as mailbox:
        yield mailbox


def test_sending_25_invoices_in_chunks_sends_each_once(admin_client, smtp_server):
    items = invoices(25)
    smtp_server.refuse = {"ap2@example.com"}  # the third customer's invoices fail
    job_url = start(admin_client, "send", items)
    page = next_chunk(admin_client, job_url)
    assert progress(page) == (10, 25) and len(smtp_server.received) == 7  # 3 of 10 refused
    page = run_to_end(admin_client, job_url)
    assert progress(page) == (25, 25)
    refused = [i for n, i in enumerate(items) if n % 3 == 2]  # 8 invoices
    assert "Sent 17 of 25 invoices" in page and "8 could not be sent; they are unchanged." in page
    for invoice in items:
        ok = "false" if invoice in refused else "true"
        assert f'<tr id="bulk-{invoice.id}" data-ok="{ok}">' in page
    # a finished job does nothing more, however often it is asked
    admin_client.post(f"{job_url}/next", headers=HTMX)
    admin_client.post(f"{job_url}/next")
    assert len(smtp_server.received) == 17
    assert sorted(rcpt[0] for _, rcpt, _ in smtp_server.received) == sorted(
        f"ap{n % 3}@example.com" for n in range(25) if n % 3 != 2
    )
    db.session.expire_all()
    statuses = {i.number: db.session.get(Invoice, i.id).status for i in items}
    assert [n for n, s in statuses.items() if s == InvoiceStatus.SENT] == [
        i.number for i in items if i not in refused
    ]


def test_a_chunk_already_under_way_is_not_done_twice(admin_client):
    items = invoices(15)
    job_url = start(admin_client, "pdf", items)
    job = db.session.get(BulkJob, job_url.rsplit("/", 1)[1])
    job.running_until = utcnow() + timedelta(seconds=60)  # another request works on it
    db.session.commit()
    page = next_chunk(admin_client, job_url)
    assert progress(page) == (0, 15) and 'hx-trigger="load delay:1s"' in page
    assert "Another window is working on this job" in page
    job = db.session.get(BulkJob, job.id)
    job.running_until = utcnow() - timedelta(seconds=1)  # that worker died: the claim lapses
    db.session.commit()
    assert progress(next_chunk(admin_client, job_url)) == (10, 15)


@pytest.mark.usefixtures("ledgers_agree")
def test_exporting_25_invoices_in_chunks_exports_each_once(admin_client, ledger):
    provider, fake = ledger
    items = make_invoices(25)
    connect(provider, fake)
    job_url = start(admin_client, "export", items, to=provider.value, next="/billing?status=draft")
    page = next_chunk(admin_client, job_url)
    assert progress(page) == (10, 25)
    page = run_to_end(admin_client, job_url)
    assert progress(page) == (25, 25)
    assert f"25 invoices exported to {provider.label}." in page
    assert '<a href="/billing?status=draft">Back to Billing</a>' in page
    copies = ledger_invoices(provider, fake)
    number = "DocNumber" if provider == Provider.QUICKBOOKS else "InvoiceNumber"
    assert sorted(copy[number] for copy in copies) == [f"INV-{n:04d}" for n in range(1, 26)]
    exports = db.session.scalars(sa.select(InvoiceExport)).all()
    assert len(exports) == 25 and {e.state for e in exports} == {ExportState.EXPORTED}


def test_an_export_the_ledger_cannot_take_stops_with_the_reason(admin_client):
    items = invoices(12)
    job_url = start(admin_client, "export", items, to="xero")
    page = run_to_end(admin_client, job_url)
    assert "Connect Xero in Admin &gt; Accounting first. (12 not exported)." in page
    db.session.expire_all()
    assert {db.session.get(Invoice, i.id).status for i in items} == {InvoiceStatus.DRAFT}


def test_a_job_is_its_starters_alone(app, admin_client, admin):
    items = invoices(12)
    job_url = start(admin_client, "pdf", items)
    run_to_end(admin_client, job_url)
    other = log_in(app.test_client(), make_user(Role.ADMIN, name="Other Admin"))
    for method, url in [("GET", job_url), ("POST", f"{job_url}/next"),
                        ("GET", f"{job_url}/invoices.zip")]:  # fmt: skip
        response = other.open(url, method=method)
        assert response.status_code == 403, url
        assert "begun by another user" in response.get_data(as_text=True)
    assert other.get(f"/invoices/bulk/jobs/{'0' * 32}").status_code == 404
    assert other.get("/invoices/bulk/jobs/not-a-job").status_code == 404


def test_jobs_older_than_a_day_go_when_a_new_one_starts(admin_client, instance):
    items = invoices(12)
    old_url = start(admin_client, "pdf", items)
    next_chunk(admin_client, old_url)
    old_id = old_url.rsplit("/", 1)[1]
    db.session.get(BulkJob, old_id).created_at = utcnow() - timedelta(days=1, minutes=1)
    db.session.commit()
    orphan = instance / "bulk_jobs" / ("f" * 32)  # files of a job whose row is gone
    orphan.mkdir()
    (orphan / "1.pdf").write_bytes(b"%PDF")
    stale = time.time() - 2 * 86400
    os.utime(orphan, (stale, stale))
    new_url = start(admin_client, "pdf", items)
    assert admin_client.get(old_url).status_code == 404
    folders = {p.name for p in (instance / "bulk_jobs").iterdir()}
    assert old_id not in folders and orphan.name not in folders
    assert db.session.get(BulkJob, old_id) is None
    assert admin_client.get(new_url).status_code == 200
