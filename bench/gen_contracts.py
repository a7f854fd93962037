"""Benchmark data: contracts of every type with their terms, rates, services and unit counts.

Start and end dates fall on month boundaries, so no period is prorated and each monthly charge
is the plain price that ``billing.batches.rules`` would bill for it.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from bench import gen_text as text
from bench.gen_db import insert_rows
from bench.gen_model import (
    BLOCK_KINDS,
    HOURLY_KINDS,
    RATES,
    TYPE_WEIGHTS,
    Con,
    Cust,
    T,
    at,
    convert,
    spread,
)
from demo.build import month_start
from models import (
    BillingPeriod,
    Contract,
    ContractRate,
    ContractService,
    ContractType,
    ContractUnitCount,
)


def _spread_counts(rng: random.Random, total: int, slots: int) -> list[int]:
    """``total`` split over ``slots``, each at least one when there are enough."""
    return spread(rng, total, slots, minimum=1 if total >= slots else 0)


def _types(rng: random.Random, count: int) -> list[ContractType]:
    kinds = list(TYPE_WEIGHTS)[: min(count, len(TYPE_WEIGHTS))]
    weights = list(TYPE_WEIGHTS.values())
    kinds += rng.choices(list(TYPE_WEIGHTS), weights, k=count - len(kinds))
    rng.shuffle(kinds)
    return kinds


def build_contracts(rng, custs, count, taxes, products, window_start, today) -> list[Con]:
    """Insert ``count`` contracts over the customers (the first of each is its default)."""
    per_customer = _spread_counts(rng, count, len(custs))
    kinds = _types(rng, count)
    licences = [p for p in products if p[5] == "Software licenses"]
    months_in = max(
        1, (today.year * 12 + today.month) - (window_start.year * 12 + window_start.month)
    )
    result: list[Con] = []
    for cust, n in zip(custs, per_customer, strict=True):
        for _ in range(n):
            kind = kinds[len(result)]
            con = _contract(rng, len(result) + 1, cust, kind, taxes, window_start, months_in, today)
            if kind in (T.RETAINER, T.PER_UNIT) and rng.random() < 0.6:
                for product_id, _sku, name, price, _tax, _cat in rng.sample(licences, 2):
                    qty = rng.randint(3, 60) * 1000
                    con.services.append((product_id, name, qty, convert(price, cust.currency)))
            result.append(con)
    _insert_contracts(result, custs)
    return result


def _contract(rng, cid, cust, kind, taxes, window_start, months_in, today) -> Con:
    """One contract of ``kind`` with terms, dates (on month boundaries: no proration) and rates."""
    cur = cust.currency
    if kind in (T.PROJECT_FIXED, T.PROJECT_HOURLY):
        start = month_start(window_start, -rng.randrange(months_in))
        last = month_start(start, -rng.randint(2, 6)) - timedelta(days=1)
        end = last if last < today else None
        name = rng.choice(text.PROJECTS)
    else:
        start = month_start(window_start, rng.randint(0, 30))
        if rng.random() < 0.15:
            start = month_start(window_start, -rng.randrange(months_in))
        end = None
        if rng.random() < 0.06:
            last = month_start(start, -rng.randint(3, 18)) - timedelta(days=1)
            end = last if last < today else None
        name = ""
    taxable = not cust.exempt and rng.random() < (0.6 if kind in HOURLY_KINDS else 0.8)
    tax = taxes["sales" if cur == "USD" else cur] if taxable else None
    con = Con(cid, cust, kind, name, start, end, tax)
    terms: dict[str, Any] = {"rounding_minutes": 0, "rollover": False}
    if kind == T.RETAINER:
        con.name = rng.choice(["Managed IT - Gold", "Managed IT - Silver", "Managed IT - Platinum"])
        terms.update(quantity=1000, unit_price_minor=convert(rng.choice([1200, 1850, 2450, 3200,
                     4800]) * 100, cur))  # fmt: skip
    elif kind == T.PER_UNIT:
        label, name, price = rng.choice([("device", "Endpoint monitoring", 1200),
                                         ("user", "Per-user helpdesk", 3500),
                                         ("server", "Server management", 9900)])  # fmt: skip
        con.name = name
        terms.update(unit_label=label, unit_price_minor=convert(price, cur))
        count, day = rng.randint(5, 80), start
        con.counts.append((day, count))
        for _ in range(rng.randint(0, 2)):
            day = month_start(day, -rng.randint(2, 9))
            if day < today:
                count = max(1, count + rng.randint(-5, 8))
                con.counts.append((day, count))
    elif kind == T.BLOCK_HOURS:
        size = rng.choice([10, 20, 40])
        con.name = f"Support block, {size} hours"
        terms.update(
            block_minutes=size * 60,
            unit_price_minor=convert(size * 11_500, cur),
            overage_rate_minor=convert(13_500, cur),
            rollover=rng.random() < 0.5,
        )
    elif kind == T.BLOCK_MONEY:
        amount = convert(rng.choice([2_000, 5_000, 10_000]) * 100, cur)
        con.name = "Prepaid support funds"
        terms.update(block_amount_minor=amount, overage_rate_minor=convert(14_000, cur),
                     rollover=rng.random() < 0.5)  # fmt: skip
    elif kind == T.PROJECT_FIXED:
        terms.update(fixed_amount_minor=convert(rng.choice([4500, 8500, 12000, 25000]) * 100, cur))
    elif kind == T.HOURLY:
        con.name = "Time & materials support"
    if kind in (*HOURLY_KINDS, *BLOCK_KINDS):
        terms["rounding_minutes"] = rng.choice([0, 6, 15, 15])
        offered = [0] + [i for i in (1, 2, 3) if rng.random() < 0.5]
        for position, index in enumerate(offered):
            rate_name, price = RATES[index]
            special = cur != "USD" or rng.random() < 0.2
            own = convert(price * rng.choice([90, 100]) // 100, cur) if special else None
            con.rates[index + 1] = (rate_name, own if own is not None else price)
            terms.setdefault("_rates", []).append((index + 1, own, position == 0))
        con.primary_rate = 1
    con.terms = terms
    return con


def _insert_contracts(cons: list[Con], custs: list[Cust]) -> None:
    term_columns = ("quantity", "unit_price_minor", "unit_label", "rounding_minutes",
                    "block_minutes", "block_amount_minor", "overage_rate_minor", "rollover",
                    "fixed_amount_minor")  # fmt: skip
    period = {T.HOURLY: BillingPeriod.ON_DEMAND, T.PROJECT_FIXED: BillingPeriod.ONCE,
              T.PROJECT_HOURLY: BillingPeriod.ONCE}  # fmt: skip
    first = {c.id: True for c in custs}
    rows = []
    for con in cons:
        default = first.pop(con.customer.id, False)
        rows.append((con.id, con.customer.id, con.name, con.type.value,
                     period.get(con.type, BillingPeriod.MONTHLY).value, con.start, con.end,
                     con.end is None, default, con.tax is not None, con.tax and con.tax.id, "",
                     at(con.start, 9), *(con.terms.get(k) for k in term_columns)))  # fmt: skip
    insert_rows(
        Contract.__table__,
        ("id", "customer_id", "name", "type", "billing_period", "start_date", "end_date",
         "active", "is_default", "taxable", "tax_rate_id", "notes", "created_at", *term_columns),
        rows,
    )  # fmt: skip
    rate_rows = [(c.id, rid, own, primary) for c in cons for rid, own, primary in
                 c.terms.get("_rates", [])]  # fmt: skip
    insert_rows(
        ContractRate.__table__,
        ("id", "contract_id", "rate_id", "hourly_price_minor", "is_primary"),
        [(i, *row) for i, row in enumerate(rate_rows, 1)],
    )
    service_rows = [(c.id, pid, desc, qty, price, pos) for c in cons
                    for pos, (pid, desc, qty, price) in enumerate(c.services)]  # fmt: skip
    insert_rows(
        ContractService.__table__,
        ("id", "contract_id", "product_id", "description", "quantity", "unit_price_minor",
         "position"),
        [(i, *row) for i, row in enumerate(service_rows, 1)],
    )  # fmt: skip
    count_rows = [(c.id, day, n) for c in cons for day, n in c.counts]
    insert_rows(
        ContractUnitCount.__table__,
        ("id", "contract_id", "effective_date", "count"),
        [(i, *row) for i, row in enumerate(count_rows, 1)],
    )
