"""Reports > Receivables: what each customer owes on a day, per currency, by days past due
(``billing.reports.aging``); each figure opens the invoices behind it; a CSV of the table.

A plain GET form (``as_of``); a date that is not one is 422 beside the field.
"""

from flask import Response, render_template, request, url_for

from billing.errors import NotFound, ValidationFailed
from billing.ids import parse_id, parse_page
from billing.reports.aging import (
    BUCKET_KEYS,
    BUCKET_LABELS,
    aging_report,
    check_bucket,
    open_invoices,
    page_of,
)
from billing.reports.csv_text import aging_csv
from billing.reports.dates import parse_day
from billing.wording import shown
from blueprints.reports import bp
from clock import today
from models import Customer, db


def _as_of():
    return parse_day(request.args.get("as_of"), today(), field="as_of")


@bp.route("/reports/receivables")
def receivables():
    """The aging table and chart per currency on ``as_of`` (default today); the customer rows
    50 a page (``page``), the totals and chart over all of them.

    :raise 422: ``as_of`` is not a date (the form says so, no table).
    """
    try:
        as_of = _as_of()
    except ValidationFailed as error:
        page = render_template(
            "reports/receivables.html", report=None, as_of_text=request.args.get("as_of", ""),
            error=error, buckets=list(BUCKET_KEYS), labels=BUCKET_LABELS,
        )  # fmt: skip
        return page, 422
    report = aging_report(as_of)
    rows = report.page(parse_page((request.args.get("page") or "").strip()) or 1)
    return render_template(
        "reports/receivables.html", report=report, rows=rows, as_of_text=as_of.isoformat(),
        error=None, buckets=list(BUCKET_KEYS), labels=BUCKET_LABELS,
        drill_base=url_for("reports.receivables_invoices"),
    )  # fmt: skip


@bp.route("/reports/receivables.csv")
def receivables_csv():
    """The table as ``receivables-<as_of>.csv``: a row per customer and currency.

    :raise 422: ``as_of`` is not a date.
    """
    as_of = _as_of()
    return Response(
        aging_csv(aging_report(as_of)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="receivables-{as_of}.csv"'},
    )


@bp.route("/reports/receivables/invoices")
def receivables_invoices():
    """The invoices behind one figure: a customer's (``customer``) or everyone's, in a
    ``currency``, in a ``bucket`` ("total": all), owed on ``as_of``; 50 a page (``page``).

    :raise 404: no such customer. :raise 422: a bad date, bucket, currency or customer id.
    """
    as_of = _as_of()
    bucket = check_bucket((request.args.get("bucket") or "total").strip())
    currency = (request.args.get("currency") or "").strip().upper()
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        raise ValidationFailed(f"“{shown(currency)}” is not a currency code.", "currency")
    customer = None
    raw_customer = (request.args.get("customer") or "").strip()
    if raw_customer:
        customer_id = parse_id(raw_customer)
        if customer_id is None:
            raise ValidationFailed(f"“{shown(raw_customer)}” is not a customer id.", "customer")
        customer = db.session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"There is no customer #{customer_id}.")
    invoices = open_invoices(as_of, customer.id if customer else None, currency, bucket)
    on_page = page_of(invoices, parse_page((request.args.get("page") or "").strip()) or 1)
    return render_template(
        "reports/receivables_invoices.html", invoices=invoices, shown=on_page, as_of=as_of,
        customer=customer, currency=currency, bucket=bucket,
        label=BUCKET_LABELS.get(bucket, "All ages"), total=sum(i.balance_minor for i in invoices),
    )  # fmt: skip
