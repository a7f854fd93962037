"""A customer's statement for a period: the page, its PDF and CSV, and sending it by email.

``start``, ``end`` (YYYY-MM-DD; default the first day of last month to today) and ``currency``
(default the customer's) travel in the query string; a bad one is 422 beside its field on the
page, a plain 422 for the downloads. Sending is for admins (403 otherwise).
"""

from datetime import date

from flask import Response, current_app, render_template, request, url_for

from billing.errors import ValidationFailed
from billing.mail import MAX_RECIPIENTS
from billing.reports.csv_text import statement_csv
from billing.reports.dates import parse_day
from billing.reports.statement import (
    Statement,
    build_statement,
    default_period,
    statement_currencies,
)
from billing.reports.statement_pdf import (
    default_subject_body,
    render_statement_pdf,
    send_statement,
    statement_stem,
)
from blueprints.auth.access import admin_required
from blueprints.reports import bp
from blueprints.send_forms import SendForm, send_view
from clock import today
from models import Customer, db


def _period_args(customer: Customer) -> tuple[date, date, str]:
    """The period and currency asked for. :raise ValidationFailed: a bad date (its field)."""
    first, last = default_period(today())
    start = parse_day(request.args.get("start"), first, field="start")
    end = parse_day(request.args.get("end"), last, field="end")
    currency = (request.args.get("currency") or "").strip().upper() or customer.currency
    return start, end, currency


def _statement(customer: Customer) -> Statement:
    start, end, currency = _period_args(customer)
    return build_statement(customer, start, end, currency)


def _query(statement: Statement) -> dict[str, str]:
    return {
        "start": statement.start.isoformat(),
        "end": statement.end.isoformat(),
        "currency": statement.currency,
    }


@bp.route("/customers/<int:customer_id>/statement")
def statement(customer_id: int):
    """The statement page: the period form, the opening balance, each movement with the
    running balance, the closing balance; links to the PDF, the CSV and (admins) sending.

    :raise 404: no such customer. :raise 422: a bad date, an end before the start, or a
        currency the customer has nothing in (beside the field).
    """
    customer = db.get_or_404(Customer, customer_id)
    currencies = statement_currencies(customer)
    try:
        found = _statement(customer)
    except ValidationFailed as error:
        asked = {k: request.args.get(k, "") for k in ("start", "end", "currency")}
        page = render_template(
            "reports/statement.html", customer=customer, statement=None, asked=asked,
            error=error, currencies=currencies,
        )  # fmt: skip
        return page, 422
    return render_template(
        "reports/statement.html", customer=customer, statement=found, asked=_query(found),
        error=None, currencies=currencies,
    )  # fmt: skip


@bp.route("/customers/<int:customer_id>/statement.pdf")
def statement_pdf(customer_id: int):
    """The statement as a PDF (``?inline=1`` shows it in the browser).

    :raise 404: no such customer. :raise 422: bad period or currency.
    """
    found = _statement(db.get_or_404(Customer, customer_id))
    disposition = "inline" if request.args.get("inline") == "1" else "attachment"
    filename = f"{statement_stem(found)}.pdf"
    return Response(
        render_statement_pdf(found),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )


@bp.route("/customers/<int:customer_id>/statement.csv")
def statement_csv_view(customer_id: int):
    """The statement's lines as CSV.

    :raise 404: no such customer. :raise 422: bad period or currency.
    """
    found = _statement(db.get_or_404(Customer, customer_id))
    filename = f"{statement_stem(found)}.csv"
    return Response(
        statement_csv(found),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/customers/<int:customer_id>/statement/send", methods=["GET", "POST"])
@admin_required
def statement_send(customer_id: int):
    """The send form (GET: to the customer's billing emails, a default subject and body) and
    sending (POST): 422 on bad input, 502 when the mail server refuses (nothing changes).

    :raise 404: no such customer. :raise 422: bad period or currency.
    """
    customer = db.get_or_404(Customer, customer_id)
    found = _statement(customer)
    return send_view(
        lambda: (customer.email_list, *default_subject_body(found)),
        lambda to, subject, body: send_statement(found, to, subject, body),
        lambda form, status: _send_page(found, form, status),
        url_for("reports.statement", customer_id=customer.id, **_query(found)),
    )


def _send_page(found: Statement, form: SendForm, status: int = 200):
    page = render_template(
        "reports/statement_send.html", statement=found, customer=found.customer, form=form,
        query=_query(found), max_recipients=MAX_RECIPIENTS,
        mail_server=current_app.config.get("MAIL_SERVER"),
    )  # fmt: skip
    return page, status
