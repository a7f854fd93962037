"""Reads under load while others write (#13): the Billing page and an invoice page at 8 and 32
concurrent clients, while one client saves and deletes a month's batch over and over and
another edits a draft invoice's line; then the database is checked for double billing and for
totals that are not the sum of their lines.

The demo MSP (``seed_demo``) is served by gunicorn (gthread, 2 workers x 4 threads). September
is billed once and kept (its first draft is the one edited); October is saved and deleted in a
loop. Readers run in ``bench.load`` processes (one per page); writers are threads here.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from bench.datasets import migrate
from bench.harness import ROOT, bench_app, ensure_bench_user
from bench.report import Section
from bench.throughput import log_in, serving

TODAY = date(2026, 12, 3)
KEPT = ("2026-09-01", "2026-09-30")
CHURNED = ("2026-10-01", "2026-10-31")
LEVELS = (8, 32)
DURATION = 10.0


@dataclass
class Round:
    """One concurrency level's outcome."""

    clients: int
    reads: dict[str, dict] = field(default_factory=dict)
    writes: Counter = field(default_factory=Counter)
    last_edit: str = ""
    inconsistencies: list[str] = field(default_factory=list)


def prepare(url: str) -> tuple[int, int]:
    """The demo data, the bench user and September's batch; the draft invoice and line edited."""
    from demo.build import seed_demo
    from models import Invoice, InvoiceBatch, InvoiceLine, db

    migrate(url)
    app = bench_app(url, BILLING_TODAY=TODAY.isoformat())
    ensure_bench_user(app)
    with app.app_context():
        seed_demo(TODAY)
        db.session.commit()
        result = app.test_cli_runner().invoke(
            args=["batches", "create", "--start", KEPT[0], "--end", KEPT[1]]
        )
        if result.exit_code != 0:
            raise RuntimeError(result.output)
        line = db.session.execute(
            sa.select(InvoiceLine.invoice_id, InvoiceLine.id)
            .join(Invoice)
            .join(InvoiceBatch)
            .order_by(Invoice.id, InvoiceLine.id)
            .limit(1)
        ).one()
        db.engine.dispose()
    return line.invoice_id, line.id


class Writer:
    """A logged-in client that posts forms with the CSRF token, counting the answers."""

    def __init__(self, port: int, cookie: str, tally: Counter, lock: threading.Lock) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie, self.tally, self.lock = cookie, tally, lock
        self.last = ""
        page = self.request("GET", "/batches/new")
        self.token = re.search(r'"X-CSRFToken": "([^"]+)"', page.read().decode()).group(1)

    def request(self, method: str, path: str, data: dict | None = None):
        """One request on the kept connection (reopened when the server closed it)."""
        headers = {"Cookie": self.cookie}
        body = None
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrf_token": getattr(self, "token", "")})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            return self.conn.getresponse()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            return self.conn.getresponse()

    def post(self, kind: str, path: str, data: dict) -> http.client.HTTPResponse:
        """POST ``data``; the answer's status is counted under ``kind``."""
        response = self.request("POST", path, data)
        response.read()
        with self.lock:
            self.tally[(kind, response.status)] += 1
        return response


def churn_batches(writer: Writer, stop: threading.Event) -> None:
    """Save October's batch, then delete it, until ``stop``."""
    while not stop.is_set():
        saved = writer.post("batch saved", "/batches", {"start": CHURNED[0], "end": CHURNED[1]})
        found = re.search(r"/batches/(\d+)", saved.getheader("Location") or "")
        if found:
            writer.post("batch deleted", f"/batches/{found.group(1)}/delete", {})


def edit_draft(writer: Writer, invoice_id: int, line_id: int, stop: threading.Event) -> None:
    """Change the draft line's quantity back and forth until ``stop``; the last description
    sent is kept in ``writer.last`` to be checked against the database."""
    prefix = f"line-{line_id}-"
    n = 0
    while not stop.is_set():
        n += 1
        writer.last = f"Edited under load ({n})"
        fields = {"description": writer.last, "quantity": str(1 + n % 2)}
        fields |= {"unit_price": "100.00", "discount": "0", "tax_rate_id": ""}
        data = {prefix + key: value for key, value in fields.items()}
        writer.post("draft edited", f"/invoices/{invoice_id}/lines/{line_id}/edit", data)


def _readers(port: int, path: str, cookie: str, threads: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "bench.load", "--port", str(port), "--path", path]
    command += ["--cookie", cookie, "--threads", str(threads), "--duration", str(DURATION)]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)


def run_round(port: int, clients: int, invoice_id: int, line_id: int) -> Round:
    """``clients`` readers (half on each page) for ``DURATION`` seconds, writers alongside."""
    outcome, lock, stop = Round(clients), threading.Lock(), threading.Event()
    cookie = log_in(port)
    pages = {"Billing page": "/billing", "Invoice page": f"/invoices/{invoice_id}"}
    readers = {label: _readers(port, path, cookie, clients // 2) for label, path in pages.items()}
    churner, editor = (Writer(port, cookie, outcome.writes, lock) for _ in range(2))
    writers = [
        threading.Thread(target=churn_batches, args=(churner, stop)),
        threading.Thread(target=edit_draft, args=(editor, invoice_id, line_id, stop)),
    ]
    for thread in writers:
        thread.start()
    for label, process in readers.items():
        outcome.reads[label] = json.loads(process.communicate()[0])
    stop.set()
    for thread in writers:
        thread.join()
    outcome.last_edit = editor.last
    return outcome


def inconsistencies(url: str, line_id: int, last_edit: str) -> list[str]:
    """Double billing, invoices whose totals are not the sum of their lines, and a draft edit
    that was answered but not kept."""
    from models import Invoice, InvoiceLine, Ticket, db

    app = bench_app(url)
    found: list[str] = []
    with app.app_context():
        for column in (InvoiceLine.time_entry_id, InvoiceLine.expense_id):
            twice = db.session.scalars(
                sa.select(column)
                .where(column.is_not(None))
                .group_by(column)
                .having(sa.func.count(sa.distinct(InvoiceLine.invoice_id)) > 1)
            ).all()
            found += [f"{column.key} {value} is on two invoices" for value in twice]
        elsewhere = db.session.scalars(
            sa.select(sa.distinct(Ticket.id))
            .join(InvoiceLine, InvoiceLine.ticket_id == Ticket.id)
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(Invoice.batch_id.is_distinct_from(Ticket.batch_id))
        ).all()
        found += [
            f"ticket {value} is on an invoice of a batch that did not bill it"
            for value in elsewhere
        ]
        sums = (
            sa.select(InvoiceLine.invoice_id, sa.func.sum(InvoiceLine.amount_minor).label("lines"))
            .group_by(InvoiceLine.invoice_id)
            .subquery()
        )
        wrong = db.session.execute(
            sa.select(Invoice.number)
            .outerjoin(sums, sums.c.invoice_id == Invoice.id)
            .where(
                (Invoice.subtotal_minor != sa.func.coalesce(sums.c.lines, 0))
                | (Invoice.total_minor != Invoice.subtotal_minor + Invoice.tax_minor)
            )
        ).scalars()
        found += [f"invoice {number}: totals are not the sum of its lines" for number in wrong]
        kept = db.session.get(InvoiceLine, line_id).description
        if kept != last_edit:
            found.append(f"the draft line says {kept!r}, not the last edit {last_edit!r}")
        db.engine.dispose()
    return found


def contention(url: str, log=print) -> list[Round]:
    """Every concurrency level on a fresh demo database at ``url``."""
    invoice_id, line_id = prepare(url)
    rounds = []
    env = {"BILLING_TODAY": TODAY.isoformat()}
    with serving(url, worker_class="gthread", threads=4, env=env) as port:
        for clients in LEVELS:
            log(f"  {clients} readers, saving/deleting batches and editing a draft")
            outcome = run_round(port, clients, invoice_id, line_id)
            outcome.inconsistencies = inconsistencies(url, line_id, outcome.last_edit)
            rounds.append(outcome)
            time.sleep(1)
    return rounds


def contention_section(rounds: list[Round]) -> Section:
    """The results as a table: reads per second and failures, writes by answer, checks."""
    section = Section(
        "Reads while batches are saved and deleted and a draft is edited (demo data; gunicorn "
        f"gthread 2 x 4; {DURATION:.0f} s per level)",
        ["Readers", "Billing page req/s", "Invoice page req/s", "non-2xx reads",
         "writes (answer: count)", "non-2xx/3xx writes", "inconsistencies"],
    )  # fmt: skip
    for outcome in rounds:
        reads, problems = outcome.reads, outcome.inconsistencies
        bad_reads = sum(r["errors"] for r in reads.values())
        writes = ", ".join(
            f"{kind} {status}: {n}" for (kind, status), n in sorted(outcome.writes.items())
        )
        bad_writes = sum(n for (_, status), n in outcome.writes.items() if status >= 400)
        section.rows.append([
            str(outcome.clients),
            f"{reads['Billing page']['rps']:.0f}",
            f"{reads['Invoice page']['rps']:.0f}",
            str(bad_reads),
            writes,
            str(bad_writes),
            str(len(problems)) + "".join(f"; {text}" for text in problems[:5]),
        ])  # fmt: skip
    section.notes.append(
        "Checked after each level: no time entry or expense on two invoices, no ticket on an "
        "invoice of a batch other than the one that billed it, every invoice's subtotal equal "
        "to the sum of its lines and its total equal to subtotal plus tax, and the draft line "
        "holding the last edit sent."
    )
    return section
