"""Billing periods: calendar months, quarters and years, and proration by days."""

from dataclasses import dataclass
from datetime import date, timedelta

from models import BillingPeriod

RECURRING = (BillingPeriod.MONTHLY, BillingPeriod.QUARTERLY, BillingPeriod.YEARLY)
_MONTHS = {BillingPeriod.MONTHLY: 1, BillingPeriod.QUARTERLY: 3, BillingPeriod.YEARLY: 12}


@dataclass(frozen=True, order=True)
class Period:
    """A closed range of days, ``start`` to ``end`` inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def clip(self, start: date, end: date | None) -> "Period | None":
        """The part of this period between ``start`` and ``end`` (None: open), if any."""
        first = max(self.start, start)
        last = min(self.end, end) if end else self.end
        return Period(first, last) if first <= last else None

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def label(self) -> str:
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_containing(kind: BillingPeriod, day: date) -> Period:
    """The calendar month, quarter or year that holds ``day``."""
    months = _MONTHS[kind]
    first_month = (day.month - 1) // months * months + 1
    start = date(day.year, first_month, 1)
    return Period(start, _add_months(start, months) - timedelta(days=1))


def periods_ending_within(kind: BillingPeriod, start: date, end: date) -> list[Period]:
    """The ``kind`` periods whose last day falls between ``start`` and ``end``, in order."""
    periods = []
    period = period_containing(kind, start)
    while period.start <= end:
        if start <= period.end <= end:
            periods.append(period)
        period = period_containing(kind, period.end + timedelta(days=1))
    return periods


def month_of(day: date) -> Period:
    """The calendar month holding ``day`` (for "this month" / "last month")."""
    return period_containing(BillingPeriod.MONTHLY, day)
