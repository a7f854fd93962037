"""Bulk jobs: the PDFs, sends or exports of more invoices than one chunk, a chunk per request.

The bulk actions (``delivery``, ``export``) start a job and send the browser to its page, which
shows a progress bar. While the page is open, htmx asks for the next chunk as soon as the last
one is shown (``hx-trigger="load"``); without JavaScript a Continue button posts the same request.
Finished, the page shows the outcome: the zip to download, each invoice sent or not, the export's
account. Only the user who began a job sees it (403 otherwise); see ``billing.invoices.bulk_jobs``.
"""

from pathlib import Path

from flask import abort, current_app, make_response, redirect, render_template, send_file, url_for
from flask_login import current_user

from billing.invoices.bulk_jobs import export_messages, job_for, job_zip, run_chunk, start_job
from blueprints.invoices import bp
from extensions import htmx
from models import BulkJob

TITLES = {
    "pdf": "PDFs of",
    "einvoice": "E-invoices of",
    "send": "Sending",
    "export": "Exporting",
}
ZIP_NAMES = {"pdf": "invoices.zip", "einvoice": "e-invoices.zip"}


def jobs_root() -> Path:
    """Where jobs keep their files: ``<instance>/bulk_jobs``."""
    return Path(current_app.instance_path) / "bulk_jobs"


def chunk_size(action: str) -> int:
    """How many invoices one request deals with (more than this many make a job)."""
    key = "BULK_EXPORT_CHUNK_SIZE" if action == "export" else "BULK_CHUNK_SIZE"
    return max(1, int(current_app.config[key]))


def start(action: str, invoice_ids: list[int], **options: str):
    """Begin a job over ``invoice_ids`` and send the browser to its page (303)."""
    job = start_job(jobs_root(), current_user, action, invoice_ids, options)
    return redirect(url_for("invoices.bulk_job", job_id=job.id), 303)


def _job(job_id: str) -> BulkJob:
    """:raise 404: no such job (or expired). :raise NotYours: another user's (403)."""
    if len(job_id) != 32 or not all(char in "0123456789abcdef" for char in job_id):
        abort(404, "There is no such job; jobs are deleted a day after they begin.")
    job = job_for(job_id, current_user)
    if job is None:
        abort(404, "There is no such job; jobs are deleted a day after they begin.")
    return job


@bp.route("/bulk/jobs/<job_id>")
def bulk_job(job_id: str):
    """A job's page: its progress, carrying on while open; its outcome once finished.

    :raise 404: no such job. :raise 403: another user's job.
    """
    return _progress(_job(job_id))


@bp.route("/bulk/jobs/<job_id>/next", methods=["POST"])
def bulk_job_next(job_id: str):
    """Work the job's next chunk: the progress fragment for htmx, else back to its page (303).

    :raise 404: no such job. :raise 403: another user's job.
    """
    job = _job(job_id)
    worked = run_chunk(
        job,
        jobs_root(),
        chunk=chunk_size(job.action),
        seconds=float(current_app.config["BULK_CHUNK_SECONDS"]),
        user=current_user,
    )
    if htmx and not htmx.boosted:
        return _progress(job, busy=not worked)
    return redirect(url_for("invoices.bulk_job", job_id=job.id), 303)


@bp.route("/bulk/jobs/<job_id>/invoices.zip")
def bulk_job_zip(job_id: str):
    """A finished PDF or e-invoice job's zip (``invoices.zip``, ``e-invoices.zip``).

    :raise 404: no such job, or one that makes no files. :raise 403: another user's job.
    :raise 409: not finished.
    """
    job = _job(job_id)
    if job.action not in ZIP_NAMES:
        abort(404, "This job makes no files.")
    if job.finished_at is None:
        abort(409, "The files are not all made yet: open the job's page to carry on.")
    response = send_file(job_zip(job, jobs_root()), mimetype="application/zip", max_age=0)
    name = ZIP_NAMES[job.action]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'  # as for a few
    response.cache_control.private = True
    return response


def _progress(job: BulkJob, busy: bool = False):
    """The job's page, or for htmx its fragment."""
    fragment = bool(htmx) and not htmx.boosted
    total = len(job.invoice_ids)
    response = make_response(
        render_template(
            "invoices/_bulk_progress.html" if fragment else "invoices/bulk_job.html",
            job=job,
            title=f"{TITLES[job.action]} {total} invoices",
            total=total,
            rows=job.results,
            failed=[row for row in job.results if not row["ok"]],
            messages=export_messages(job) if job.action == "export" else [],
            busy=busy,
            zip_name=ZIP_NAMES.get(job.action, ""),
            back=job.options.get("next") or url_for("main.billing"),
        )
    )
    response.vary.add("HX-Request")
    response.cache_control.no_store = True
    return response
