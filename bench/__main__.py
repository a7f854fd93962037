"""``python -m bench`` (``make bench``): measure everything, print it, write bench/results.md.

SQLite always; PostgreSQL too when ``BENCH_DATABASE_URL`` names a server (scratch databases
are created on it for the run and dropped).
``--only pages,throughput,batch,pdf,export,contention,aging``
measures some sections; ``--output`` writes elsewhere.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench import report
from bench.datasets import SIZES
from bench.harness import BENCH_DIR, machine

SECTIONS = ("pages", "throughput", "batch", "pdf", "export", "contention", "aging")


def log(message: str) -> None:
    """Progress on stderr (stdout gets the tables)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_backend(name: str, wanted: set[str], datasets, pg_url: str | None) -> list:
    """Every wanted section on one backend; ``datasets`` gives (small, large) Dataset objects."""
    from bench.batch import batch_figures
    from bench.contention import contention, contention_section
    from bench.datasets import scratch_copy
    from bench.export import export_figures
    from bench.pages import page_times
    from bench.pdf import pdf_times
    from bench.throughput import throughput

    small, large = datasets
    sections = []
    if "pages" in wanted:
        log(f"{name}: page server times")
        times = page_times(small, large)
        sizes = (small.counts["invoices"], large.counts["invoices"])
        sections.append(report.page_section(*times, sizes))
    if "throughput" in wanted:
        log(f"{name}: throughput under gunicorn")
        result = throughput(large.url, worker_class="gthread")
        sections.append(report.throughput_section(result, f"{large.counts['invoices']:,}"))
    if "batch" in wanted:
        log(f"{name}: batch preview and save")
        sections.append(report.batch_section(batch_figures(pg_url)))
    if "pdf" in wanted:
        log(f"{name}: PDFs")
        sections.append(report.pdf_section(pdf_times(large.url, large.big_invoice_id)))
    if "export" in wanted:
        log(f"{name}: export to the fake ledgers")
        if pg_url is None:
            with scratch_copy(small) as url:
                sections.append(report.export_section(export_figures(url)))
        else:
            sections.append(report.export_section(export_figures(small.url)))
    if "aging" in wanted:
        from bench.aging import aging_figures

        log(f"{name}: receivables aging at 1,000 and 100,000 invoices")
        sections.append(report.aging_section(aging_figures(pg_url, log)))
    if "contention" in wanted:
        log(f"{name}: reads while batches are saved and deleted")
        with fresh_database(pg_url) as url:
            sections.append(contention_section(contention(url, log)))
    return sections


@contextmanager
def fresh_database(pg_url: str | None) -> Iterator[str]:
    """An empty database: a SQLite file in a temporary folder, or a scratch PostgreSQL one."""
    if pg_url:
        from bench.datasets import postgres_database

        with postgres_database(pg_url, "contention") as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="msp-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'contention.db'}"


def describe(backend: str, dataset) -> str:
    """A line on a dataset: what it holds and where it came from."""
    source = (
        "reused from the cache"
        if dataset.generated_seconds is None
        else f"generated in {dataset.generated_seconds:.0f} s"
    )
    sizes = ", ".join(f"{k} {v:,}" for k, v in SIZES[dataset.label].items())
    return f"{backend} dataset {dataset.label} ({sizes}): {source}."


def postgres_version(url: str) -> str:
    """The PostgreSQL server's version."""
    import sqlalchemy as sa

    from tests.scratch_db import psycopg_url

    engine = sa.create_engine(psycopg_url(url).set(database="postgres"))
    try:
        with engine.connect() as conn:
            return str(conn.execute(sa.text("SHOW server_version")).scalar())
    except sa.exc.SQLAlchemyError as error:
        return f"unknown ({type(error).__name__})"
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks and write the results."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results.md")
    args = parser.parse_args(argv)
    wanted = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = wanted - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    from bench.datasets import postgres_database, postgres_dataset, sqlite_dataset

    backends = {}
    notes = [
        "Server times are medians and 95th percentiles over 30 requests after 5 warm-up ones; "
        "other figures are medians over several runs after a warm-up.",
        "Timings compared with each other (the two sizes; the three throughput routes) were "
        "measured in the same run.",
    ]
    load_before = os.getloadavg()[0]
    need_data = wanted & {"pages", "throughput", "pdf", "export"}
    small = large = None
    dataset_notes: list[str] = []
    if need_data:
        small, large = sqlite_dataset("1k", log), sqlite_dataset("100k", log)
        dataset_notes += [describe("SQLite", d) for d in (small, large)]
    backends["SQLite"] = run_backend("SQLite", wanted, (small, large), None)
    pg = os.environ.get("BENCH_DATABASE_URL")
    if pg:
        with ExitStack() as stack:
            if need_data:
                small_url = stack.enter_context(postgres_database(pg, "1k"))
                large_url = stack.enter_context(postgres_database(pg, "100k"))
                small = postgres_dataset(small_url, "1k", log)
                large = postgres_dataset(large_url, "100k", log)
                dataset_notes += [describe("PostgreSQL", d) for d in (small, large)]
            backends["PostgreSQL"] = run_backend("PostgreSQL", wanted, (small, large), pg)
    info = machine()
    info["Backends"] = ", ".join(backends)
    if pg:
        info["PostgreSQL"] = postgres_version(pg)
    notes += dataset_notes
    notes.append(
        f"Load average (1 min) on {os.cpu_count()} cores: {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end; above the core count, other work shared the "
        "machine and absolute timings are noisier than the ratios measured side by side."
    )
    text = report.document(info, backends, notes)
    args.output.write_text(text)
    print(text)
    log(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
