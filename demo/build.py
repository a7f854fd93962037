"""Demo data: a believable MSP's last three months, the same every time for the same day.

The window is the three whole months before the current one plus the current month so far, so
that there are finished monthly periods to bill. The static content is in ``demo.content``.
"""

import random
import secrets
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from billing.contracts.blocks import BLOCK_TYPES
from billing.money import from_minor, to_minor
from billing.settings import default_currency, get_settings
from clock import utcnow
from demo import content as us_content
from models import (
    BlockEntryKind,
    BlockLedgerEntry,
    Contract,
    ContractRate,
    ContractService,
    ContractType,
    ContractUnitCount,
    Customer,
    Expense,
    Product,
    Rate,
    Role,
    TaxRate,
    Ticket,
    TicketStatus,
    TimeEntry,
    User,
    db,
)

SEED = 4242
TICKETS = 140
PROJECTS = (ContractType.PROJECT_FIXED, ContractType.PROJECT_HOURLY)
# Contract terms written in demo_data as decimal strings, stored as ``<name>_minor``.
CONTRACT_MONEY = ("unit_price", "block_amount", "overage_rate", "fixed_amount")


def seed_demo(today: date | None = None) -> str:
    """Fill an empty database with a believable MSP's last three months; return a summary line.

    Deterministic for a given ``today`` (default: the current UTC date). Existing admins are
    reused as technicians. Objects are added and flushed, never committed: the caller commits.
    """
    return seed_with(Seeder(today or utcnow().date()))


def seed_with(seeder: "Seeder") -> str:
    """Run ``seeder`` (the company, its customers, then the tickets); return a summary line."""
    seeder.company()
    contracts = seeder.customers()
    tickets = seeder.tickets()
    entries = sum(len(t.time_entries) for t in tickets)
    expenses = sum(len(t.expenses) for t in tickets)
    return (
        f"Demo data: {len(seeder.data.CUSTOMERS)} customers, {len(contracts)} contracts, "
        f"{len(tickets)} tickets, {entries} time entries, {expenses} expenses."
    )


def month_start(day: date, months_back: int) -> date:
    """The first day of the month ``months_back`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _minor(text: str, currency: str) -> int:
    """A decimal string in ``currency`` as minor units."""
    return to_minor(Decimal(text), currency)


def _weekday(day: date, earliest: date) -> date:
    """``day``, or the Friday before a weekend day (but not before ``earliest``)."""
    return max(earliest, day - timedelta(days=max(0, day.weekday() - 4)))


class Seeder:
    """One seeding run: the random source, the window, and what was made so far. The static
    content comes from ``data`` (a module like ``demo.content``); a subclass may give another."""

    data = us_content

    def __init__(self, today: date):
        self.rng = random.Random(SEED)
        self.today = today
        self.window_start = month_start(today, 3)
        real_now = utcnow().replace(second=0, microsecond=0)
        # Timestamps are capped at "now": the real clock today, early evening of another day.
        self.now = real_now if real_now.date() == today else datetime.combine(today, time(18), UTC)
        self.contracts: list[tuple[Contract, dict[str, Any]]] = []

    def at(self, day: date, hour: int) -> datetime:
        """A UTC timestamp on ``day`` around ``hour``, never later than now."""
        moment = time(hour, self.rng.choice(self.data.WHOLE_MINUTES))
        return min(datetime.combine(day, moment, UTC), self.now)

    def company(self) -> None:
        """Settings (when untouched), technicians, taxes, rates and the catalog."""
        settings = get_settings()
        if not settings.company_name:
            for key, value in self.data.COMPANY.items():
                setattr(settings, key, value)
        self.currency = cur = default_currency(settings)
        self.people, self.people_weights = self._people()
        self.taxes = {
            key: TaxRate(name=name, percent=Decimal(percent), is_default=default)
            for key, (name, percent, default) in self.data.TAX_RATES.items()
        }
        self.rates = {
            name: Rate(name=name, hourly_price_minor=_minor(price, cur), currency=cur)
            for name, price in self.data.RATES
        }
        self.products = {
            sku: Product(
                name=name,
                sku=sku,
                category=category,
                unit_price_minor=_minor(price, cur),
                currency=cur,
                taxable=tax is not None,
                tax_rate=self.taxes[tax] if tax else None,
            )
            for sku, name, category, price, tax in self.data.PRODUCTS
        }
        db.session.add_all([*self.taxes.values(), *self.rates.values(), *self.products.values()])
        db.session.flush()

    def _people(self) -> tuple[list[User], list[int]]:
        """The demo technicians and the active admins, who log a quarter as much time."""
        technicians = [
            User(email=e, name=n, role=Role.TECHNICIAN) for n, e in self.data.TECHNICIANS
        ]
        # Nobody knows this password (an admin sets a real one to open an account); one hash
        # serves all, as each scrypt hash costs a noticeable part of the seed's time.
        technicians[0].set_password(secrets.token_urlsafe(32))
        for user in technicians[1:]:
            user.password_hash = technicians[0].password_hash
        db.session.add_all(technicians)
        admins = db.session.scalars(
            select(User).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
        ).all()
        return technicians + list(admins), [4] * len(technicians) + [1] * len(admins)

    def customers(self) -> list[Contract]:
        """The customers, their contracts with their terms, and the opening block purchases."""
        for spec in self.data.CUSTOMERS:
            fields = {k: v for k, v in spec.items() if k != "contracts"}
            fields["billing_emails"] = ", ".join(spec["billing_emails"])
            customer = Customer(**{"currency": self.currency, **fields})
            db.session.add(customer)
            for terms in spec["contracts"]:
                contract = self._contract(customer, terms)
                db.session.add(contract)
                self.contracts.append((contract, terms))
        db.session.flush()
        contracts = [contract for contract, _ in self.contracts]
        db.session.add_all(
            BlockLedgerEntry(
                contract_id=c.id,
                entry_date=self.window_start,
                kind=BlockEntryKind.PURCHASE,
                minutes=c.block_minutes or 0,
                amount_minor=c.block_amount_minor or 0,
                note="Opening block purchase",
            )
            for c in contracts
            if c.type in BLOCK_TYPES
        )
        return contracts

    def _contract(self, customer: Customer, terms: dict[str, Any]) -> Contract:
        """One contract with the terms of its type, its rates, services and unit counts."""
        currency = customer.currency
        start = month_start(self.window_start, terms["months"])
        ended = terms.get("ended", False)
        taxable = "tax" in terms and not customer.tax_exempt
        columns = Contract.__table__.columns.keys()
        fields = {key: value for key, value in terms.items() if key in columns}
        for key in CONTRACT_MONEY:
            fields[f"{key}_minor"] = _minor(terms[key], currency) if key in terms else None
        contract = Contract(
            customer=customer,
            start_date=start,
            end_date=self.window_start - timedelta(days=1) if ended else None,
            active=not ended,
            taxable=taxable,
            tax_rate=self.taxes[terms["tax"]] if taxable else None,
            **fields,
        )
        for position, (name, price) in enumerate(terms.get("rates", [])):
            contract.rates.append(
                ContractRate(
                    rate=self.rates[name],
                    hourly_price_minor=_minor(price, currency) if price else None,
                    is_primary=position == 0,
                )
            )
        for position, (sku, quantity) in enumerate(terms.get("services", [])):
            product = self.products[sku]
            contract.services.append(
                ContractService(
                    product=product,
                    description=product.name,
                    quantity=Decimal(quantity),
                    unit_price_minor=product.unit_price_minor,
                    position=position,
                )
            )
        for offset, count in terms.get("counts", []):
            day = start if offset is None else self.window_start + timedelta(days=offset)
            contract.unit_counts.append(ContractUnitCount(effective_date=day, count=count))
        return contract

    def tickets(self) -> list[Ticket]:
        """Tickets across the window in every status, with their time entries and expenses."""
        rng = self.rng
        span = (self.today - self.window_start).days
        days = [self.window_start + timedelta(days=n) for n in range(span + 1)]
        weekdays = [day for day in days if day.weekday() < 5]
        jobs = []  # (contract, title, day): a project's tasks in order, then support requests
        for contract, terms in self.contracts:
            titles = terms.get("titles", [])
            dates = sorted(rng.sample(weekdays, len(titles)))
            jobs += [(contract, title, day) for title, day in zip(titles, dates, strict=True)]
        support = [(c, t["weight"]) for c, t in self.contracts if t.get("weight")]
        for _ in range(TICKETS - len(jobs)):
            contract = rng.choices(support, [weight for _, weight in support])[0][0]
            jobs.append((contract, rng.choice(self.data.TICKET_TITLES), rng.choice(weekdays)))
        tickets = []
        for contract, title, day in jobs:
            ticket = Ticket(
                customer=contract.customer,
                contract=contract,
                title=title,
                description=rng.choice(self.data.TICKET_SOURCES),
                created_at=self.at(day, rng.randint(13, 21)),
            )
            self._close(ticket, day)
            last = ticket.closed_at.date() if ticket.closed_at else self.today
            self._time_entries(ticket, contract, day, last)
            if rng.random() < 0.3:
                ticket.expenses.append(self._expense(contract.customer, day, last))
            tickets.append(ticket)
        tickets.sort(key=lambda t: t.created_at)
        db.session.add_all(tickets)
        db.session.flush()
        return tickets

    def _close(self, ticket: Ticket, day: date) -> None:
        """Old tickets are mostly closed; recent ones are still open or just resolved."""
        roll = self.rng.random()
        if (self.today - day).days > 14:
            status = "closed" if roll < 0.85 else "resolved" if roll < 0.93 else "open"
        else:
            status = "open" if roll < 0.4 else "resolved" if roll < 0.7 else "closed"
        ticket.status = TicketStatus(status)
        if ticket.status is not TicketStatus.OPEN:
            done = min(day + timedelta(days=self.rng.choice([0, 0, 1, 1, 2, 3, 5, 8])), self.today)
            hour = self.rng.randint(14, 23) if done > day else 23  # same day: after the work
            ticket.closed_at = max(self.at(done, hour), ticket.created_at)

    def _day(self, first: date, last: date) -> date:
        """A random day from ``first`` to ``last``."""
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    def _time_entries(self, ticket: Ticket, contract: Contract, first: date, last: date) -> None:
        """Work on the ticket by several technicians, at the contract's rates."""
        rng = self.rng
        rates = {cr.rate.name: cr.rate for cr in contract.rates}
        primary = next((cr.rate for cr in contract.rates if cr.is_primary), None)
        project = contract.type in PROJECTS
        count = rng.randint(2, 6) if project else rng.choice([1, 2, 2, 3, 3, 4, 4, 5, 6, 8])
        days = [self._day(first, last) for _ in range(count)]
        # Weekend work is rare and only where the contract has a weekend rate; else it was Friday.
        weekend = "Weekend" in rates and rng.random() < 0.3
        for day in sorted(d if weekend else _weekday(d, first) for d in days):
            rate = primary
            if day.weekday() >= 5:
                rate = rates["Weekend"]
            elif rng.random() < 0.12 and "After hours" in rates:
                rate = rates["After hours"]
            elif rng.random() < 0.3 and "Remote" in rates:
                rate = rates["Remote"]
            billable = rng.random() < 0.86
            ticket.time_entries.append(
                TimeEntry(
                    technician=rng.choices(self.people, self.people_weights)[0],
                    work_date=day,
                    minutes=rng.choice(
                        self.data.PROJECT_MINUTES if project else self.data.SUPPORT_MINUTES
                    ),
                    billable=billable,
                    rate=rate,
                    note=rng.choice(self.data.TIME_NOTES if billable else self.data.INTERNAL_NOTES),
                    created_at=self.at(day, 22),
                )
            )

    def _expense(self, customer: Customer, first: date, last: date) -> Expense:
        """A catalog product at its price or a free expense; a few discounted, some not billed."""
        rng = self.rng
        currency = customer.currency
        product = None
        if currency == self.currency and rng.random() < 0.7:
            sku, quantities = rng.choice(self.data.TICKET_PRODUCTS)
            product = self.products[sku]
            description, price = product.name, product.unit_price_minor
            quantity = Decimal(rng.choice(quantities))
            billable = rng.random() < 0.9
        else:
            description, text, (low, high), billable = rng.choice(self.data.FREE_EXPENSES)
            price = _minor(text, currency)
            quantity = Decimal(rng.randint(low, high)) / 10
        discount = 0
        if billable and rng.random() < 0.15:
            discount = to_minor(quantity * from_minor(price, currency) / 10, currency)
        return Expense(
            product=product,
            user_id=rng.choices(self.people, self.people_weights)[0].id,
            expense_date=self._day(first, last),
            description=description,
            quantity=quantity,
            unit_price_minor=price,
            discount_minor=discount,
            billable=billable,
            tax_rate_id=product.tax_rate_id if product else None,
        )
