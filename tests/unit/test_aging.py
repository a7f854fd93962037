"""Aging buckets around the day boundaries, the report's figures from hand-made invoices, the
drill-down's due-date ranges, the CSV's plain amounts and the dates a report reads."""

from datetime import date, timedelta

import pytest

from billing.errors import ValidationFailed
from billing.reports.aging import (
    BUCKET_KEYS,
    OpenInvoice,
    age,
    bucket_of,
    check_bucket,
    due_between,
)
from billing.reports.csv_text import aging_csv, plain_amount
from billing.reports.dates import parse_day

AS_OF = date(2026, 12, 3)


def _open(balance: int, due: date, customer=(1, "Acme"), currency="USD", id_=1) -> OpenInvoice:
    return OpenInvoice(id_, f"INV-{id_}", customer[0], customer[1], currency,
                       due - timedelta(days=30), due, balance + 1000, balance)  # fmt: skip


@pytest.mark.parametrize(
    ("days_late", "bucket"),
    [
        (-5, "current"),
        (0, "current"),  # due today
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "over-90"),
        (4000, "over-90"),
    ],
)
def test_days_past_due_fall_in_their_bucket(days_late, bucket):
    assert bucket_of(days_late) == bucket
    invoice = _open(100, AS_OF - timedelta(days=days_late))
    assert invoice.days_past_due(AS_OF) == days_late
    report = age([invoice], AS_OF)
    assert report.rows[0].amounts == {k: (100 if k == bucket else 0) for k in BUCKET_KEYS}


def test_the_drill_down_due_dates_hold_exactly_the_bucket():
    for key in BUCKET_KEYS:
        earliest, latest = due_between(AS_OF, key)
        for days_late in range(-3, 200):
            due = AS_OF - timedelta(days=days_late)
            inside = (earliest is None or due >= earliest) and (latest is None or due <= latest)
            assert inside == (bucket_of(days_late) == key), (key, days_late)
    assert due_between(AS_OF, "total") == (None, None)
    assert due_between(AS_OF, "31-60") == (date(2026, 10, 4), date(2026, 11, 2))


def test_the_report_groups_per_customer_and_currency_and_totals_per_currency():
    acme, bolt = (1, "Acme"), (2, "bolt & co")
    invoices = [
        _open(10000, date(2026, 12, 10), acme, id_=1),  # current
        _open(2550, date(2026, 11, 3), acme, id_=2),  # 30 days: 1-30
        _open(4000, date(2026, 11, 2), acme, id_=3),  # 31 days: 31-60
        _open(700, date(2026, 8, 1), bolt, id_=4),  # 124 days: over 90
        _open(999, date(2026, 9, 4), bolt, id_=5),  # 90 days: 61-90
        _open(50000, date(2026, 9, 1), acme, "EUR", id_=6),  # 93 days: over 90
        _open(0, date(2026, 9, 1), bolt, id_=7),  # nothing owed: left out
    ]
    report = age(invoices, AS_OF)
    assert [g.currency for g in report.currencies] == ["EUR", "USD"]
    eur, usd = report.currencies
    assert [(r.customer_name, r.total_minor) for r in usd.rows] == [
        ("Acme", 16550),
        ("bolt & co", 1699),
    ]
    assert usd.rows[0].amounts == {"current": 10000, "1-30": 2550, "31-60": 4000, "61-90": 0,
                                   "over-90": 0}  # fmt: skip
    assert usd.rows[1].invoices == 2
    assert usd.totals == {"current": 10000, "1-30": 2550, "31-60": 4000, "61-90": 999,
                          "over-90": 700}  # fmt: skip
    assert usd.total_minor == 18249
    assert eur.totals["over-90"] == 50000 and eur.total_minor == 50000
    bars = {key: share for key, _, _, share in usd.bars()}
    assert bars["current"] == 1.0 and bars["over-90"] == pytest.approx(0.07)


def test_nothing_owed_is_an_empty_report():
    report = age([_open(0, AS_OF)], AS_OF)
    assert report.currencies == [] and report.rows == []


def test_the_csv_has_a_row_per_customer_and_currency_in_plain_decimals():
    invoices = [
        _open(123450, date(2026, 12, 3), (1, "=cmd Ltd")),
        _open(5000, date(2026, 10, 1), (2, "Kyoto KK"), "JPY", id_=2),
    ]
    text = aging_csv(age(invoices, AS_OF))
    assert text.splitlines() == [
        "Customer,Currency,Current,1–30 days,31–60 days,61–90 days,Over 90 days,Total",
        "Kyoto KK,JPY,0,0,0,5000,0,5000",  # 63 days past due
        "'=cmd Ltd,USD,1234.50,0.00,0.00,0.00,0.00,1234.50",
    ]
    assert plain_amount(-5, "USD") == "-0.05" and plain_amount(100000000, "EUR") == "1000000.00"


def test_a_bucket_must_be_one_of_the_five_or_total():
    assert check_bucket("61-90") == "61-90" and check_bucket("total") == "total"
    with pytest.raises(ValidationFailed) as refused:
        check_bucket("91+")
    assert refused.value.field == "bucket" and "over-90" in str(refused.value)


@pytest.mark.parametrize("raw", ["2026-13-01", "2026-02-30", "yesterday", "20261203",
                                 "2026-1-3", "٢٠٢٦-١٢-٠٣", "9" * 40])  # fmt: skip
def test_a_day_that_is_not_one_is_refused_in_words(raw):
    with pytest.raises(ValidationFailed) as refused:
        parse_day(raw, AS_OF, field="as_of")
    assert refused.value.field == "as_of" and "YYYY-MM-DD" in str(refused.value)


def test_days_are_read_blank_as_the_default_and_bounded():
    assert parse_day(" ", AS_OF, field="as_of") == AS_OF
    assert parse_day(" 2026-02-28 ", AS_OF, field="as_of") == date(2026, 2, 28)
    with pytest.raises(ValidationFailed, match="between 1900-01-01 and 2999-12-31"):
        parse_day("0001-01-01", AS_OF, field="start")
