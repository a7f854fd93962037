"""The state of MSP Billing: SQLAlchemy 2.0 typed models and their enums.

Workflows live in ``billing/``; models hold data, the constraints that protect it, and a few
derived read-only properties. Money is integer minor units plus a currency code at rest
(``*_minor`` columns); exact quantities (line quantities, tax percentages) are stored as
scaled integers by :class:`ScaledDecimal` and read back as ``Decimal``. No float anywhere.
"""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import sqlalchemy as sa
from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from clock import utcnow
from integrations.secrets import EncryptedText

# Money in integer minor units (cents): 64-bit, since 32 bits end at $21 million.
MinorUnits = Annotated[int, "minor units"]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: sa.DateTime(timezone=True),
            MinorUnits: sa.BigInteger,
        },
    )


db = SQLAlchemy(model_class=Base)


@sa.event.listens_for(sa.Engine, "connect")
def _sqlite_enforce_foreign_keys(dbapi_connection: Any, connection_record: Any) -> None:
    # SQLite ignores foreign keys (and ON DELETE) unless each connection turns them on.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


class ScaledDecimal(sa.types.TypeDecorator):
    """A ``Decimal`` stored exactly as an integer scaled by ``10**scale``.

    SQLite has no exact decimal type (SQLAlchemy converts through float), so 1.5 hours at
    scale 3 is stored as the integer 1500 on every database.
    """

    impl = sa.BigInteger
    cache_ok = True

    def __init__(self, scale: int):
        super().__init__()
        self.scale = scale

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value).scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.scale)


def str_enum(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A string column holding the enum's values, with a CHECK constraint on every database."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def _fk(target: str, ondelete: str | None = None) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete=ondelete)


def _nonneg(*columns: str) -> list[sa.CheckConstraint]:
    return [sa.CheckConstraint(f"{c} >= 0", name=f"{c}_nonneg") for c in columns]


# Ids are never handed out twice, so an old link never opens another record: SQLite reuses the
# highest id after a delete unless the table is AUTOINCREMENT (PostgreSQL's sequences never do).
AUTOINCREMENT = {"sqlite_autoincrement": True}


# --- enums -------------------------------------------------------------------------------


class Role(enum.StrEnum):
    ADMIN = "admin"
    TECHNICIAN = "technician"


class ContractType(enum.StrEnum):
    RETAINER = "retainer"
    HOURLY = "hourly"
    BLOCK_HOURS = "block_hours"
    BLOCK_MONEY = "block_money"
    PER_UNIT = "per_unit"
    PROJECT_FIXED = "project_fixed"
    PROJECT_HOURLY = "project_hourly"

    @property
    def label(self) -> str:
        return CONTRACT_TYPE_LABELS[self]


CONTRACT_TYPE_LABELS = {
    ContractType.RETAINER: "Retainer (flat fee)",
    ContractType.HOURLY: "Hourly (time & materials)",
    ContractType.BLOCK_HOURS: "Block hours",
    ContractType.BLOCK_MONEY: "Block money",
    ContractType.PER_UNIT: "Per device / per user",
    ContractType.PROJECT_FIXED: "Project, fixed fee",
    ContractType.PROJECT_HOURLY: "Project, hourly",
}


class BillingPeriod(enum.StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    ON_DEMAND = "on_demand"
    ONCE = "once"


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    CLOSED = "closed"


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    EXPORTED = "exported"
    PAID = "paid"
    REFUNDED = "refunded"


# Settled: nothing more is owed on it (a settled invoice's batch can no longer be deleted).
SETTLED_STATUSES = (InvoiceStatus.PAID, InvoiceStatus.REFUNDED)
# Only an invoice the customer has had can be late: never a Draft, no longer a settled one.
OVERDUE_STATUSES = tuple(
    s for s in InvoiceStatus if s is not InvoiceStatus.DRAFT and s not in SETTLED_STATUSES
)


def overdue_days(status: InvoiceStatus, due_date: date, today: date) -> int:
    """Days an invoice in ``status`` due on ``due_date`` is late on ``today``; 0 when it is not
    overdue (see :meth:`Invoice.is_overdue`)."""
    if status not in OVERDUE_STATUSES or due_date >= today:
        return 0
    return (today - due_date).days


class LineKind(enum.StrEnum):
    SERVICE = "service"
    TICKET = "ticket"
    TIME = "time"
    EXPENSE = "expense"
    PRODUCT = "product"
    CUSTOM = "custom"


class DetailLevel(enum.StrEnum):
    CONTRACT = "contract"
    TICKET = "ticket"
    TIME_ENTRY = "time_entry"


class Provider(enum.StrEnum):
    QUICKBOOKS = "quickbooks"
    XERO = "xero"

    @property
    def label(self) -> str:
        return "QuickBooks Online" if self is Provider.QUICKBOOKS else "Xero"


class BlockEntryKind(enum.StrEnum):
    PURCHASE = "purchase"
    USAGE = "usage"
    ROLLOVER = "rollover"
    LAPSE = "lapse"
    OVERAGE = "overage"
    ADJUSTMENT = "adjustment"


class ExportState(enum.StrEnum):
    EXPORTED = "exported"
    FAILED = "failed"


class PaymentMethod(enum.StrEnum):
    BANK = "bank"
    CARD = "card"
    CASH = "cash"
    CHEQUE = "cheque"
    OTHER = "other"

    @property
    def label(self) -> str:
        return "Bank transfer" if self is PaymentMethod.BANK else self.value.capitalize()


class PaymentDirection(enum.StrEnum):
    IN = "in"  # received from the customer
    OUT = "out"  # a refund paid back to the customer


# --- settings, people, catalog -----------------------------------------------------------


class Settings(db.Model):
    """The one row of company-wide settings (id is always 1)."""

    __tablename__ = "settings"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint("next_invoice_number >= 1", name="next_number_positive"),
        sa.CheckConstraint("next_credit_note_number >= 1", name="next_credit_note_positive"),
        *_nonneg("payment_terms_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    company_name: Mapped[str] = mapped_column(sa.String(200), default="")
    address: Mapped[str] = mapped_column(sa.Text, default="")
    country: Mapped[str] = mapped_column(sa.String(2), default="US")
    currency_override: Mapped[str | None] = mapped_column(sa.String(3))
    logo: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    logo_mimetype: Mapped[str | None] = mapped_column(sa.String(40))
    tax_id: Mapped[str] = mapped_column(sa.String(64), default="")
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    bank_details: Mapped[str] = mapped_column(sa.Text, default="")
    # What EN 16931 e-invoices need of the seller (issue #17); "" when not used.
    legal_name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")  # BT-27
    vat_id: Mapped[str] = mapped_column(sa.String(32), default="", server_default="")  # BT-31
    tax_registration: Mapped[str] = mapped_column(
        sa.String(32), default="", server_default=""
    )  # BT-32, e.g. a German Steuernummer
    registration_number: Mapped[str] = mapped_column(
        sa.String(64), default="", server_default=""
    )  # BT-30, e.g. a trade register number
    endpoint_id: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")  # BT-34
    endpoint_scheme: Mapped[str] = mapped_column(sa.String(8), default="", server_default="")
    iban: Mapped[str] = mapped_column(sa.String(34), default="", server_default="")  # BT-84
    bic: Mapped[str] = mapped_column(sa.String(11), default="", server_default="")  # BT-86
    payment_terms_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # BT-20
    # BG-6, the seller's contact (XRechnung needs it): BT-41 name, BT-42 phone, BT-43 email.
    contact_name: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    invoice_prefix: Mapped[str] = mapped_column(sa.String(20), default="INV-")
    next_invoice_number: Mapped[int] = mapped_column(default=1)
    # Credit notes have their own sequence (CN-0001), never shared with invoices.
    credit_note_prefix: Mapped[str] = mapped_column(
        sa.String(20), default="CN-", server_default="CN-"
    )
    next_credit_note_number: Mapped[int] = mapped_column(default=1, server_default="1")
    email_subject: Mapped[str] = mapped_column(sa.String(200), default="")
    email_body: Mapped[str] = mapped_column(sa.Text, default="")
    invoice_footer: Mapped[str] = mapped_column(sa.Text, default="")
    # A saved batch goes to the export target at once (as Atera does), unless turned off; with
    # both ledgers connected the target says which one (an invoice belongs in one ledger).
    export_on_save: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    export_target: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class User(UserMixin, db.Model):
    """Someone who logs in: an admin or a technician."""

    __tablename__ = "users"
    __table_args__ = AUTOINCREMENT

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), default=Role.TECHNICIAN)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of every session's id: a new one ends all the user's sessions (log-out, a password
    # change, deactivation), including a copied cookie.
    session_token: Mapped[str] = mapped_column(sa.String(32), default="", server_default="")
    # Invoices, batches and their amounts: admins always; a technician when an admin allows it.
    can_see_billing: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        """Make every session of this user invalid (the next request needs a login)."""
        self.session_token = secrets.token_urlsafe(16)

    def get_id(self) -> str:
        """Flask-Login's session id: ``<id>.<session token>``."""
        if not self.session_token:
            self.end_sessions()  # a user from before session tokens: give one now
        return f"{self.id}.{self.session_token}"

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def sees_billing(self) -> bool:
        """Whether invoices, batches and their amounts are shown to this user."""
        return self.is_admin or self.can_see_billing


class Customer(db.Model):
    __tablename__ = "customers"
    __table_args__ = AUTOINCREMENT

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    billing_emails: Mapped[str] = mapped_column(sa.Text, default="")  # comma-separated
    address: Mapped[str] = mapped_column(sa.Text, default="")
    tax_exempt: Mapped[bool] = mapped_column(default=False)
    # "contract": one invoice per contract (Atera's way); "customer": one invoice for all its
    # contracts, a section per contract, tax per rate over the whole invoice.
    invoice_grouping: Mapped[str] = mapped_column(
        sa.String(16), default="contract", server_default="contract"
    )
    currency: Mapped[str] = mapped_column(sa.String(3))
    active: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    # No overdue reminders are emailed to a customer that opted out (billing.reminders).
    reminders_opt_out: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # What EN 16931 e-invoices need of the buyer (issue #17); "" when not used.
    country: Mapped[str] = mapped_column(sa.String(2), default="", server_default="")  # BT-55
    vat_id: Mapped[str] = mapped_column(sa.String(32), default="", server_default="")  # BT-48
    endpoint_id: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")  # BT-49
    endpoint_scheme: Mapped[str] = mapped_column(sa.String(8), default="", server_default="")
    # BT-10: the buyer's reference; for a German public body, its Leitweg-ID.
    buyer_reference: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    # What its emails carry: "pdf", "pdf_xml" (the PDF and the XML) or "facturx".
    einvoice_format: Mapped[str] = mapped_column(sa.String(16), default="pdf", server_default="pdf")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contracts: Mapped[list[Contract]] = relationship(back_populates="customer")

    @property
    def email_list(self) -> list[str]:
        return [e.strip() for e in self.billing_emails.split(",") if e.strip()]


class Rate(db.Model):
    """A named hourly price (Standard, After hours, Weekend)."""

    __tablename__ = "rates"
    __table_args__ = (*_nonneg("hourly_price_minor"), AUTOINCREMENT)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    hourly_price_minor: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(sa.String(3))
    active: Mapped[bool] = mapped_column(default=True)


class TaxRate(db.Model):
    __tablename__ = "tax_rates"
    __table_args__ = (
        sa.CheckConstraint("percent >= 0 AND percent <= 1000000", name="percent_range"),
        # At most one default: a partial unique index, understood by SQLite and PostgreSQL.
        sa.Index(
            "uq_tax_rates_one_default",
            "is_default",
            unique=True,
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        ),
        AUTOINCREMENT,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    percent: Mapped[Decimal] = mapped_column(ScaledDecimal(4))  # 8.875 % -> 88750
    is_default: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # EN 16931 (issue #17): the VAT category (BT-118: S, Z, E, AE, K, G, O) and, where the
    # category needs one, the exemption reason (BT-120) and its VATEX code (BT-121).
    vat_category: Mapped[str] = mapped_column(sa.String(2), default="S", server_default="S")
    exemption_reason: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    exemption_code: Mapped[str] = mapped_column(sa.String(30), default="", server_default="")


class Product(db.Model):
    """The catalog of services and goods."""

    __tablename__ = "products"
    __table_args__ = (*_nonneg("unit_price_minor"), AUTOINCREMENT)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    sku: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[str] = mapped_column(sa.String(80), default="")
    unit_price_minor: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(sa.String(3))
    taxable: Mapped[bool] = mapped_column(default=True)
    tax_rate_id: Mapped[int | None] = mapped_column(_fk("tax_rates.id"))
    active: Mapped[bool] = mapped_column(default=True)

    tax_rate: Mapped[TaxRate | None] = relationship()


# --- contracts --------------------------------------------------------------------------


class Contract(db.Model):
    """What a customer is billed under; type-specific terms are nullable columns."""

    __tablename__ = "contracts"
    __table_args__ = (
        sa.UniqueConstraint("id", "customer_id", name="uq_contracts_id_customer"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
        sa.CheckConstraint("rounding_minutes >= 0 AND rounding_minutes <= 60", name="rounding"),
        sa.Index(
            "uq_contracts_one_default",
            "customer_id",
            unique=True,
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        ),
        *_nonneg(
            "quantity",
            "unit_price_minor",
            "block_minutes",
            "block_amount_minor",
            "overage_rate_minor",
            "fixed_amount_minor",
        ),
        AUTOINCREMENT,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(_fk("customers.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    type: Mapped[ContractType] = mapped_column(str_enum(ContractType, "contract_type"))
    billing_period: Mapped[BillingPeriod] = mapped_column(str_enum(BillingPeriod, "period"))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    is_default: Mapped[bool] = mapped_column(default=False)
    taxable: Mapped[bool] = mapped_column(default=False)
    tax_rate_id: Mapped[int | None] = mapped_column(_fk("tax_rates.id"))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    # retainer: quantity x unit price; per unit: unit price per device/user;
    # block hours: unit price is the price of one block
    quantity: Mapped[Decimal | None] = mapped_column(ScaledDecimal(3))
    unit_price_minor: Mapped[MinorUnits | None]
    unit_label: Mapped[str | None] = mapped_column(sa.String(40))
    # hourly kinds: bill time rounded up to this many minutes (0 = exact)
    rounding_minutes: Mapped[int] = mapped_column(default=0)
    # block hours: block size in minutes; block money: the amount bought (also its price)
    block_minutes: Mapped[int | None]
    block_amount_minor: Mapped[MinorUnits | None]
    overage_rate_minor: Mapped[MinorUnits | None]
    rollover: Mapped[bool] = mapped_column(default=False)
    # project fixed fee
    fixed_amount_minor: Mapped[MinorUnits | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="contracts")
    tax_rate: Mapped[TaxRate | None] = relationship()
    rates: Mapped[list[ContractRate]] = relationship(
        back_populates="contract", cascade="all, delete-orphan"
    )
    services: Mapped[list[ContractService]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractService.position"
    )
    unit_counts: Mapped[list[ContractUnitCount]] = relationship(
        back_populates="contract",
        cascade="all, delete-orphan",
        order_by="ContractUnitCount.effective_date",
    )


class ContractRate(db.Model):
    """A rate offered under a contract; one is primary (where new time goes by default)."""

    __tablename__ = "contract_rates"
    __table_args__ = (
        sa.UniqueConstraint("contract_id", "rate_id"),
        sa.Index(
            "uq_contract_rates_one_primary",
            "contract_id",
            unique=True,
            sqlite_where=sa.text("is_primary"),
            postgresql_where=sa.text("is_primary"),
        ),
        *_nonneg("hourly_price_minor"),
        AUTOINCREMENT,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(_fk("contracts.id", "CASCADE"))
    rate_id: Mapped[int] = mapped_column(_fk("rates.id"))
    hourly_price_minor: Mapped[MinorUnits | None]  # None: the rate's own price
    is_primary: Mapped[bool] = mapped_column(default=False)

    contract: Mapped[Contract] = relationship(back_populates="rates")
    rate: Mapped[Rate] = relationship()


class ContractService(db.Model):
    """A recurring service line billed every period (product, quantity, price)."""

    __tablename__ = "contract_services"
    __table_args__ = (*_nonneg("quantity", "unit_price_minor"), AUTOINCREMENT)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(_fk("contracts.id", "CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(_fk("products.id"))
    description: Mapped[str] = mapped_column(sa.String(300))
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(3))
    unit_price_minor: Mapped[MinorUnits]
    position: Mapped[int] = mapped_column(default=0)

    contract: Mapped[Contract] = relationship(back_populates="services")
    product: Mapped[Product | None] = relationship()


class ContractUnitCount(db.Model):
    """The dated history of a per-device/per-user contract's count."""

    __tablename__ = "contract_unit_counts"
    __table_args__ = (
        sa.UniqueConstraint("contract_id", "effective_date"),
        *_nonneg("count"),
        AUTOINCREMENT,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(_fk("contracts.id", "CASCADE"))
    effective_date: Mapped[date]
    count: Mapped[int]

    contract: Mapped[Contract] = relationship(back_populates="unit_counts")


class BlockLedgerEntry(db.Model):
    """One movement of a block contract's balance: purchase, use, rollover, lapse, overage.

    ``minutes`` moves a block-hours balance, ``amount_minor`` a block-money balance; both are
    signed (a purchase adds, usage subtracts).
    """

    __tablename__ = "block_ledger"
    __table_args__ = AUTOINCREMENT

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(_fk("contracts.id", "CASCADE"), index=True)
    entry_date: Mapped[date]
    kind: Mapped[BlockEntryKind] = mapped_column(str_enum(BlockEntryKind, "block_entry_kind"))
    minutes: Mapped[int] = mapped_column(default=0)
    amount_minor: Mapped[MinorUnits] = mapped_column(default=0)
    # Entries written by billing belong to their invoice and go when it is deleted.
    invoice_id: Mapped[int | None] = mapped_column(_fk("invoices.id", "CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(_fk("tickets.id", "SET NULL"))
    note: Mapped[str] = mapped_column(sa.String(300), default="")


# --- work -------------------------------------------------------------------------------


class Ticket(db.Model):
    """Work for a customer, billed against exactly one of that customer's contracts."""

    __tablename__ = "tickets"
    __table_args__ = (
        # The contract must belong to the ticket's customer: enforced by the database.
        sa.ForeignKeyConstraint(
            ["contract_id", "customer_id"],
            ["contracts.id", "contracts.customer_id"],
            name="fk_tickets_contract_customer",
        ),
        sa.Index("ix_tickets_unbilled", "contract_id", "batch_id", "status"),
        sa.Index("ix_tickets_customer_unbilled", "customer_id", "batch_id"),
        AUTOINCREMENT,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(_fk("customers.id"), index=True)
    contract_id: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[TicketStatus] = mapped_column(
        str_enum(TicketStatus, "ticket_status"), default=TicketStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    # The one batch that billed this ticket; a single column, so a ticket has at most one.
    batch_id: Mapped[int | None] = mapped_column(_fk("invoice_batches.id"))

    customer: Mapped[Customer] = relationship()
    contract: Mapped[Contract] = relationship(
        primaryjoin="Contract.id == Ticket.contract_id", foreign_keys=[contract_id]
    )
    batch: Mapped[InvoiceBatch | None] = relationship(back_populates="tickets")
    time_entries: Mapped[list[TimeEntry]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TimeEntry.work_date"
    )
    expenses: Mapped[list[Expense]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan"
    )

    @property
    def is_billed(self) -> bool:
        return self.batch_id is not None


class TimeEntry(db.Model):
    __tablename__ = "time_entries"
    __table_args__ = (
        sa.CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes_range"),
        AUTOINCREMENT,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(_fk("tickets.id", "CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(_fk("users.id"))
    work_date: Mapped[date]
    minutes: Mapped[int]
    billable: Mapped[bool] = mapped_column(default=True)
    rate_id: Mapped[int | None] = mapped_column(_fk("rates.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="time_entries")
    technician: Mapped[User] = relationship()
    rate: Mapped[Rate | None] = relationship()


class Expense(db.Model):
    """A product or expense used on a ticket (catalog product or free description)."""

    __tablename__ = "expenses"
    __table_args__ = (*_nonneg("quantity", "unit_price_minor", "discount_minor"), AUTOINCREMENT)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(_fk("tickets.id", "CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(_fk("products.id"))
    user_id: Mapped[int | None] = mapped_column(_fk("users.id"))
    expense_date: Mapped[date]
    description: Mapped[str] = mapped_column(sa.String(300))
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(3))
    unit_price_minor: Mapped[MinorUnits]
    discount_minor: Mapped[MinorUnits] = mapped_column(default=0)
    billable: Mapped[bool] = mapped_column(default=True)
    tax_rate_id: Mapped[int | None] = mapped_column(_fk("tax_rates.id"))

    ticket: Mapped[Ticket] = relationship(back_populates="expenses")
    product: Mapped[Product | None] = relationship()
    tax_rate: Mapped[TaxRate | None] = relationship()


# --- invoices ---------------------------------------------------------------------------


class InvoiceBatch(db.Model):
    __tablename__ = "invoice_batches"
    __table_args__ = (
        sa.CheckConstraint("period_end >= period_start", name="period_ordered"),
        AUTOINCREMENT,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    period_start: Mapped[date]
    period_end: Mapped[date]
    detail_level: Mapped[DetailLevel] = mapped_column(
        str_enum(DetailLevel, "detail_level"), default=DetailLevel.TICKET
    )
    created_by_id: Mapped[int | None] = mapped_column(_fk("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()
    invoices: Mapped[list[Invoice]] = relationship(back_populates="batch")
    tickets: Mapped[list[Ticket]] = relationship(back_populates="batch")


class Invoice(db.Model):
    __tablename__ = "invoices"
    __table_args__ = (
        sa.CheckConstraint("due_date >= issue_date", name="due_after_issue"),
        # Invoice numbers sort naturally (INV-9999 before INV-10000): by length, then text.
        # ...carrying what a search tests and its totals sum, so that it scans this index (0005).
        sa.Index(
            "ix_invoices_number_natural",
            sa.func.length(sa.text("number")),
            "number",
            "customer_id",
            "currency",
            "total_minor",
        ),
        sa.Index(
            "ix_invoices_status_number", "status", sa.func.length(sa.text("number")), "number"
        ),
        sa.Index("ix_invoices_total_minor", "total_minor"),
        sa.Index("ix_invoices_issue_date", "issue_date"),
        sa.Index("ix_invoices_due_date_status", "due_date", "status"),
        # Covering the totals of a list filtered by status or by customer (0005).
        sa.Index("ix_invoices_status_currency_total", "status", "currency", "total_minor"),
        sa.Index("ix_invoices_customer_currency_total", "customer_id", "currency", "total_minor"),
        *_nonneg("subtotal_minor", "tax_minor", "total_minor", "paid_minor", "credited_minor"),
        AUTOINCREMENT,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(_fk("customers.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(_fk("contracts.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(_fk("invoice_batches.id"), index=True)
    issue_date: Mapped[date]
    due_date: Mapped[date]
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[InvoiceStatus] = mapped_column(
        str_enum(InvoiceStatus, "invoice_status"), default=InvoiceStatus.DRAFT
    )
    reference: Mapped[str] = mapped_column(sa.String(100), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    # Snapshots, so later edits to the customer or the settings do not rewrite this invoice.
    bill_to_name: Mapped[str] = mapped_column(sa.String(200))
    bill_to_address: Mapped[str] = mapped_column(sa.Text, default="")
    bill_to_emails: Mapped[str] = mapped_column(sa.Text, default="")
    issuer: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    subtotal_minor: Mapped[MinorUnits] = mapped_column(default=0)
    tax_minor: Mapped[MinorUnits] = mapped_column(default=0)
    total_minor: Mapped[MinorUnits] = mapped_column(default=0)
    # The sum of its payment applications, kept in their transaction (billing.payments), so
    # that a list can sort and total by balance without summing applications.
    paid_minor: Mapped[MinorUnits] = mapped_column(default=0, server_default="0")
    # The sum of its credit notes' totals, kept in their transaction (billing.credit_notes).
    credited_minor: Mapped[MinorUnits] = mapped_column(default=0, server_default="0")
    # The day nothing more was owed (the latest payment or credit note that settled it, or the
    # day it was marked Paid by hand); None while something is owed. Receivables as of a past
    # date read it, so they skip the settled history without summing its payments (0014).
    settled_on: Mapped[date | None] = mapped_column(index=True)
    sent_at: Mapped[datetime | None]  # first emailed to the customer from here
    created_by_id: Mapped[int | None] = mapped_column(_fk("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship()
    contract: Mapped[Contract | None] = relationship()
    batch: Mapped[InvoiceBatch | None] = relationship(back_populates="invoices")
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )
    events: Mapped[list[InvoiceEvent]] = relationship(
        back_populates="invoice", order_by="InvoiceEvent.created_at"
    )
    exports: Mapped[list[InvoiceExport]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan"
    )

    @hybrid_method
    def is_overdue(self, today: date) -> bool:
        """Derived, never stored: Sent or Exported, and past its due date on ``today``.

        On the class, the same rule as a SQL condition (``where(Invoice.is_overdue(today))``).
        """
        return overdue_days(self.status, self.due_date, today) > 0

    @is_overdue.inplace.expression
    @classmethod
    def _is_overdue_clause(cls, today: date) -> sa.ColumnElement[bool]:
        # IN rather than NOT IN: an index on (status, due_date) then serves it with a few seeks.
        return sa.and_(cls.status.in_(OVERDUE_STATUSES), cls.due_date < today)

    def days_overdue(self, today: date) -> int:
        """How many days late the invoice is on ``today`` (0 when it is not overdue)."""
        return overdue_days(self.status, self.due_date, today)

    @hybrid_property
    def balance_minor(self) -> int:
        """What is still owed: the total less what payments applied to it and its credit
        notes (also as SQL)."""
        return self.total_minor - self.paid_minor - self.credited_minor

    @hybrid_property
    def owed_minor(self) -> int:
        """What the customer owes on it now (also as SQL): the balance of a Sent or Exported
        invoice; a Draft is not owed yet, a Paid or Refunded one is settled."""
        return self.balance_minor if self.status in OVERDUE_STATUSES else 0

    @owed_minor.inplace.expression
    @classmethod
    def _owed_minor_clause(cls) -> sa.ColumnElement[int]:
        return sa.case(
            (
                cls.status.in_(OVERDUE_STATUSES),
                cls.total_minor - cls.paid_minor - cls.credited_minor,
            ),
            else_=0,
        )

    @hybrid_property
    def is_partly_paid(self) -> bool:
        """Derived, never stored: something paid, something still owed (also as SQL)."""
        return self.paid_minor > 0 and self.balance_minor > 0

    @is_partly_paid.inplace.expression
    @classmethod
    def _is_partly_paid_clause(cls) -> sa.ColumnElement[bool]:
        return sa.and_(cls.paid_minor > 0, cls.balance_minor > 0)


class Payment(db.Model):
    """Money received from a customer (or, ``direction`` out, a refund paid back to it).

    Applied to its invoices by :class:`PaymentApplication` rows; what is not applied is the
    customer's credit. Deleting keeps the row (``deleted_*``) and removes its applications.
    """

    __tablename__ = "payments"
    __table_args__ = (
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.Index("ix_payments_customer_date", "customer_id", "payment_date"),
        AUTOINCREMENT,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(_fk("customers.id"))
    payment_date: Mapped[date]
    amount_minor: Mapped[MinorUnits]
    currency: Mapped[str] = mapped_column(sa.String(3))
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, "payment_method"))
    direction: Mapped[PaymentDirection] = mapped_column(
        str_enum(PaymentDirection, "payment_direction"), default=PaymentDirection.IN
    )
    reference: Mapped[str] = mapped_column(sa.String(100), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(_fk("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(_fk("users.id"))
    delete_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # A refund (direction out) paying back what a credit note turned into the customer's credit.
    credit_note_id: Mapped[int | None] = mapped_column(_fk("credit_notes.id"), index=True)
    # "" when recorded here; the provider ("quickbooks", "xero") when a sync brought it from
    # the ledger (it is never sent back there).
    recorded_in: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")

    customer: Mapped[Customer] = relationship()
    credit_note: Mapped[CreditNote | None] = relationship(foreign_keys=[credit_note_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id])
    applications: Mapped[list[PaymentApplication]] = relationship(
        back_populates="payment", order_by="PaymentApplication.id"
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class PaymentApplication(db.Model):
    """Part of a payment applied to one invoice (the invoice's ``paid_minor`` sums them).

    A row is never changed: a credit note on a paid invoice releases payment with a negative
    row (``credit_note_id`` says which), so the invoice's balance on any past day is the sum of
    the rows ``applied_on`` or before it.
    """

    __tablename__ = "payment_applications"
    __table_args__ = (
        sa.CheckConstraint("amount_minor <> 0", name="amount_nonzero"),
        sa.Index("ix_payment_applications_invoice_applied", "invoice_id", "applied_on"),
        AUTOINCREMENT,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(_fk("payments.id"), index=True)
    # No cascade: an invoice with payments applied cannot be deleted (its batch neither).
    invoice_id: Mapped[int] = mapped_column(_fk("invoices.id"), index=True)
    amount_minor: Mapped[MinorUnits]
    # The day it took effect: the payment's date, or the day credit or a release was applied.
    applied_on: Mapped[date]
    credit_note_id: Mapped[int | None] = mapped_column(_fk("credit_notes.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="applications")
    invoice: Mapped[Invoice] = relationship()


class CreditNote(db.Model):
    """A credit against one issued invoice: the whole of it, chosen lines, or an amount, with a
    reason; numbered in its own sequence. Its total reduces the invoice's balance; what the
    invoice had been paid beyond that becomes the customer's credit (or a refund)."""

    __tablename__ = "credit_notes"
    __table_args__ = (
        sa.CheckConstraint("total_minor > 0", name="total_positive"),
        *_nonneg("subtotal_minor", "tax_minor"),
        sa.Index("ix_credit_notes_customer_date", "customer_id", "issue_date"),
        AUTOINCREMENT,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    invoice_id: Mapped[int] = mapped_column(_fk("invoices.id"), index=True)
    customer_id: Mapped[int] = mapped_column(_fk("customers.id"))
    issue_date: Mapped[date]
    currency: Mapped[str] = mapped_column(sa.String(3))
    reason: Mapped[str] = mapped_column(sa.Text)
    # "whole", "lines" or "amount": how it was made (shown, not used in sums).
    kind: Mapped[str] = mapped_column(sa.String(8))
    subtotal_minor: Mapped[MinorUnits]
    tax_minor: Mapped[MinorUnits]
    total_minor: Mapped[MinorUnits]
    # Of the total, what had been paid on the invoice and became the customer's credit.
    released_minor: Mapped[MinorUnits] = mapped_column(default=0)
    # Snapshots, as on the invoice.
    bill_to_name: Mapped[str] = mapped_column(sa.String(200))
    bill_to_address: Mapped[str] = mapped_column(sa.Text, default="")
    bill_to_emails: Mapped[str] = mapped_column(sa.Text, default="")
    issuer: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    sent_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(_fk("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    invoice: Mapped[Invoice] = relationship()
    customer: Mapped[Customer] = relationship()
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list[CreditNoteLine]] = relationship(
        back_populates="credit_note", cascade="all, delete-orphan",
        order_by="CreditNoteLine.position",
    )  # fmt: skip


class CreditNoteLine(db.Model):
    """One line of a credit note, taxed at its own rate (a snapshot, as invoice lines are)."""

    __tablename__ = "credit_note_lines"
    __table_args__ = (*_nonneg("amount_minor"), AUTOINCREMENT)

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(_fk("credit_notes.id", "CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    # The invoice line it credits (None for an amount credited at a rate).
    invoice_line_id: Mapped[int | None] = mapped_column(
        _fk("invoice_lines.id", "SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(sa.Text)
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(3))
    unit_price_minor: Mapped[MinorUnits]
    amount_minor: Mapped[MinorUnits]
    tax_rate_id: Mapped[int | None] = mapped_column(_fk("tax_rates.id", "SET NULL"))
    tax_name: Mapped[str] = mapped_column(sa.String(80), default="")
    tax_percent: Mapped[Decimal] = mapped_column(ScaledDecimal(4), default=Decimal(0))

    credit_note: Mapped[CreditNote] = relationship(back_populates="lines")


class ReminderStep(db.Model):
    """One step of the overdue-reminder schedule (Admin): so many days past due, its email."""

    __tablename__ = "reminder_steps"
    __table_args__ = (
        sa.CheckConstraint("days_overdue >= 1", name="days_positive"),
        AUTOINCREMENT,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    days_overdue: Mapped[int] = mapped_column(unique=True)
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)


class ReminderSent(db.Model):
    """A reminder emailed for one invoice at one step: the unique key is what keeps a step
    from going twice."""

    __tablename__ = "reminders_sent"
    __table_args__ = (sa.UniqueConstraint("invoice_id", "step_id"), AUTOINCREMENT)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(_fk("invoices.id", "CASCADE"))
    step_id: Mapped[int] = mapped_column(_fk("reminder_steps.id", "CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(_fk("users.id"))  # None: the schedule
    recipients: Mapped[str] = mapped_column(sa.Text, default="")


class ContractCharge(db.Model):
    """A contract's recurring (or one-time) charge for one period, billed on one invoice.

    The unique key is what keeps a period from being charged twice; deleting the invoice (with
    its batch) deletes the charge and frees the period.
    """

    __tablename__ = "contract_charges"
    __table_args__ = (
        sa.UniqueConstraint("contract_id", "period_start"),
        sa.CheckConstraint("period_end >= period_start", name="period_ordered"),
        AUTOINCREMENT,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(_fk("contracts.id", "CASCADE"))
    period_start: Mapped[date]
    period_end: Mapped[date]
    invoice_id: Mapped[int] = mapped_column(_fk("invoices.id", "CASCADE"), index=True)


class InvoiceLine(db.Model):
    __tablename__ = "invoice_lines"
    __table_args__ = (
        *_nonneg("quantity", "unit_price_minor", "discount_minor", "amount_minor"),
        sa.CheckConstraint("tax_percent >= 0", name="tax_percent_nonneg"),
        AUTOINCREMENT,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(_fk("invoices.id", "CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[LineKind] = mapped_column(str_enum(LineKind, "line_kind"))
    description: Mapped[str] = mapped_column(sa.Text)
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(3))
    unit_price_minor: Mapped[MinorUnits]
    discount_minor: Mapped[MinorUnits] = mapped_column(default=0)
    amount_minor: Mapped[MinorUnits]
    tax_rate_id: Mapped[int | None] = mapped_column(_fk("tax_rates.id", "SET NULL"))
    tax_name: Mapped[str] = mapped_column(sa.String(80), default="")
    tax_percent: Mapped[Decimal] = mapped_column(ScaledDecimal(4), default=Decimal(0))
    # Where the line came from (each optional; kept when the source is gone).
    contract_id: Mapped[int | None] = mapped_column(_fk("contracts.id", "SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(_fk("tickets.id", "SET NULL"))
    time_entry_id: Mapped[int | None] = mapped_column(_fk("time_entries.id", "SET NULL"))
    expense_id: Mapped[int | None] = mapped_column(_fk("expenses.id", "SET NULL"))
    product_id: Mapped[int | None] = mapped_column(_fk("products.id", "SET NULL"))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class InvoiceEvent(db.Model):
    """The audit trail. Keeps the invoice number, so events outlive a deleted invoice."""

    __tablename__ = "invoice_events"
    __table_args__ = AUTOINCREMENT

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(_fk("invoices.id", "SET NULL"), index=True)
    invoice_number: Mapped[str] = mapped_column(sa.String(40))
    user_id: Mapped[int | None] = mapped_column(_fk("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    from_status: Mapped[str | None] = mapped_column(sa.String(24))
    to_status: Mapped[str | None] = mapped_column(sa.String(24))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    invoice: Mapped[Invoice | None] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()


class TicketEvent(db.Model):
    """A ticket's audit trail: changes that move it between billing periods (its resolved
    date), with who and why."""

    __tablename__ = "ticket_events"
    __table_args__ = AUTOINCREMENT

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(_fk("tickets.id", "CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(_fk("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship()


# --- accounting ---------------------------------------------------------------------------


class AccountingConnection(db.Model):
    """A connected ledger (QuickBooks Online or Xero); tokens are encrypted at rest."""

    __tablename__ = "accounting_connections"
    __table_args__ = AUTOINCREMENT

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[Provider] = mapped_column(str_enum(Provider, "provider"), unique=True)
    tenant_id: Mapped[str] = mapped_column(sa.String(64))  # QBO realmId / Xero tenantId
    company_name: Mapped[str] = mapped_column(sa.String(200), default="")
    access_token: Mapped[str] = mapped_column(EncryptedText)
    refresh_token: Mapped[str] = mapped_column(EncryptedText)
    expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime | None]
    needs_reconnect: Mapped[bool] = mapped_column(default=False)
    # When the ledger last said (by a verified webhook) that something changed there: the next
    # sync reads what changed. A webhook changes nothing else (issue #16).
    sync_requested_at: Mapped[datetime | None]
    # Where the next sync reads from: the ledger's own time of the last clean sync (ISO 8601).
    sync_cursor: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    synced_at: Mapped[datetime | None]  # when the last sync ended, cleanly or not
    sync_summary: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    sync_error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # While a sync runs (a button and cron at once must not record a payment twice).
    sync_running_until: Mapped[datetime | None]
    # QuickBooks only: "us" (TAX/NON on lines, one sales tax per invoice), "us_ast" (automated
    # sales tax: QuickBooks computes it) or "global" (a tax code per line); "" until detected.
    tax_model: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    connected_by_id: Mapped[int | None] = mapped_column(_fk("users.id"))
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)

    mappings: Mapped[list[LedgerMapping]] = relationship(
        back_populates="connection", cascade="all, delete-orphan"
    )


class LedgerMapping(db.Model):
    """Our object (customer, product, rate, contract type, tax rate) -> the ledger's id."""

    __tablename__ = "ledger_mappings"
    __table_args__ = (sa.UniqueConstraint("connection_id", "kind", "local_key"), AUTOINCREMENT)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(_fk("accounting_connections.id", "CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(24))
    local_key: Mapped[str] = mapped_column(sa.String(64))
    external_id: Mapped[str] = mapped_column(sa.String(64))
    external_name: Mapped[str] = mapped_column(sa.String(200), default="")

    connection: Mapped[AccountingConnection] = relationship(back_populates="mappings")


class InvoiceExport(db.Model):
    """An invoice's copy in one ledger: its id there, or the ledger's error for the last try."""

    __tablename__ = "invoice_exports"
    __table_args__ = (sa.UniqueConstraint("invoice_id", "provider"), AUTOINCREMENT)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(_fk("invoices.id", "CASCADE"))
    provider: Mapped[Provider] = mapped_column(str_enum(Provider, "provider"))
    state: Mapped[ExportState] = mapped_column(str_enum(ExportState, "export_state"))
    external_id: Mapped[str | None] = mapped_column(sa.String(64))
    external_number: Mapped[str | None] = mapped_column(sa.String(40))
    sync_token: Mapped[str | None] = mapped_column(sa.String(20))
    request_id: Mapped[str] = mapped_column(sa.String(64))  # idempotency key of the last try
    error: Mapped[str] = mapped_column(sa.Text, default="")
    # "refused" (the ledger said no), "unreachable" (no answer), "limit" (rate limit or time),
    # "auth" (access refused: reconnecting clears it), "checked" (refused before sending).
    error_kind: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    # What the ledger booked at the last successful export, beside what we sent then: a
    # difference is shown rather than hidden.
    sent_total_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    # In currency units as the ledger wrote them (it may keep cents of a yen): compared exactly.
    ledger_total: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4))
    ledger_tax: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4))
    ledger_status: Mapped[str] = mapped_column(
        sa.String(20), default="", server_default=""
    )  # e.g. Xero DRAFT
    total_differs: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false()
    )  # ledger_total != what we sent
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    exported_at: Mapped[datetime | None]
    # What the last sync read: "voided" or "deleted" in the ledger (flagged, never acted on
    # here), and the balance the ledger shows.
    ledger_flag: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    ledger_balance: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4))

    invoice: Mapped[Invoice] = relationship(back_populates="exports")

    @property
    def has_difference(self) -> bool:
        """Whether the ledger booked another total than the one we sent."""
        return self.state == ExportState.EXPORTED and self.total_differs


class LedgerRecord(db.Model):
    """A payment, refund or credit note's copy in one ledger (its objects there, in
    :class:`LedgerRef`), or the ledger's error for the last try. No row: not sent yet."""

    __tablename__ = "ledger_records"
    __table_args__ = (
        sa.UniqueConstraint("provider", "payment_id"),
        sa.UniqueConstraint("provider", "credit_note_id"),
        sa.CheckConstraint("(payment_id IS NULL) <> (credit_note_id IS NULL)", name="one_document"),
        AUTOINCREMENT,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[Provider] = mapped_column(str_enum(Provider, "provider"))
    payment_id: Mapped[int | None] = mapped_column(_fk("payments.id", "CASCADE"))
    credit_note_id: Mapped[int | None] = mapped_column(_fk("credit_notes.id", "CASCADE"))
    # "here": sent from here; "ledger": brought from the ledger, or matched to one there.
    origin: Mapped[str] = mapped_column(sa.String(8), default="here")
    state: Mapped[ExportState] = mapped_column(str_enum(ExportState, "export_state"))
    external_number: Mapped[str] = mapped_column(sa.String(40), default="")
    request_id: Mapped[str] = mapped_column(sa.String(64), default="")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    error_kind: Mapped[str] = mapped_column(sa.String(16), default="")
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    exported_at: Mapped[datetime | None]
    # When a sync deleted (or voided) the ledger's copy of a payment deleted here since.
    withdrawn_at: Mapped[datetime | None]
    # A payment's: what it had applied to each invoice (id -> minor units) when last sent, so
    # that credit applied from it later here is sent too.
    applied: Mapped[dict[str, int] | None] = mapped_column(sa.JSON)

    payment: Mapped[Payment | None] = relationship()
    credit_note: Mapped[CreditNote | None] = relationship()
    refs: Mapped[list[LedgerRef]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="LedgerRef.id"
    )


class LedgerRef(db.Model):
    """One ledger object behind a record, as ``"Type/id"`` (``Payment/212``,
    ``CreditNote/<guid>``): what a sync looks a reported object up by."""

    __tablename__ = "ledger_refs"
    __table_args__ = (sa.UniqueConstraint("provider", "ref"), AUTOINCREMENT)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(_fk("ledger_records.id", "CASCADE"), index=True)
    provider: Mapped[Provider] = mapped_column(str_enum(Provider, "provider"))
    ref: Mapped[str] = mapped_column(sa.String(80))

    record: Mapped[LedgerRecord] = relationship(back_populates="refs")


class BulkJob(db.Model):
    """A bulk PDF, send or export of many invoices, done a chunk per request (so no request
    outlives the web server's worker timeout); resumable from its page by the user who began it.
    """

    __tablename__ = "bulk_jobs"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)  # unguessable: in URLs
    user_id: Mapped[int] = mapped_column(_fk("users.id", "CASCADE"), index=True)
    action: Mapped[str] = mapped_column(sa.String(16))  # "pdf", "send" or "export"
    invoice_ids: Mapped[list[int]] = mapped_column(sa.JSON)
    options: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    done: Mapped[int] = mapped_column(default=0)  # how many of invoice_ids are dealt with
    results: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    message: Mapped[str] = mapped_column(sa.Text, default="")  # why it stopped, if it did
    # While a request works on a chunk; a worker killed mid-chunk frees the job when it passes.
    running_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]


class CacheVersion(db.Model):
    """One row whose ``version`` goes up in every transaction that changes what a worker keeps
    in memory (the settings, the Billing page's filter choices; see ``billing.process_cache``),
    so that each worker sees another's change on its next request."""

    __tablename__ = "cache_versions"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=1)
