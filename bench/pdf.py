"""PDF of a one-page invoice and of the 300-line one
(``billing.invoices.pdf.render_invoice_pdf``)."""

from __future__ import annotations

import sqlalchemy as sa

from bench.harness import Stats, bench_app, timed

RUNS = {"1 page": 7, "300 lines": 3}


def _one_page_invoice() -> int:
    """An invoice of a few lines (one page): the one with the most lines up to five."""
    from models import InvoiceLine, db

    count = sa.func.count(InvoiceLine.id)
    return db.session.scalar(
        sa.select(InvoiceLine.invoice_id)
        .group_by(InvoiceLine.invoice_id)
        .having(count <= 5)
        .order_by(count.desc(), InvoiceLine.invoice_id)
        .limit(1)
    )


def pdf_times(url: str, big_invoice_id: int) -> dict[str, Stats]:
    """Seconds to render each PDF; the invoice is loaded afresh for every run."""
    from billing.invoices.pdf import render_invoice_pdf
    from models import Invoice, db

    app = bench_app(url)
    results = {}
    with app.app_context():
        ids = {"1 page": _one_page_invoice(), "300 lines": big_invoice_id}
        for label, invoice_id in ids.items():

            def render(invoice_id: int = invoice_id) -> None:
                db.session.expunge_all()
                render_invoice_pdf(db.session.get(Invoice, invoice_id))

            results[label] = timed(render, RUNS[label], warmup=1)
        db.engine.dispose()
    return results
