"""Benchmark data, part one: settings, people, taxes, rates, products, customers, contracts.

Rows are inserted at once; what later parts need (customers, contracts with their effective
prices) is returned as light in-memory records, so nothing is read back from the database.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from bench import gen_text as text
from bench.gen_db import insert_rows
from billing import demo_data
from billing.demo import month_start
from billing.invoices import issuer_snapshot
from billing.money import div_half_up
from billing.settings import get_settings
from models import (
    BillingPeriod,
    Contract,
    ContractRate,
    ContractService,
    ContractType,
    ContractUnitCount,
    Customer,
    Product,
    Rate,
    Role,
    TaxRate,
    User,
    db,
)

T = ContractType
# Share of each contract type (every type appears at least once when there are 7 or more).
TYPE_WEIGHTS = {
    T.RETAINER: 25, T.HOURLY: 20, T.BLOCK_HOURS: 12, T.BLOCK_MONEY: 8,
    T.PER_UNIT: 20, T.PROJECT_FIXED: 8, T.PROJECT_HOURLY: 7,
}  # fmt: skip
HOURLY_KINDS = (T.HOURLY, T.PROJECT_HOURLY)
BLOCK_KINDS = (T.BLOCK_HOURS, T.BLOCK_MONEY)
# Minor units of a US dollar amount in each currency: (numerator, denominator).
FX = {"USD": (1, 1), "EUR": (92, 100), "GBP": (79, 100)}
# key: (name, percent x 10 000, default)
TAXES = {
    "sales": ("Sales tax 8.25%", 82_500, True),
    "hardware": ("Hardware tax 6.5%", 65_000, False),
    "EUR": ("VAT 21%", 210_000, False),
    "GBP": ("VAT 20%", 200_000, False),
}
RATES = [("Standard", 12_500), ("After hours", 18_750), ("Weekend", 25_000), ("Remote", 9_500)]


@dataclass(frozen=True, slots=True)
class Tax:
    """A tax rate as copied onto lines: id, name, percent scaled by 10 000."""

    id: int
    name: str
    percent: int


@dataclass(slots=True)
class Cust:
    id: int
    name: str
    currency: str
    exempt: bool
    address: str
    emails: str


@dataclass(slots=True, eq=False)
class Con:
    """A contract with what billing it needs: effective hourly prices, services, counts."""

    id: int
    customer: Cust
    type: ContractType
    name: str
    start: date
    end: date | None
    tax: Tax | None
    rates: dict[int, tuple[str, int]] = field(default_factory=dict)  # rate id -> name, price
    primary_rate: int | None = None
    services: list[tuple[int, str, int, int]] = field(
        default_factory=list
    )  # product, text, milli, price
    counts: list[tuple[date, int]] = field(default_factory=list)
    terms: dict[str, Any] = field(default_factory=dict)  # the Contract columns of its type

    def active_in(self, first: date, last: date) -> bool:
        """Whether the contract runs on some day from ``first`` to ``last``."""
        return self.start <= last and (self.end is None or self.end >= first)


@dataclass
class Catalog:
    """What the work and invoice parts build on."""

    today: date
    window_start: date
    admin_id: int
    people: list[int]
    taxes: dict[str, Tax]
    products: list[tuple[int, str, str, int, Tax | None]]  # id, sku, name, USD price, tax
    customers: list[Cust]
    contracts: list[Con]
    settings: Any
    issuer: dict[str, Any]
    names: dict[int, str]  # user id -> name, for time lines
    first_number: int = 1  # the settings' next invoice number before the load


def convert(minor_usd: int, currency: str) -> int:
    """A US dollar price in ``currency``, rounded to whole units."""
    num, den = FX[currency]
    return div_half_up(minor_usd * num, den * 100) * 100


def fx(minor_usd: int, currency: str) -> int:
    """A US dollar amount in ``currency``, to the minor unit."""
    num, den = FX[currency]
    return div_half_up(minor_usd * num, den)


def at(day: date, hour: int) -> datetime:
    """A UTC timestamp on ``day`` at ``hour``."""
    return datetime.combine(day, time(hour), UTC)


def build_catalog(rng: random.Random, customers: int, contracts: int, months: int, today: date):
    """Insert the settings, users, taxes, rates, products, customers and contracts."""
    settings = get_settings()
    if not settings.company_name:
        for key, value in demo_data.COMPANY.items():
            setattr(settings, key, value)
    db.session.flush()
    admin_id, people = _users()
    names = dict(zip(people, text.TECHNICIANS, strict=True))
    taxes = {key: Tax(i, name, pct) for i, (key, (name, pct, _)) in enumerate(TAXES.items(), 1)}
    insert_rows(
        TaxRate.__table__,
        ("id", "name", "percent", "is_default", "active"),
        [(t.id, t.name, t.percent, TAXES[k][2], True) for k, t in taxes.items()],
    )
    insert_rows(
        Rate.__table__,
        ("id", "name", "hourly_price_minor", "currency", "active"),
        [(i, name, price, "USD", True) for i, (name, price) in enumerate(RATES, 1)],
    )
    products = []
    for i, (sku, name, category, price, tax) in enumerate(demo_data.PRODUCTS, 1):
        minor = int(price.replace(".", "")) if "." in price else int(price) * 100
        products.append((i, sku, name, minor, taxes[tax] if tax else None, category))
    insert_rows(
        Product.__table__,
        ("id", "name", "sku", "description", "category", "unit_price_minor", "currency",
         "taxable", "tax_rate_id", "active"),
        [(i, name, sku, "", cat, price, "USD", tax is not None, tax and tax.id, True)
         for i, sku, name, price, tax, cat in products],
    )  # fmt: skip
    window_start = month_start(today, months)
    custs = _customers(rng, customers, window_start)
    cons = _contracts(rng, custs, contracts, taxes, products, window_start, today)
    return Catalog(
        today=today,
        window_start=window_start,
        admin_id=admin_id,
        people=people,
        taxes=taxes,
        products=[p[:5] for p in products],
        customers=custs,
        contracts=cons,
        settings=settings,
        issuer=issuer_snapshot(settings),
        names=names,
    )


def _users() -> tuple[int, list[int]]:
    """An admin and the technicians (one unknown password; set one with ``users set-password``)."""
    wanted = [("Billing Admin", "bench-admin@example.com", Role.ADMIN)] + [
        (name, name.lower().replace(" ", ".") + "@example.com", Role.TECHNICIAN)
        for name in text.TECHNICIANS
    ]
    emails = [email for _, email, _ in wanted]
    have = set(db.session.scalars(sa.select(User.email).where(User.email.in_(emails))))
    probe = User()
    probe.set_password(secrets.token_urlsafe(32))  # one scrypt hash for all: each costs time
    rows = [
        {"email": e, "name": n, "role": r.value, "password_hash": probe.password_hash,
         "active": True}
        for n, e, r in wanted if e not in have
    ]  # fmt: skip
    if rows:
        db.session.execute(sa.insert(User), rows)
    found = db.session.execute(sa.select(User.email, User.id).where(User.email.in_(emails)))
    ids = dict(found.tuples().all())
    return ids[emails[0]], [ids[e] for e in emails[1:]]


def _customers(rng: random.Random, count: int, window_start: date) -> list[Cust]:
    pairs = [(a, b) for a in text.NAME_FIRST for b in text.NAME_SECOND]
    rng.shuffle(pairs)
    result = []
    for i in range(count):
        first, second = pairs[i % len(pairs)]
        name = f"{first} {second}" + (f" {i // len(pairs) + 1}" if i >= len(pairs) else "")
        roll = rng.random()
        currency = "USD" if roll < 0.8 else "EUR" if roll < 0.9 else "GBP"
        if currency == "USD":
            city, state, zip3 = rng.choice(text.CITIES)
            where = f"{city}, {state} {zip3}{rng.randint(10, 99)}"
        else:
            city, country = rng.choice(text.FOREIGN[currency])
            where = f"{city}\n{country}"
        address = f"{rng.randint(100, 9999)} {rng.choice(text.STREETS)}\n{where}"
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:30]
        emails = f"ap@{slug}.example.com" + (f", it@{slug}.example.com" if roll < 0.3 else "")
        exempt = second in ("Nonprofit Trust", "Church", "Charter School") or rng.random() < 0.03
        result.append(Cust(i + 1, name, currency, exempt, address, emails))
    insert_rows(
        Customer.__table__,
        ("id", "name", "billing_emails", "address", "tax_exempt", "currency", "active",
         "notes", "created_at"),
        [(c.id, c.name, c.emails, c.address, c.exempt, c.currency, True, "",
          at(window_start - timedelta(days=rng.randint(1, 900)), 15)) for c in result],
    )  # fmt: skip
    return result


def _spread_counts(rng: random.Random, total: int, slots: int) -> list[int]:
    """``total`` split over ``slots``, each at least one when there are enough."""
    from bench.gen_work import spread

    return spread(rng, total, slots, minimum=1 if total >= slots else 0)


def _types(rng: random.Random, count: int) -> list[ContractType]:
    kinds = list(TYPE_WEIGHTS)[: min(count, len(TYPE_WEIGHTS))]
    weights = list(TYPE_WEIGHTS.values())
    kinds += rng.choices(list(TYPE_WEIGHTS), weights, k=count - len(kinds))
    rng.shuffle(kinds)
    return kinds


def _contracts(rng, custs, count, taxes, products, window_start, today) -> list[Con]:
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


CATALOG_TABLES = (TaxRate, Rate, Product, Customer, Contract, ContractRate, ContractService,
                  ContractUnitCount)  # fmt: skip
