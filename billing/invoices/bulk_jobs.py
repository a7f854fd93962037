"""Bulk PDF, send and export of many invoices, done a chunk per request.

gunicorn's sync worker is killed after its timeout (30 s by default) even while it streams, and
500 PDFs take longer than that. So a bulk action on more invoices than one chunk becomes a
:class:`models.BulkJob` holding the invoice ids, how many are dealt with and each one's outcome;
each request works one chunk: at most ``chunk`` invoices, and no new one once ``seconds`` have
passed. The job's page asks for the next chunk while it is open; closed, the job waits, and its
page carries on from where it stopped. PDFs are kept under ``<root>/<job id>/`` and zipped when
the zip is asked for. Jobs (rows and files) older than a day go when a new job starts.

Only one request at a time works on a job (``running_until``, taken with a conditional UPDATE),
so a second tab or a double click never sends or exports an invoice twice; the claim lapses after
``CLAIM_SECONDS`` when its worker was killed mid-chunk.
"""

import secrets
import shutil
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from billing.einvoice.outputs import zipped_einvoice
from billing.errors import BillingError, NotYours
from billing.invoices.delivery import send_many, zip_entry
from billing.invoices.pdf import pdf_filename, render_invoice_pdf
from billing.ledgers.export import (
    ExportOutcome,
    export_invoices,
    invoices_for_export,
    outcome_messages,
)
from clock import utcnow
from models import BulkJob, Invoice, Provider, User, db

ACTIONS = ("pdf", "einvoice", "send", "export")
FILE_ACTIONS = ("pdf", "einvoice")  # jobs whose outcome is a zip
ADMIN_ACTIONS = ("send", "export")  # as for the bulk actions themselves
KEEP = timedelta(days=1)
CLAIM_SECONDS = 90  # longer than a web worker may live: a claim lapses only for a dead worker
ZIP_NAME = "invoices.zip"


def start_job(
    root: Path, user: User, action: str, invoice_ids: list[int], options: dict | None = None
) -> BulkJob:
    """A new job of ``user`` over ``invoice_ids`` (committed); expired jobs go first."""
    if action not in ACTIONS:
        raise ValueError(action)
    purge_expired(root)
    job = BulkJob(
        id=secrets.token_hex(16),
        user_id=user.id,
        action=action,
        invoice_ids=list(invoice_ids),
        options=options or {},
        done=0,
        results=[],
        message="",
    )
    db.session.add(job)
    db.session.commit()
    return job


def purge_expired(root: Path) -> None:
    """Delete the jobs begun more than a day ago, with their files, and any folder of a job
    that is gone and was last written more than a day ago (committed)."""
    cutoff = utcnow() - KEEP
    for job in db.session.scalars(sa.select(BulkJob).where(BulkJob.created_at < cutoff)):
        shutil.rmtree(root / job.id, ignore_errors=True)
        db.session.delete(job)
    db.session.commit()
    if root.is_dir():
        for folder in root.iterdir():
            if folder.stat().st_mtime < cutoff.timestamp() and not db.session.get(
                BulkJob, folder.name
            ):
                shutil.rmtree(folder, ignore_errors=True)


def job_for(job_id: str, user: User) -> BulkJob | None:
    """The job ``job_id`` (None when there is none).

    :raise NotYours: another user's job, or a send or export job of a user no longer admin.
    """
    job = db.session.get(BulkJob, job_id)
    if job is None:
        return None
    if job.user_id != user.id:
        raise NotYours("This job was begun by another user: only they can see it or carry it on.")
    if job.action in ADMIN_ACTIONS and not user.is_admin:
        raise NotYours("Only admins send or export invoices.")
    return job


def run_chunk(job: BulkJob, root: Path, *, chunk: int, seconds: float, user: User) -> bool:
    """Work the job's next chunk and record each outcome (committed).

    Returns False, having done nothing, while another request works on the job.
    """
    if job.finished_at is not None:
        return True
    if not _claim(job):
        return False
    try:
        if job.action == "export":
            _export_chunk(job, chunk, user)
        else:
            _item_chunk(job, root, chunk, seconds, user)
    except BaseException:
        db.session.rollback()
        _release(job.id)
        raise
    if job.message or job.done >= len(job.invoice_ids):
        job.finished_at = utcnow()
    job.running_until = None
    db.session.commit()
    return True


def _claim(job: BulkJob) -> bool:
    now = utcnow()
    claimed = db.session.execute(
        sa.update(BulkJob)
        .where(
            BulkJob.id == job.id,
            BulkJob.finished_at.is_(None),
            sa.or_(BulkJob.running_until.is_(None), BulkJob.running_until < now),
        )
        .values(running_until=now + timedelta(seconds=CLAIM_SECONDS))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()  # also re-reads the job: done and results as the last chunk left them
    return bool(claimed)


def _release(job_id: str) -> None:
    db.session.execute(
        sa.update(BulkJob)
        .where(BulkJob.id == job_id)
        .values(running_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _item_chunk(job: BulkJob, root: Path, chunk: int, seconds: float, user: User) -> None:
    """PDFs or sends, one invoice at a time, each outcome committed as soon as it is known."""
    started = time.monotonic()
    folder = root / job.id
    folder.mkdir(parents=True, exist_ok=True)
    for count, invoice_id in enumerate(job.invoice_ids[job.done : job.done + chunk]):
        if count and time.monotonic() - started > seconds:
            break
        invoice = db.session.get(Invoice, invoice_id)
        if invoice is None:
            result = missing_row(invoice_id)
        elif job.action == "pdf":
            (folder / f"{invoice.id}.pdf").write_bytes(render_invoice_pdf(invoice))
            day = invoice.issue_date.isoformat()
            result = outcome_row(invoice, True, "", file=pdf_filename(invoice), day=day)
        elif job.action == "einvoice":
            result = _einvoice_row(invoice, folder, job.options.get("format", "customer"))
        else:
            (outcome,) = send_many([invoice], user)
            result = outcome_row(invoice, outcome.ok, outcome.message)
        job.results = [*job.results, result]
        job.done += 1
        db.session.commit()


def _einvoice_row(invoice: Invoice, folder: Path, fmt: str) -> dict[str, Any]:
    """Make ``invoice``'s e-invoice in ``fmt`` (or its customer's format) into ``folder``."""
    try:
        made = zipped_einvoice(invoice, fmt)
    except BillingError as error:
        return outcome_row(invoice, False, str(error))
    stored = f"{invoice.id}{Path(made.filename).suffix}"
    (folder / stored).write_bytes(made.content)
    day = invoice.issue_date.isoformat()
    return outcome_row(invoice, True, "", file=made.filename, day=day, stored=stored)


def _export_chunk(job: BulkJob, chunk: int, user: User) -> None:
    """The chunk's invoices in one export (the ledgers' batch forms); a refusal of the whole
    export (not connected, mapping incomplete) stops the job with its reason."""
    ids = job.invoice_ids[job.done : job.done + chunk]
    invoices = invoices_for_export(ids)
    try:
        outcomes = export_invoices(invoices, Provider(job.options["provider"]), user)
    except BillingError as error:
        db.session.rollback()
        job.message = str(error)
        return
    found = {outcome.invoice.id: outcome for outcome in outcomes}
    rows = [
        outcome_row(o.invoice, o.ok, o.message, difference=o.difference)
        if (o := found.get(invoice_id))
        else missing_row(invoice_id)
        for invoice_id in ids
    ]
    job.results = [*job.results, *rows]
    job.done += len(ids)
    db.session.commit()


def outcome_row(invoice: Invoice, ok: bool, message: str, **extra: Any) -> dict[str, Any]:
    """One invoice's outcome as a job keeps it and the results table shows it."""
    return {
        "id": invoice.id,
        "number": invoice.number,
        "name": invoice.bill_to_name,
        "ok": ok,
        "message": message,
        **extra,
    }


def missing_row(invoice_id: int) -> dict[str, Any]:
    """The outcome for an invoice deleted since the job began."""
    message = f"Invoice #{invoice_id} no longer exists (deleted since the job began)."
    return {"id": invoice_id, "number": "", "name": "", "ok": False, "message": message}


def export_messages(job: BulkJob) -> list[tuple[str, str]]:
    """An export job's account, as a one-request export flashes it, then why it stopped."""
    outcomes = [
        ExportOutcome(None, row["ok"], row["message"], row.get("difference", False))  # type: ignore[arg-type]
        for row in job.results
    ]
    provider = Provider(job.options["provider"])
    messages = outcome_messages(outcomes, provider, limit=len(outcomes))
    if job.message:
        left = len(job.invoice_ids) - job.done
        messages.append((f"{job.message} ({left} not exported).", "error"))
    return messages


def job_zip(job: BulkJob, root: Path) -> Path:
    """The zip of a finished PDF or e-invoice job (one file per invoice made, in the job's
    order), built on the first ask and kept with the files."""
    folder = root / job.id
    path = folder / ZIP_NAME
    if not path.exists():
        part = folder / f"{ZIP_NAME}.part"
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for row in job.results:
                if row["ok"]:
                    entry = zip_entry(row["file"], date.fromisoformat(row["day"]))
                    stored = row.get("stored") or f"{row['id']}.pdf"
                    archive.writestr(entry, (folder / stored).read_bytes())
        part.replace(path)
    return path
