"""The demo seed fills an empty database with a believable, deterministic MSP (every backend)."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import func, select

from clock import utcnow
from demo.build import month_start, seed_demo
from models import (
    BillingPeriod,
    BlockEntryKind,
    BlockLedgerEntry,
    Contract,
    ContractRate,
    ContractService,
    ContractType,
    ContractUnitCount,
    Customer,
    Expense,
    Invoice,
    InvoiceBatch,
    Product,
    Rate,
    Role,
    Settings,
    TaxRate,
    Ticket,
    TicketStatus,
    TimeEntry,
    User,
    db,
)
from tests.conftest import make_user

DAY = date(2025, 5, 20)
MONEY_MODELS = [Rate, Product, Contract, ContractRate, ContractService, Expense, BlockLedgerEntry]


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _contracts(kind: ContractType) -> list[Contract]:
    return db.session.scalars(select(Contract).where(Contract.type == kind)).all()


def test_company_people_and_catalog(app):
    seed_demo(DAY)
    db.session.commit()
    settings = db.session.get(Settings, 1)
    assert settings.company_name and settings.country == "US" and settings.tax_id
    assert settings.payment_terms_days == 30 and settings.invoice_prefix == "INV-"
    assert settings.bank_details and settings.invoice_footer
    assert _count(User, User.role == Role.TECHNICIAN) >= 3
    assert _count(TaxRate, TaxRate.is_default.is_(True)) == 1
    assert db.session.scalar(select(TaxRate.percent).where(TaxRate.is_default)) > 0
    prices = dict(db.session.execute(select(Rate.name, Rate.hourly_price_minor)).all())
    assert prices == {"Standard": 12500, "After hours": 18750, "Weekend": 25000, "Remote": 9500}
    products = db.session.scalars(select(Product)).all()
    assert len(products) >= 10 and all(p.sku for p in products)
    assert len({p.category for p in products}) >= 3


def test_customers_are_believable(app):
    seed_demo(DAY)
    customers = db.session.scalars(select(Customer)).all()
    assert 10 <= len(customers) <= 14
    assert sum(c.tax_exempt for c in customers) == 1
    assert sum(not c.active for c in customers) == 1
    assert {c.currency for c in customers} - {"USD"}  # one customer in another currency
    for customer in customers:
        assert customer.address and 1 <= len(customer.email_list) <= 2
        assert all(e.endswith(("@example.com", "@example.net")) for e in customer.email_list)
        defaults = [c for c in customer.contracts if c.is_default]
        assert len(defaults) == 1, customer.name


def test_every_contract_type_with_its_terms(app):
    seed_demo(DAY)
    window_start = month_start(DAY, 3)
    contracts = db.session.scalars(select(Contract)).all()
    assert {c.type for c in contracts} == set(ContractType)
    assert all(c.start_date < window_start for c in contracts)
    assert any(c.taxable and c.tax_rate is not None for c in contracts)
    for c in _contracts(ContractType.RETAINER):
        assert c.quantity > 0 and c.unit_price_minor > 0
    assert _count(ContractService) >= 2
    assert len({s.contract_id for s in db.session.scalars(select(ContractService))}) >= 2
    hourly = _contracts(ContractType.HOURLY)
    assert any(c.billing_period == BillingPeriod.ON_DEMAND for c in hourly)
    for c in (
        hourly + _contracts(ContractType.PROJECT_HOURLY) + _contracts(ContractType.BLOCK_MONEY)
    ):
        assert c.rates and sum(r.is_primary for r in c.rates) == 1, c.name
    assert all(c.rounding_minutes > 0 for c in hourly)
    for kind in (ContractType.PROJECT_FIXED, ContractType.PROJECT_HOURLY):
        assert all(c.billing_period == BillingPeriod.ONCE for c in _contracts(kind))
    assert all(c.fixed_amount_minor > 0 for c in _contracts(ContractType.PROJECT_FIXED))
    for c in _contracts(ContractType.PER_UNIT):
        assert c.unit_price_minor > 0 and c.unit_label
        assert len(c.unit_counts) >= 2
    assert {c.unit_label for c in _contracts(ContractType.PER_UNIT)} >= {"device", "user"}
    changes = db.session.scalars(
        select(ContractUnitCount.effective_date).where(
            ContractUnitCount.effective_date > window_start
        )
    ).all()
    assert any(d.day != 1 for d in changes)  # a change in the middle of a period


def test_block_contracts_have_terms_and_a_purchase(app):
    seed_demo(DAY)
    blocks = _contracts(ContractType.BLOCK_HOURS)
    assert any(c.rollover for c in blocks)
    for c in blocks:
        assert c.block_minutes > 0 and c.unit_price_minor > 0 and c.overage_rate_minor > 0
    for c in _contracts(ContractType.BLOCK_MONEY):
        assert c.block_amount_minor > 0 and c.overage_rate_minor > 0
    for c in blocks + _contracts(ContractType.BLOCK_MONEY):
        purchase = db.session.scalar(
            select(BlockLedgerEntry).where(
                BlockLedgerEntry.contract_id == c.id,
                BlockLedgerEntry.kind == BlockEntryKind.PURCHASE,
            )
        )
        assert purchase is not None
        assert (purchase.minutes, purchase.amount_minor) == (
            c.block_minutes or 0,
            c.block_amount_minor or 0,
        )


def test_tickets_time_and_expenses(app):
    seed_demo()  # the real clock: nothing may land in the future
    today = utcnow().date()
    tickets = db.session.scalars(select(Ticket)).all()
    assert len(tickets) >= 100
    assert {t.status for t in tickets} == set(TicketStatus)
    for ticket in tickets:
        assert ticket.contract.customer_id == ticket.customer_id
        assert ticket.contract.active and ticket.customer.active
        assert (ticket.closed_at is None) == (ticket.status == TicketStatus.OPEN)
        assert ticket.closed_at is None or ticket.closed_at >= ticket.created_at
        last = ticket.closed_at.date() if ticket.closed_at else today
        for entry in ticket.time_entries:
            assert ticket.created_at.date() <= entry.work_date <= last <= today
    mismatched = select(func.count()).select_from(
        sa.join(Ticket, Contract, Ticket.contract_id == Contract.id)
    )
    assert db.session.scalar(mismatched.where(Contract.customer_id != Ticket.customer_id)) == 0
    assert _count(TimeEntry, ~TimeEntry.minutes.between(1, 1440)) == 0
    assert _count(TimeEntry, TimeEntry.minutes % 5 != 0) == 0
    assert _count(TimeEntry, TimeEntry.work_date > today) == 0
    assert _count(TimeEntry, TimeEntry.billable) and _count(TimeEntry, ~TimeEntry.billable)
    assert db.session.scalar(select(func.count(func.distinct(TimeEntry.rate_id)))) >= 2
    technicians = select(func.count(func.distinct(TimeEntry.user_id))).join(User)
    assert db.session.scalar(technicians.where(User.role == Role.TECHNICIAN)) >= 3
    offered = set(db.session.execute(select(ContractRate.contract_id, ContractRate.rate_id)))
    used = db.session.execute(
        select(Ticket.contract_id, TimeEntry.rate_id)
        .join(Ticket)
        .where(TimeEntry.rate_id.isnot(None))
    )
    assert set(used) <= offered  # every rate comes from the ticket's contract
    assert _count(Invoice) == 0 and _count(InvoiceBatch) == 0


def test_expenses(app):
    seed_demo(DAY)
    expenses = db.session.scalars(select(Expense)).all()
    assert len(expenses) >= 20
    from_catalog = [e for e in expenses if e.product is not None]
    assert from_catalog and len(from_catalog) < len(expenses)  # and free descriptions
    assert all(e.unit_price_minor == e.product.unit_price_minor for e in from_catalog)
    assert {e.billable for e in expenses} == {True, False}
    assert any(e.discount_minor > 0 for e in expenses)
    for e in expenses:
        assert isinstance(e.quantity, Decimal) and e.quantity > 0
        assert e.discount_minor <= e.quantity * e.unit_price_minor
        assert e.ticket.created_at.date() <= e.expense_date <= DAY


def test_money_is_non_negative_integer_minor_units(app):
    seed_demo(DAY)
    for model in MONEY_MODELS:
        for column in model.__table__.columns:
            if column.name.endswith("_minor"):
                for value in db.session.scalars(select(column)):
                    assert value is None or (type(value) is int and value >= 0), column


def test_an_existing_admin_is_reused_as_a_technician(app):
    admin = make_user(Role.ADMIN)
    seed_demo(DAY)
    assert _count(User, User.role == Role.ADMIN) == 1
    assert _count(TimeEntry, TimeEntry.user_id == admin.id) > 0


def _fingerprint() -> list[tuple]:
    rows = []
    for ticket in db.session.scalars(select(Ticket).order_by(Ticket.id)):
        rows.append(
            (
                ticket.customer.name,
                ticket.contract.name,
                ticket.title,
                ticket.status,
                ticket.created_at,
                ticket.closed_at,
                [
                    (e.technician.email, e.work_date, e.minutes, e.billable, e.rate and e.rate.name)
                    for e in ticket.time_entries
                ],
                [
                    (x.description, x.quantity, x.unit_price_minor, x.discount_minor)
                    for x in ticket.expenses
                ],
            )
        )
    return rows


def test_the_same_day_gives_the_same_demo(app):
    first = seed_demo(DAY)
    assert first.startswith("Demo data: 12 customers, ") and first.endswith(" expenses.")
    tickets = _fingerprint()
    db.session.rollback()
    assert _count(Customer) == 0
    assert seed_demo(DAY) == first
    assert _fingerprint() == tickets
