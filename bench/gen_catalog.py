"""Benchmark data, part one: settings, people, taxes, rates, products and customers.

Rows are inserted at once with ids chosen here; the contracts are in ``gen_contracts``.
"""

from __future__ import annotations

import random
import secrets
from datetime import date, timedelta

import sqlalchemy as sa

from bench import gen_text as text
from bench.gen_contracts import build_contracts
from bench.gen_db import insert_rows
from bench.gen_model import RATES, TAXES, Catalog, Cust, Tax, at
from billing.invoices.snapshot import issuer_snapshot
from billing.settings import get_settings
from demo import content as demo_data
from demo.build import month_start
from models import (
    Contract,
    ContractRate,
    ContractService,
    ContractUnitCount,
    Customer,
    Product,
    Rate,
    Role,
    TaxRate,
    User,
    db,
)


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
    cons = build_contracts(rng, custs, contracts, taxes, products, window_start, today)
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


CATALOG_TABLES = (TaxRate, Rate, Product, Customer, Contract, ContractRate, ContractService,
                  ContractUnitCount)  # fmt: skip
