"""The Billing page: invoices filtered, sorted and paged, with totals and bulk status changes.

The query itself (filters, sorts, page, totals) is ``billing.invoices.listing``.
"""

from collections.abc import Callable
from urllib.parse import urlencode

from flask import (
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from billing.einvoice.outputs import einvoice_choices
from billing.invoices.list_totals import filtered_totals, totals_of
from billing.invoices.listing import (
    DEFAULT_SORT,
    OVERDUE,
    Sort,
    invoice_page,
    read_filters,
)
from billing.invoices.status import change_statuses
from billing.process_cache import filter_choices, offered_batches
from billing.settings import company_locale
from blueprints.auth.access import admin_required
from blueprints.main import bp
from blueprints.main.list_format import list_rows, options
from blueprints.params import QueryArgs, posted_ids
from blueprints.safe_url import local_path
from blueprints.templating import current_settings
from clock import today as billing_today
from extensions import htmx
from models import (
    InvoiceStatus,
    db,
)

STATUSES = list(InvoiceStatus)
URL_SAFE = "!$'()*,/:;?@"  # what Werkzeug's url_for leaves unquoted in a query string


@bp.route("/")
def index():
    """Home is the Billing page; for a user who may not see billing, their tickets."""
    if not current_user.sees_billing:
        return redirect(url_for("work.tickets"))
    return redirect(url_for("main.billing"))


def billing_url_for(filters: dict[str, str], sort: Sort, page: int) -> Callable[..., str]:
    """A builder of Billing page URLs keeping this view's filters, sort and page.

    Keyword arguments replace them; a sort or a filter change goes back to page 1, as it should.
    """
    current = {**filters, "sort": str(sort), "page": page}
    # The route has no path arguments, so the rest is the query string, encoded as url_for
    # encodes it (Werkzeug's safe characters); a page builds a dozen of these links.
    path = url_for("main.billing")

    def build(**changes: object) -> str:
        """The URL with ``changes`` applied (``None`` drops an argument)."""
        args = {**current, **changes}
        if "page" not in changes and changes:
            args["page"] = 1
        if args.get("sort") == DEFAULT_SORT:
            del args["sort"]
        if args.get("page") == 1:
            del args["page"]
        query = urlencode([(k, v) for k, v in args.items() if v not in (None, "")], safe=URL_SAFE)
        return f"{path}?{query}" if query else path

    return build


@bp.route("/billing")
def billing():
    """The Billing page: invoices newest number first, filtered, sorted, 50 a page.

    Totals per currency: from the rows at hand when the list fits on its first page; for a longer
    filtered list, from :func:`billing_totals` once the rows are shown; never for the whole
    table. A non-boosted htmx request gets only the results (``main/_invoice_rows.html``).
    """
    args = QueryArgs(request.args)
    filters = read_filters(request.args, args.ignored)
    sort = Sort.read(request.args.get("sort"), args.ignored)
    page = invoice_page(filters, sort, args.page())
    totals, totals_url = None, ""
    if page.number == 1 and not page.has_next:
        totals = totals_of(page.invoices)  # every matching invoice is on this page
    elif filters and request.args.get("totals") == "1":
        totals = filtered_totals(filters)  # asked for without JavaScript
    elif filters:
        totals_url = url_for("main.billing_totals", **filters)
    billing_url = billing_url_for(filters, sort, page.number)
    today = billing_today()
    context = {
        "page": page,
        "rows": list_rows(page.invoices, company_locale(current_settings()), today),
        "totals": totals,
        "totals_url": totals_url,
        "filters": filters,
        "sort": sort,
        "default_sort": DEFAULT_SORT,
        "today": today,
        "billing_url": billing_url,
        "ignored": args.ignored,
    }
    fragment = htmx and not htmx.boosted and not htmx.history_restore_request
    if fragment:
        response = make_response(render_template("main/_invoice_rows.html", **context))
        # The form sends its empty fields too; the address bar gets the tidy URL instead.
        response.headers["HX-Push-Url"] = billing_url()
    else:
        choices = _choices(filters)
        response = make_response(render_template("main/billing.html", **context, **choices))
    response.vary.add("HX-Request")
    return response


@bp.route("/billing/totals")
def billing_totals():
    """The totals per currency of a filtered list (one grouped query), as the list's footer.

    htmx asks for it after showing the rows; a plain request is sent to the Billing page with
    its totals.
    """
    filters = read_filters(request.args)
    if not htmx:
        return redirect(url_for("main.billing", **filters, totals=1))
    return render_template(
        "main/_invoice_totals.html",
        totals=filtered_totals(filters) if filters else None,
        totals_url="",
        filters=filters,
    )


def _choices(filters: dict[str, str]) -> dict:
    """What the full page adds around the results: the filter choices and the bulk URLs."""
    batch = filters.get("batch")
    choices = filter_choices()
    batches = offered_batches(choices, int(batch) if batch else None)
    return {
        "customer_options": options(choices.customers, filters.get("customer")),
        "batch_options": options(batches, batch),
        "statuses": STATUSES,
        "overdue": OVERDUE,
        "ledgers": choices.ledgers,
        "einvoice_formats": einvoice_choices(),
        "bulk_urls": {
            "send": url_for("invoices.bulk_send"),
            "pdf": url_for("invoices.bulk_pdf"),
            "einvoices": url_for("invoices.bulk_einvoices"),
            "status": url_for("main.bulk_status"),
        },
    }


@bp.route("/billing/bulk/status", methods=["POST"])
@admin_required
def bulk_status():
    """Move the selected invoices (``ids``) to ``status`` along allowed transitions only.

    Allowed changes are applied and refused ones listed, in one transaction; then back to the
    Billing page as it was (``next``, a local path only).
    """
    back = local_path(request.form.get("next"))
    ids = posted_ids(request.form, "ids", "invoice")
    raw = request.form.get("status", "")
    if raw not in InvoiceStatus._value2member_map_:
        flash("Choose the status to give the selected invoices.", "error")
        return redirect(back)
    if not ids:
        flash("Select at least one invoice first.", "error")
        return redirect(back)
    outcome = change_statuses(
        ids, InvoiceStatus(raw), current_user, "Changed from the Billing page."
    )
    db.session.commit()
    for message, kind in outcome.messages():
        flash(message, kind)
    return redirect(back)
