"""The Billing page over HTTP: its rows, filters, sorts, pages, totals, htmx, bulk status."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from billing import process_cache
from models import Customer, Invoice, InvoiceBatch, InvoiceEvent, InvoiceStatus, db

D, S, E, P, R = (
    InvoiceStatus.DRAFT,
    InvoiceStatus.SENT,
    InvoiceStatus.EXPORTED,
    InvoiceStatus.PAID,
    InvoiceStatus.REFUNDED,
)
HX = {"HX-Request": "true"}


def _customer(name: str, currency: str = "USD") -> Customer:
    customer = Customer(name=name, currency=currency)
    db.session.add(customer)
    db.session.flush()
    return customer


def _batch(name: str) -> InvoiceBatch:
    batch = InvoiceBatch(name=name, period_start=date(2020, 2, 1), period_end=date(2020, 2, 29))
    db.session.add(batch)
    db.session.flush()
    return batch


def _invoice(number, customer, status=D, issued=(2020, 1, 1), due=(2099, 1, 1), total=0, **extra):
    invoice = Invoice(
        number=number,
        customer=customer,
        status=status,
        issue_date=date(*issued),
        due_date=date(*due),
        total_minor=total,
        subtotal_minor=total,
        currency=extra.pop("currency", customer.currency),
        bill_to_name=customer.name,
        **extra,
    )
    db.session.add(invoice)
    return invoice


@pytest.fixture
def book(app):
    """Six invoices whose order differs under each sort (names agree under any collation)."""
    acme, bistro = _customer("Acme Dental"), _customer("Bistro 100% Fresh", "EUR")
    cafe, deli = _customer("Cafe 1000 Seats"), _customer("Deli A_B", "EUR")
    eatery = _customer("Eatery AXB")
    march = _batch("March run")
    _invoice("INV-0001", eatery, P, (2020, 4, 1), (2020, 5, 1), 10000)
    _invoice("INV-0002", acme, S, (2020, 1, 10), (2020, 2, 9), 25050)  # overdue
    _invoice("INV-0003", bistro, D, (2020, 3, 1), (2099, 1, 1), 7500, batch=march)
    _invoice("INV-0004", cafe, E, (2020, 3, 1), (2098, 1, 1), 99900, batch=march)
    _invoice("INV-0005", deli, R, (2020, 2, 15), (2020, 3, 16), 1999)
    _invoice("INV-0006", acme, S, (2020, 5, 20), (2099, 6, 19), 50000)
    db.session.commit()
    return {"acme": acme.id, "march": march.id}


def _numbers(html: str) -> list[str]:
    """The invoice numbers of the listed rows, in order."""
    return re.findall(r'aria-label="Select (INV-\d+)"', html)


def _short(*ns: int) -> list[str]:
    return [f"INV-{n:04d}" for n in ns]


def _page(client, query: str = "", **kwargs) -> str:
    response = client.get(f"/billing{query}", **kwargs)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _row(html: str, number: str) -> str:
    return re.search(rf'<tr id="invoice-\d+">(?:(?!</tr>).)*{number}.*?</tr>', html, re.S).group(0)


# --- the list -----------------------------------------------------------------------------


def test_lists_invoices_newest_number_first_with_their_columns(admin_client, book):
    html = _page(admin_client)
    assert _numbers(html) == _short(6, 5, 4, 3, 2, 1)
    draft = db.session.scalar(sa.select(Invoice).where(Invoice.number == "INV-0003"))
    row = _row(html, "INV-0003")
    assert f'href="/invoices/{draft.id}"' in row
    assert "Bistro 100% Fresh" in row and "Mar 1, 2020" in row and "Jan 1, 2099" in row
    assert f'<a href="/batches/{book["march"]}">March run</a>' in row
    assert "badge-draft" in row and ">Draft<" in row and "€75.00" in row
    assert 'aria-sort="descending"' in html  # the number column, the default sort


def test_overdue_is_sent_or_exported_past_due_with_its_days_late(app, admin_client):
    app.config["BILLING_TODAY"] = "2026-03-31"
    acme = _customer("Acme Dental")
    _invoice("INV-0001", acme, S, (2026, 3, 1), (2026, 3, 19))
    _invoice("INV-0002", acme, E, (2026, 3, 1), (2026, 3, 30))
    _invoice("INV-0003", acme, D, (2026, 1, 1), (2026, 1, 31))  # a Draft was never sent
    _invoice("INV-0004", acme, P, (2026, 1, 1), (2026, 1, 31))
    _invoice("INV-0005", acme, R, (2026, 1, 1), (2026, 1, 31))
    _invoice("INV-0006", acme, S, (2026, 3, 1), (2026, 3, 31))  # due today: not late yet
    db.session.commit()
    html = _page(admin_client)

    def badge(number: str) -> str | None:
        found = re.search(r'<span class="badge badge-overdue">([^<]*)</span>', _row(html, number))
        return found.group(1) if found else None

    assert badge("INV-0001") == "Overdue · 12 days"
    assert badge("INV-0002") == "Overdue · 1 day"
    assert [badge(f"INV-000{n}") for n in (3, 4, 5, 6)] == [None] * 4
    # The Overdue filter (SQL) and the badges (Python) apply the same rule.
    assert _numbers(_page(admin_client, "?status=overdue")) == _short(2, 1)


def test_numbers_sort_naturally_past_9999(admin_client):
    customer = _customer("Acme")
    for number in ("INV-9998", "INV-10000", "INV-9999"):
        _invoice(number, customer)
    db.session.commit()
    assert _numbers(_page(admin_client)) == ["INV-10000", "INV-9999", "INV-9998"]
    assert _numbers(_page(admin_client, "?sort=number")) == ["INV-9998", "INV-9999", "INV-10000"]


def test_empty_list_says_so(admin_client):
    html = _page(admin_client)
    assert "No invoices yet" in html and _numbers(html) == []


# --- filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=sent", (6, 2)),
        ("?status=draft", (3,)),
        ("?status=refunded", (5,)),
        ("?status=overdue", (2,)),
        ("?from=2020-02-01&to=2020-03-31", (5, 4, 3)),
        ("?from=2020-04-01", (6, 1)),
        ("?to=2020-01-31", (2,)),
        ("?q=100%25", (3,)),  # a literal %: "Cafe 1000 Seats" does not match
        ("?q=a_b", (5,)),  # a literal _ (and any case): "Eatery AXB" does not match
        ("?q=ACME", (6, 2)),
        ("?q=inv-0004", (4,)),
        ("?q=nobody", ()),
        ("?status=sent&q=eatery", ()),
    ],
)
def test_filters(admin_client, book, query, expected):
    html = _page(admin_client, query)
    assert _numbers(html) == _short(*expected)
    if not expected:
        assert "No invoice matches these filters." in html


def test_customer_and_batch_filters(admin_client, book):
    assert _numbers(_page(admin_client, f"?customer={book['acme']}")) == _short(6, 2)
    html = _page(admin_client, f"?batch={book['march']}")
    assert _numbers(html) == _short(4, 3)
    assert f'<option value="{book["march"]}" selected>March run</option>' in html


def test_unknown_filter_values_are_ignored(admin_client, book):
    html = _page(admin_client, "?status=lost&customer=abc&batch=-1&from=someday&q=%20")
    assert _numbers(html) == _short(6, 5, 4, 3, 2, 1)
    assert 'name="next" value="/billing"' in html  # and left out of the page's links


def test_filter_form_reflects_the_url(admin_client, book):
    html = _page(admin_client, "?status=overdue&q=acme&from=2020-01-01")
    assert '<option value="overdue" selected>Overdue</option>' in html
    assert 'name="q" value="acme"' in html and 'name="from" value="2020-01-01"' in html
    assert 'method="get" action="/billing"' in html  # works without JavaScript


# --- sorting ------------------------------------------------------------------------------

ASCENDING = {
    "number": (1, 2, 3, 4, 5, 6),
    "date": (2, 5, 3, 4, 1, 6),
    "customer": (2, 6, 3, 4, 5, 1),
    "total": (5, 3, 1, 2, 6, 4),
    "status": (3, 4, 1, 5, 2, 6),
    "due": (2, 5, 1, 4, 3, 6),
}


@pytest.mark.parametrize("key", ASCENDING)
def test_each_sort_both_ways(admin_client, book, key):
    html = _page(admin_client, f"?sort={key}")
    assert _numbers(html) == _short(*ASCENDING[key])
    toggle = "/billing" if key == "number" else f"/billing?sort=-{key}"  # -number: the default
    assert re.search(rf'aria-sort="ascending">\s*<a href="{re.escape(toggle)}"', html)
    html = _page(admin_client, f"?sort=-{key}")
    assert _numbers(html) == _short(*reversed(ASCENDING[key]))
    toggle = f"/billing?sort={key}"
    assert re.search(rf'aria-sort="descending">\s*<a href="{re.escape(toggle)}"', html)


def test_sort_links_keep_the_filters_and_the_form_keeps_the_sort(admin_client, book):
    html = _page(admin_client, "?status=sent&sort=-total&page=1")
    assert _numbers(html) == _short(6, 2)
    assert 'href="/billing?status=sent&amp;sort=total"' in html
    assert 'href="/billing?status=sent&amp;sort=date"' in html
    assert '<input type="hidden" name="sort" value="-total" form="billing-filters">' in html


def test_unknown_sort_falls_back_to_the_default(admin_client, book):
    assert _numbers(_page(admin_client, "?sort=-password")) == _short(6, 5, 4, 3, 2, 1)


# --- pages --------------------------------------------------------------------------------


@pytest.fixture
def sixty(app):
    customers = [_customer(f"Customer {i:02d}") for i in range(6)]
    batches = [_batch(f"Batch {i}") for i in range(3)]
    for n in range(1, 61):
        _invoice(f"INV-{n:04d}", customers[n % 6], S, total=100 * n, batch=batches[n % 3])
    db.session.commit()


def test_first_and_next_page(admin_client, sixty):
    first = _page(admin_client, "?status=sent")
    assert _numbers(first) == _short(*range(60, 10, -1))
    assert (
        'href="/billing?status=sent&amp;page=2" hx-get="/billing?status=sent&amp;page=2"' in first
    )
    assert 'rel="prev"' not in first and "Page 1 · 1–50" in first
    second = _page(admin_client, "?status=sent&page=2")
    assert _numbers(second) == _short(*range(10, 0, -1))
    assert 'href="/billing?status=sent" hx-get="/billing?status=sent" rel="prev"' in second
    assert 'rel="next"' not in second and "Page 2 · 51–60" in second


def test_a_page_past_the_end_is_empty_with_a_way_back(admin_client, sixty):
    html = _page(admin_client, "?page=9")
    assert _numbers(html) == [] and "No invoices on this page." in html


# --- htmx ---------------------------------------------------------------------------------


def test_htmx_gets_the_results_fragment_with_the_same_rows(admin_client, book):
    query = "?status=sent&sort=total"
    full = admin_client.get(f"/billing{query}")
    fragment = admin_client.get(f"/billing{query}", headers=HX)
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    body = fragment.get_data(as_text=True)
    assert "<html" not in body
    assert 'id="invoice-results"' in body and 'id="billing-filters"' not in body
    assert _numbers(body) == _numbers(full.get_data(as_text=True)) == _short(2, 6)
    assert "<html" in full.get_data(as_text=True)


def test_htmx_gets_the_tidy_url_pushed(admin_client, book):
    response = admin_client.get("/billing?q=&status=sent&customer=&batch=&from=&to=", headers=HX)
    assert response.headers["HX-Push-Url"] == "/billing?status=sent"


@pytest.mark.parametrize("header", ["HX-Boosted", "HX-History-Restore-Request"])
def test_boosted_and_history_restore_requests_get_the_full_page(admin_client, book, header):
    html = _page(admin_client, headers={**HX, header: "true"})
    assert "<html" in html and 'id="billing-filters"' in html


# --- totals -------------------------------------------------------------------------------


def _totals(html: str) -> dict[str, tuple[int, str]]:
    rows = re.findall(
        r'data-currency="(\w+)">\s*<th[^>]*>Total \w+ · (\d+) invoices?</th>\s*'
        r'<td class="num">([^<]+)</td>',
        html,
    )
    return {currency: (int(count), amount) for currency, count, amount in rows}


def test_totals_of_the_filtered_set_per_currency(admin_client, book):
    html = _page(admin_client, "?from=2020-01-01")
    # USD: 10000 + 25050 + 99900 + 50000; EUR: 7500 + 1999
    assert _totals(html) == {"EUR": (2, "€94.99"), "USD": (4, "$1,849.50")}
    assert _totals(_page(admin_client, "?status=sent")) == {"USD": (2, "$750.50")}
    assert _totals(_page(admin_client, "?q=nobody")) == {}


def test_a_longer_filtered_list_loads_its_totals_after_its_rows(admin_client, sixty):
    html = _page(admin_client, "?status=sent&page=2")
    assert _totals(html) == {}  # the rows do not wait for the sum
    assert 'hx-get="/billing/totals?status=sent"' in html and 'hx-trigger="load"' in html
    assert 'href="/billing?status=sent&amp;page=2&amp;totals=1"' in html  # without JavaScript
    footer = admin_client.get("/billing/totals?status=sent", headers=HX).get_data(as_text=True)
    assert footer.strip().startswith('<tfoot id="list-totals">')
    assert _totals(footer) == {"USD": (60, "$1,830.00")}  # 100 * (1 + ... + 60) cents
    no_js = _page(admin_client, "?status=sent&page=2&totals=1")
    assert _totals(no_js) == {"USD": (60, "$1,830.00")}
    assert no_js.count('name="ids"') == 10  # still page 2
    plain = admin_client.get("/billing/totals?status=sent")
    assert plain.status_code == 302 and plain.location == "/billing?status=sent&totals=1"


def test_unfiltered_totals_without_counting_the_whole_table(admin_client, sixty):
    html = _page(admin_client)
    assert _totals(html) == {} and "Filter the list to see its totals." in html


def test_unfiltered_totals_when_the_list_fits_one_page(admin_client, book):
    assert _totals(_page(admin_client)) == {"EUR": (2, "€94.99"), "USD": (4, "$1,849.50")}


# --- query count --------------------------------------------------------------------------


def _make_invoices(count: int) -> None:
    batch = _batch(f"Run {count}")
    for n in range(1, count + 1):
        customer = _customer(f"Client {count}-{n:03d}")
        _invoice(f"INV-{count:02d}{n:03d}", customer, S, total=n, batch=batch if n % 2 else None)
    db.session.commit()


@pytest.mark.parametrize("query", ["", "?status=sent&sort=customer", "?q=n"])
@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "fragment"])
def test_statement_count_does_not_grow_with_the_invoices(
    app, admin_client, count_queries, query, headers
):
    counts = []
    for size in (5, 60):
        db.session.execute(sa.delete(Invoice))
        _make_invoices(size)
        with count_queries() as log:
            html = _page(admin_client, query, headers=headers)
        assert len(_numbers(html)) == min(size, 50)
        counts.append(len(log))
    assert counts[0] == counts[1], counts


# --- selection and bulk status --------------------------------------------------------------


def _ids(*numbers: str) -> list[int]:
    return [db.session.scalar(sa.select(Invoice.id).where(Invoice.number == n)) for n in numbers]


def _statuses() -> dict[str, InvoiceStatus]:
    return dict(db.session.execute(sa.select(Invoice.number, Invoice.status)).all())


def test_toolbar_posts_the_ticked_ids_and_keeps_the_view(admin_client, book):
    html = _page(admin_client, "?status=sent&sort=total")
    assert '<form id="bulk-actions" method="post"' in html
    for url in ("/invoices/bulk/send", "/invoices/bulk/pdf", "/billing/bulk/status"):
        assert f'formaction="{url}"' in html
    assert 'name="next" value="/billing?status=sent&amp;sort=total"' in html
    assert len(re.findall(r'<input type="checkbox" name="ids" value="\d+"', html)) == 2


def test_technicians_get_the_pdf_button_only(billing_tech_client, book):
    html = _page(billing_tech_client)
    assert 'formaction="/invoices/bulk/pdf"' in html and _numbers(html)
    assert 'formaction="/billing/bulk/status"' not in html and ">Send<" not in html


def test_bulk_status_applies_the_allowed_and_reports_the_refused(admin_client, admin, book):
    back = "/billing?status=sent&sort=-total"
    ids = _ids("INV-0001", "INV-0002", "INV-0003")  # Paid, Sent, Draft
    response = admin_client.post(
        "/billing/bulk/status", data={"ids": ids, "status": "refunded", "next": back}
    )
    assert response.status_code == 302 and response.location == back
    statuses = _statuses()
    assert (statuses["INV-0001"], statuses["INV-0002"], statuses["INV-0003"]) == (R, S, D)
    events = db.session.execute(
        sa.select(
            InvoiceEvent.invoice_number, InvoiceEvent.from_status, InvoiceEvent.to_status
        ).where(InvoiceEvent.user_id == admin.id)
    ).all()
    assert events == [("INV-0001", "paid", "refunded")]
    html = _page(admin_client, back.removeprefix("/billing"))
    assert "1 invoice changed to Refunded: INV-0001." in html
    assert (
        "Not changed: INV-0002: cannot become Refunded; INV-0003: cannot become Refunded." in html
    )


def test_bulk_status_says_which_were_already_there(admin_client, book):
    ids = _ids("INV-0001", "INV-0002", "INV-0003")  # Paid, Sent, Draft
    response = admin_client.post("/billing/bulk/status", data={"ids": ids, "status": "paid"})
    assert response.location == "/billing"
    assert {n: s for n, s in _statuses().items() if n <= "INV-0003"} == dict.fromkeys(
        _short(1, 2, 3), P
    )
    html = _page(admin_client)
    assert "2 invoices changed to Paid: INV-0002, INV-0003." in html
    assert "1 invoice was already Paid." in html and "Not changed" not in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "paid"}, "Select at least one invoice first."),
        ({"ids": ["1"], "status": "lost"}, "Choose the status to give the selected invoices."),
    ],
)
def test_bulk_status_needs_invoices_and_a_status(admin_client, book, data, message):
    before = _statuses()
    response = admin_client.post("/billing/bulk/status", data={**data, "next": "/billing?q=a"})
    assert response.status_code == 302 and response.location == "/billing?q=a"
    assert message in _page(admin_client, "?q=a") and _statuses() == before


@pytest.mark.parametrize(
    "target", ["https://evil.example/billing", "//evil.example/billing", "/\\evil.example", ""]
)
def test_bulk_status_follows_local_paths_only(admin_client, book, target):
    data = {"ids": _ids("INV-0003"), "status": "sent", "next": target}
    response = admin_client.post("/billing/bulk/status", data=data)
    assert response.status_code == 302 and response.location == "/billing"
    assert _statuses()["INV-0003"] == S


def test_bulk_status_is_for_admins_only(tech_client, book):
    before = _statuses()
    data = {"ids": _ids("INV-0003"), "status": "sent"}
    assert tech_client.post("/billing/bulk/status", data=data).status_code == 403
    assert _statuses() == before


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_bulk_status_is_csrf_protected(admin_client, book, app_config):
    data = {"ids": _ids("INV-0003"), "status": "sent"}
    assert admin_client.post("/billing/bulk/status", data=data).status_code == 400
    assert _statuses()["INV-0003"] == D
    token = re.search(r'name="csrf_token" value="([^"]+)"', _page(admin_client)).group(1)
    response = admin_client.post("/billing/bulk/status", data={**data, "csrf_token": token})
    assert response.status_code == 302 and _statuses()["INV-0003"] == S


def test_the_batch_filtered_on_stays_in_the_form_when_older_than_the_choices(
    admin_client, book, monkeypatch
):
    _batch("April run")
    db.session.commit()
    monkeypatch.setattr(process_cache, "BATCH_CHOICES", 1)
    html = _page(admin_client, f"?batch={book['march']}")
    assert f'<option value="{book["march"]}" selected>March run</option>' in html
    assert "April run" not in html
