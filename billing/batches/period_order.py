"""Which periods a contract charges in a batch: in order, catching up what was skipped.

A contract's periods are billed in order, so that a block's balance, a retainer's months and a
per-unit count are charged once each and in the order they happened:

- a batch that reaches a period while an earlier ended period of the same contract is unbilled
  bills the earlier ones too ("catch-up"), each with its own dates on the invoice;
- a period earlier than one already billed is refused for that contract, with the reason;
- a contract never billed here that started more than :data:`CATCH_UP_LIMIT` periods before
  the batch is taken over from another system: its earlier periods were billed there, and its
  billing here starts with the batch (as its block balance starts with its first ledger entry).

Contracts that charge nothing per period (hourly work without services) have no order to keep.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from billing.contracts.periods import Period, period_containing, periods_ending_within
from models import BillingPeriod, Contract

CATCH_UP_LIMIT = 3


@dataclass
class PeriodPlan:
    """The periods a contract charges in a batch (catch-up ones first), or why it is locked."""

    periods: list[Period] = field(default_factory=list)
    catch_up: list[Period] = field(default_factory=list)
    reason: str | None = None


def month_label(period: Period) -> str:
    """``Oct 2026`` for a month, else the period's dates."""
    if period.start.day == 1 and period_containing(BillingPeriod.MONTHLY, period.start) == period:
        return f"{period.start:%b %Y}"
    return period.label()


def _running(contract: Contract, period: Period) -> bool:
    return period.clip(contract.start_date, contract.end_date) is not None


def _following(kind: BillingPeriod, period: Period) -> Period:
    return period_containing(kind, period.end + timedelta(days=1))


def plan_periods(
    contract: Contract,
    start: date,
    end: date,
    charged: set[date],
    today: date,
    *,
    ordered: bool = True,
) -> PeriodPlan:
    """The recurring periods ``contract`` charges in a batch from ``start`` to ``end``.

    ``charged`` holds the starts of the periods already billed; ``ordered`` is False for a
    contract that charges nothing per period (its periods need no order).
    """
    kind = contract.billing_period
    periods = [p for p in periods_ending_within(kind, start, end) if _running(contract, p)]
    if not periods:
        current = period_containing(kind, end)
        return PeriodPlan(
            reason=f"Its {kind.value} period {current.label()} ends after this batch."
        )
    unfinished = [p for p in periods if p.end > today]
    if unfinished:
        return PeriodPlan(
            reason=f"Its {kind.value} period {unfinished[0].label()} has not ended yet."
        )
    wanted = [p for p in periods if p.start not in charged]
    if not ordered or not wanted:
        return PeriodPlan(wanted)
    if charged:
        last = period_containing(kind, max(charged))
        early = [p for p in wanted if p.start < last.start]
        if early:
            return PeriodPlan(
                reason=f"{month_label(early[0])} comes before {month_label(last)}, which is "
                "already billed: a contract's periods are billed in order, so this one can "
                "no longer be."
            )
        period = _following(kind, last)
    else:
        period = period_containing(kind, contract.start_date)
    missing = []
    while period.start < wanted[0].start:
        if _running(contract, period) and period.start not in charged:
            missing.append(period)
        period = _following(kind, period)
    if not charged and len(missing) > CATCH_UP_LIMIT:
        missing = []  # taken over from another system: its billing here starts now
    return PeriodPlan(missing + wanted, missing)
