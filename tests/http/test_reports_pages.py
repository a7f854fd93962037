"""Reports over HTTP: Receivables (figures, chart, links to the invoices behind each figure, the
as-of form, 422, CSV), the drill-down, the customer statement (page, 422s, PDF, CSV, send form),
who may see them, and a statement count that does not grow with the rows."""

import re
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest

from models import db
from tests.factories import make_customer, make_payment, make_sent_invoice
from tests.pages import error_beside, squeeze, text


@pytest.fixture
def app_config():
    return {"BILLING_TODAY": "2026-12-03"}


def _sent(customer, amount: int, issued: date, due: date, number: str):
    return make_sent_invoice(customer, amount, due, number, issue_date=issued)


@pytest.fixture
def owed(app):
    """Acme owes 1,250.00 (due Nov 20: 13 days late) and 400.00 (due Aug 1: over 90), half of
    the first paid on Nov 25; Zeta owes €99.00, not yet due; a settled invoice is not owed."""
    acme = make_customer(name="Acme Dental", currency="USD", billing_emails="ap@acme-dental.com")
    zeta = make_customer(name="Zeta GmbH", currency="EUR")
    late = _sent(acme, 250000, date(2026, 10, 21), date(2026, 11, 20), "INV-0101")
    make_payment(acme, 125000, {late.id: 125000}, payment_date=date(2026, 11, 25))
    _sent(acme, 40000, date(2026, 7, 2), date(2026, 8, 1), "INV-0102")
    _sent(zeta, 9900, date(2026, 11, 20), date(2026, 12, 20), "INV-0103")
    settled = _sent(acme, 3000, date(2026, 9, 1), date(2026, 9, 30), "INV-0104")
    make_payment(acme, 3000, {settled.id: 3000}, payment_date=date(2026, 9, 15))
    return {"acme": acme, "zeta": zeta, "late": late}


def _links(response) -> dict[str, dict]:
    """Each drill-down link's text -> its query string."""
    found = {}
    for href, label in re.findall(r'<a href="(/reports/receivables/invoices\?[^"]+)">([^<]+)</a>',
                                  text(response)):  # fmt: skip
        found.setdefault(label, []).append(
            {k: v[0] for k, v in parse_qs(urlparse(href).query).items()}
        )
    return found


def test_receivables_show_each_customer_by_age_per_currency(admin_client, owed):
    response = admin_client.get("/reports/receivables")
    assert response.status_code == 200
    page = squeeze(response)
    assert "What each customer owes on Dec 3, 2026" in page
    assert "USD: $1,650.00 owed" in page and "EUR: €99.00 owed" in page
    assert "Acme Dental – $1,250.00 – – $400.00 $1,650.00" in page
    assert "Total USD – $1,250.00 – – $400.00 $1,650.00" in page
    assert "INV-0104" not in page
    links = _links(response)
    acme_id = str(owed["acme"].id)
    assert {"customer": acme_id, "currency": "USD", "bucket": "over-90",
            "as_of": "2026-12-03"} in links["$400.00"]  # fmt: skip
    assert {"currency": "USD", "bucket": "1-30", "as_of": "2026-12-03"} in links["$1,250.00"]
    # a bar per bucket, drawn; the figures beside it are text
    assert text(response).count('<svg width="100%" height="16" aria-hidden="true"') == 10
    assert 'aria-labelledby="aging-USD-by-age"' in text(response)
    assert f'href="/customers/{acme_id}/statement?currency=USD"' in text(response)
    assert 'href="/reports/receivables" aria-current="page">Reports</a>' in text(response)


def test_as_of_a_past_day(admin_client, owed):
    page = squeeze(admin_client.get("/reports/receivables?as_of=2026-11-21"))
    # before the payment of Nov 25: 2,500.00, 1 day late; the over-90 one was 112 days late
    assert "Acme Dental – $2,500.00 – – $400.00 $2,900.00" in page
    assert "Zeta GmbH €99.00" in page
    page = squeeze(admin_client.get("/reports/receivables?as_of=2026-06-30"))
    assert "Nothing is owed on Jun 30, 2026" in page


@pytest.mark.parametrize("bad", ["2026-02-30", "tomorrow", "0000-01-01", "9" * 50])
def test_a_bad_day_is_422_beside_the_field(admin_client, owed, bad):
    response = admin_client.get(f"/reports/receivables?as_of={bad}")
    assert response.status_code == 422
    assert "YYYY-MM-DD" in error_beside(response, "as_of") or "between" in error_beside(
        response, "as_of"
    )
    assert "Acme Dental" not in text(response)
    assert admin_client.get(f"/reports/receivables.csv?as_of={bad}").status_code == 422


def test_the_csv_download(admin_client, owed):
    response = admin_client.get("/reports/receivables.csv?as_of=2026-12-03")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="receivables-2026-12-03.csv"' in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True).splitlines() == [
        "Customer,Currency,Current,1–30 days,31–60 days,61–90 days,Over 90 days,Total",
        "Zeta GmbH,EUR,99.00,0.00,0.00,0.00,0.00,99.00",
        "Acme Dental,USD,0.00,1250.00,0.00,0.00,400.00,1650.00",
    ]


def test_the_drill_down_lists_the_invoices_behind_a_figure(admin_client, owed):
    acme = owed["acme"]
    response = admin_client.get(
        f"/reports/receivables/invoices?customer={acme.id}&currency=USD&bucket=1-30&as_of=2026-12-03"
    )
    assert response.status_code == 200
    page = squeeze(response)
    assert "1 invoice owed on Dec 3, 2026 by Acme Dental, 1–30 days past due: $1,250.00" in page
    assert "INV-0101 Acme Dental Oct 21, 2026 Nov 20, 2026 13 $2,500.00 $1,250.00" in page
    assert f'href="/invoices/{owed["late"].id}">INV-0101</a>' in text(response)
    everyone = squeeze(admin_client.get("/reports/receivables/invoices?currency=usd&bucket=total"))
    assert "2 invoices owed on Dec 3, 2026, of every age: $1,650.00" in everyone
    assert everyone.index("INV-0102") < everyone.index("INV-0101")  # oldest due first


@pytest.mark.parametrize(
    ("query", "status", "said"),
    [
        ("currency=USD&bucket=91plus", 422, "Choose a bucket"),
        ("currency=US", 422, "is not a currency code"),
        ("currency=USD&customer=abc", 422, "is not a customer id"),
        ("currency=USD&customer=99999999999999999999", 422, "is not a customer id"),
        ("currency=USD&customer=987654", 404, "There is no customer #987654"),
        ("currency=USD&as_of=2026-99-01", 422, "is not a date"),
    ],
)
def test_a_bad_drill_down_query_is_refused_in_words(admin_client, owed, query, status, said):
    response = admin_client.get(f"/reports/receivables/invoices?{query}")
    assert response.status_code == status
    assert said in text(response)


def test_the_page_reads_the_same_statements_for_more_rows(admin_client, owed, count_queries):
    admin_client.get("/reports/receivables")  # warm: the user and settings kept per worker
    with count_queries() as few:
        admin_client.get("/reports/receivables")
    for n in range(15):
        customer = make_customer(name=f"Client {n:02}")
        _sent(customer, 1000 + n, date(2026, 9, 1), date(2026, 9, 1 + n), f"INV-2{n:03}")
    admin_client.get("/reports/receivables")  # warm again: new customers change the version
    with count_queries() as many:
        response = admin_client.get("/reports/receivables")
    assert "Client 14" in text(response)
    assert len(many) == len(few) == 2  # the cache version, the report


def test_the_statement_page(admin_client, owed):
    acme = owed["acme"]
    response = admin_client.get(f"/customers/{acme.id}/statement?start=2026-11-01&end=2026-11-30")
    assert response.status_code == 200
    page = squeeze(response)
    # opening: 2,500.00 + 400.00 + 30.00 invoiced - 30.00 paid before November
    assert "Opening balance $2,900.00" in page
    assert "Nov 25, 2026 Payment received Bank transfer -$1,250.00 $1,650.00" in page
    assert "Closing balance $1,650.00" in page
    assert "Acme Dental owes $1,650.00 at the end of Nov 30, 2026" in page
    body = text(response)
    query = "start=2026-11-01&amp;end=2026-11-30&amp;currency=USD".replace("&amp;", "&")
    assert f"/customers/{acme.id}/statement.pdf?{query}" in body
    assert f"/customers/{acme.id}/statement.csv?{query}" in body
    assert f"/customers/{acme.id}/statement/send?{query}" in body


def test_the_statement_defaults_to_last_month_to_today_and_says_a_credit(admin_client, owed):
    acme = owed["acme"]
    make_payment(acme, 500000, {}, payment_date=date(2026, 12, 2))
    page = squeeze(admin_client.get(f"/customers/{acme.id}/statement"))
    assert "Nov 1, 2026 – Dec 3, 2026, in USD" in page
    assert "Closing balance $3,350.00 credit" in page
    assert (
        "Acme Dental has a credit of $3,350.00 : the closing balance is in the customer's favour"
        in page
    )


@pytest.mark.parametrize(
    ("query", "field", "said"),
    [
        ("start=2026-11-31", "start", "is not a date"),
        ("end=yesterday", "end", "is not a date"),
        ("start=2026-11-30&end=2026-11-01", "end", "before its start"),
        ("currency=JPY", "currency", "Choose a currency of this customer: USD"),
    ],
)
def test_a_bad_statement_query_is_422_beside_its_field(admin_client, owed, query, field, said):
    acme = owed["acme"]
    response = admin_client.get(f"/customers/{acme.id}/statement?{query}")
    assert response.status_code == 422
    assert said in error_beside(response, field)
    assert "Opening balance" not in text(response)
    assert admin_client.get(f"/customers/{acme.id}/statement.csv?{query}").status_code == 422
    assert admin_client.get(f"/customers/{acme.id}/statement.pdf?{query}").status_code == 422


def test_an_unknown_customer_is_404(admin_client, owed):
    for path in ("statement", "statement.pdf", "statement.csv", "statement/send"):
        assert admin_client.get(f"/customers/987654/statement{path[9:]}").status_code == 404


def test_the_statement_downloads(admin_client, owed):
    acme = owed["acme"]
    query = "start=2026-11-01&end=2026-11-30"
    pdf = admin_client.get(f"/customers/{acme.id}/statement.pdf?{query}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    name = "statement-Acme-Dental-USD-2026-11-01-2026-11-30"
    assert f'attachment; filename="{name}.pdf"' == pdf.headers["Content-Disposition"]
    csv = admin_client.get(f"/customers/{acme.id}/statement.csv?{query}")
    assert csv.mimetype == "text/csv"
    assert (
        csv.get_data(as_text=True).splitlines()[-1] == "2026-11-30,Closing balance,,,,1650.00,USD"
    )


def test_sending_a_statement(admin_client, owed, app):
    acme = owed["acme"]
    url = f"/customers/{acme.id}/statement/send?start=2026-11-01&end=2026-11-30"
    form = admin_client.get(url)
    assert form.status_code == 200
    assert re.search(
        r'<textarea[^>]*name="recipients"[^>]*>\s*ap@acme-dental.com</textarea>', text(form)
    )
    assert "Statement of account Nov 1, 2026 – Nov 30, 2026" in text(form)
    refused = admin_client.post(url, data={"recipients": "nobody", "subject": "S", "body": "B"})
    assert refused.status_code == 422 and "nobody" in error_beside(refused, "recipients")
    sent = admin_client.post(url, data={"recipients": "ap@acme-dental.com", "subject": "Yours",
                                        "body": "Attached."})  # fmt: skip
    assert sent.status_code == 302
    assert "statement?start=2026-11-01&end=2026-11-30&currency=USD" in sent.headers["Location"]
    outbox = list(
        (__import__("pathlib").Path(app.instance_path) / "outbox").glob("statement-Acme*")
    )
    assert outbox


def test_a_mail_server_that_refuses_is_told_and_nothing_changes(admin_client, owed, app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=9)
    acme = owed["acme"]
    response = admin_client.post(f"/customers/{acme.id}/statement/send",
                                 data={"recipients": "ap@acme-dental.com", "subject": "S",
                                       "body": "B"})  # fmt: skip
    assert response.status_code == 502
    assert "Could not reach the mail server 127.0.0.1:9" in text(response)


def test_only_billing_users_see_reports_and_only_admins_send(
    app, client, owed, technician, billing_tech_client
):
    acme = owed["acme"]
    assert billing_tech_client.get("/reports/receivables").status_code == 200
    assert billing_tech_client.get(f"/customers/{acme.id}/statement").status_code == 200
    assert billing_tech_client.get(f"/customers/{acme.id}/statement/send").status_code == 403
    technician.can_see_billing = False
    db.session.commit()
    paths = ["/reports/receivables", "/reports/receivables.csv",
             "/reports/receivables/invoices?currency=USD", f"/customers/{acme.id}/statement",
             f"/customers/{acme.id}/statement.pdf", f"/customers/{acme.id}/statement.csv",
             f"/customers/{acme.id}/statement/send"]  # fmt: skip
    for path in paths:
        response = billing_tech_client.get(path)
        assert response.status_code == 403, path
        assert "Billing (invoices, batches and their amounts) is not open to you" in text(response)
    assert "Reports</a>" not in text(billing_tech_client.get("/customers"))


def test_customer_rows_come_fifty_a_page_and_the_totals_cover_all(admin_client, app):
    for n in range(60):
        customer = make_customer(name=f"Client {n:02}", currency="USD")
        _sent(customer, 1000, date(2026, 11, 1), date(2026, 11, 30), f"INV-3{n:03}")
    first = admin_client.get("/reports/receivables")
    page = squeeze(first)
    assert "Customers 1–50 of 60" in page and "Client 49" in page and "Client 50" not in page
    assert "Total USD – $600.00 – – – $600.00" in page  # 60 x 10.00, 3 days late
    assert "Page 1 of 2" in page
    second = squeeze(admin_client.get("/reports/receivables?page=2"))
    assert "Customers 51–60 of 60" in second and "Client 50" in second and "Client 49" not in second
    beyond = squeeze(admin_client.get("/reports/receivables?page=99"))
    assert "Customers 51–60 of 60" in beyond
    assert "Client 00" in squeeze(admin_client.get("/reports/receivables?page=x"))
    drill = squeeze(admin_client.get("/reports/receivables/invoices?currency=USD&page=2"))
    assert "60 invoices owed on Dec 3, 2026, of every age: $600.00" in drill
    assert "Invoices 51–60 of 60" in drill and "INV-3059" in drill and "INV-3000" not in drill
