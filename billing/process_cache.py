"""What almost every request reads and seldom changes, kept in each worker's memory while the
database says it is current: the settings, the Billing page's filter choices, and the users
who log in.

The database holds one number, ``cache_versions.version``. Every transaction that changes a
table these values come from (:data:`WATCHED`) raises it just before it commits, in the same
transaction, so a worker that reads the number at the start of a request (one indexed query,
once per request) sees another worker's change on its next request. A value is kept with the
number read before it was loaded: a change committed meanwhile only makes the next request
load it again. While the request's own transaction has changed a watched table, values are
read from the database and not kept (no one else sees the change yet).

A user's row (with their session token and active flag) is kept like the rest: a change to any
user (a password, a deactivation, a log-out everywhere) raises the number in the transaction
that makes it, so every worker reads the row again on its next request and the change applies
at once (``tests/http/test_user_cache.py``).
"""

from collections.abc import Callable
from itertools import chain
from types import SimpleNamespace
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, make_transient_to_detached

from billing.ledgers.connections import connected_providers
from billing.settings import get_settings
from models import (
    AccountingConnection,
    CacheVersion,
    Customer,
    InvoiceBatch,
    Provider,
    Settings,
    User,
    db,
)

T = TypeVar("T")

WATCHED = (Settings, Customer, InvoiceBatch, AccountingConnection, User)
# Settings columns no kept value shows: numbering an invoice must not empty every worker's cache.
SETTINGS_NOT_KEPT = frozenset({"logo", "next_invoice_number", "updated_at"})
BATCH_CHOICES = 200  # the newest batches offered in the Billing page's batch filter
USER_COLUMNS = tuple(sa.inspect(User).column_attrs.keys())  # every column, by attribute name
EXTENSION = "process_cache"
VERSION_SQL = "SELECT version FROM cache_versions WHERE id = 1"
CHANGED = "process_cache.changed"  # in Session.info: this transaction changed a watched table


class SettingsView(SimpleNamespace):
    """A read-only copy of the settings row as pages show it (no logo bytes, no next number)."""

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"The settings view is read-only ({name}); use get_settings().")


class FilterChoices(NamedTuple):
    """The Billing page's filter choices: (id, name) of every customer by name, of the newest
    batches newest first; the ledgers connected for export."""

    customers: tuple[tuple[int, str], ...]
    batches: tuple[tuple[int, str], ...]
    ledgers: tuple[Provider, ...]


def cached(name: str, load: Callable[[], T]) -> T:
    """``load()``'s value, loaded once per worker while no watched table changes."""
    if db.session.info.get(CHANGED) or _watched_pending(db.session):
        return load()
    version = _version()
    if version is None:  # no version row yet (a database built without the migrations)
        return load()
    store = current_app.extensions.setdefault(EXTENSION, {})
    kept = store.get(name)
    if kept is not None and kept[0] == version:
        return kept[1]
    value = load()
    if not db.session.info.get(CHANGED):  # loading wrote nothing (a first settings row would)
        store[name] = (version, value)
    return value


def settings_view() -> SettingsView:
    """The settings as pages show them, from the worker's memory while they are current."""
    return cached("settings", _load_settings)


def filter_choices() -> FilterChoices:
    """The Billing page's filter choices, from the worker's memory while they are current."""
    return cached("filter_choices", _load_filter_choices)


def session_user(user_id: int) -> User | None:
    """The user ``user_id`` in this request's session, from the worker's memory while current
    (no query); None when there is no such user."""
    key = Session.identity_key(User, user_id)
    if key in db.session.identity_map:  # already in this session (tests share one)
        return db.session.get(User, user_id)
    values = cached(f"user:{user_id}", lambda: _load_user(user_id))
    if values is None:
        return None
    user = User(**values)
    make_transient_to_detached(user)  # as if just read: clean, with its identity
    db.session.add(user)
    return user


def offered_batches(choices: FilterChoices, selected: int | None) -> tuple[tuple[int, str], ...]:
    """The batches the filter offers: the newest, and the one filtered on (``selected``) in
    place of the last of them when it is older, so the form keeps it."""
    batches = choices.batches
    if selected is None or any(batch_id == selected for batch_id, _ in batches):
        return batches
    row = db.session.execute(
        select(InvoiceBatch.id, InvoiceBatch.name).where(InvoiceBatch.id == selected)
    ).first()
    return batches if row is None else (*batches[: BATCH_CHOICES - 1], (row[0], row[1]))


def _load_settings() -> SettingsView:
    settings = get_settings()
    columns = [c.key for c in sa.inspect(Settings).column_attrs if c.key not in SETTINGS_NOT_KEPT]
    return SettingsView(**{key: getattr(settings, key) for key in columns})


def _load_user(user_id: int) -> dict[str, Any] | None:
    columns = [getattr(User, key) for key in USER_COLUMNS]
    row = db.session.execute(select(*columns).where(User.id == user_id)).first()
    return None if row is None else row._asdict()


def _load_filter_choices() -> FilterChoices:
    customers = db.session.execute(select(Customer.id, Customer.name).order_by(Customer.name))
    batches = db.session.execute(
        select(InvoiceBatch.id, InvoiceBatch.name)
        .order_by(InvoiceBatch.id.desc())
        .limit(BATCH_CHOICES)
    )
    return FilterChoices(
        tuple(map(tuple, customers)), tuple(map(tuple, batches)), tuple(connected_providers())
    )


def _version() -> int | None:
    """The version row's number, read once per request."""
    if "cache_version" not in g:
        # Plain SQL: this runs on every request, and needs no statement built or compiled.
        g.cache_version = db.session.connection().exec_driver_sql(VERSION_SQL).scalar_one_or_none()
    return g.cache_version


def _forget_request_copies() -> None:
    if has_app_context():
        g.pop("cache_version", None)
        g.pop("settings", None)


def _changes_watched(session: Session, obj: object) -> bool:
    if not isinstance(obj, WATCHED):
        return False
    if isinstance(obj, Settings) and obj in session.dirty:
        state = sa.inspect(obj)
        return any(
            attr.key not in SETTINGS_NOT_KEPT and attr.history.has_changes() for attr in state.attrs
        )
    return True


def _watched_pending(session: Session) -> bool:
    """Whether the session holds unflushed changes to a watched table."""
    return any(
        _changes_watched(session, obj) for obj in chain(session.new, session.dirty, session.deleted)
    )


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, flush_context: UOWTransaction) -> None:
    """Mark the transaction when a flush wrote a watched table (before_commit raises the
    version)."""
    if _watched_pending(session):
        session.info[CHANGED] = True
        _forget_request_copies()


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    """The same for an INSERT, UPDATE or DELETE statement on a watched table."""
    if state.is_insert or state.is_update or state.is_delete:
        mapper = state.bind_mapper
        if mapper is not None and issubclass(mapper.class_, WATCHED):
            state.session.info[CHANGED] = True
            _forget_request_copies()


def _bump_statement(dialect_name: str) -> sa.Insert:
    insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    table = CacheVersion.__table__
    statement = insert(table).values(id=1, version=1)
    return statement.on_conflict_do_update(
        index_elements=[table.c.id], set_={"version": table.c.version + 1}
    )


@event.listens_for(Session, "before_commit")
def _raise_version(session: Session) -> None:
    """Raise the version in the committing transaction, as its last statement (a short lock)."""
    session.flush()
    if session.info.pop(CHANGED, False):
        dialect = session.get_bind().dialect.name
        session.execute(_bump_statement(dialect))
        session.info["process_cache.raised"] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """This worker's kept values are out of date once its own change is committed."""
    if session.info.pop("process_cache.raised", False) and has_app_context():
        current_app.extensions.pop(EXTENSION, None)
        _forget_request_copies()


@event.listens_for(Session, "after_transaction_end")
def _after_transaction(session: Session, transaction: sa.orm.SessionTransaction) -> None:
    """A rolled-back transaction changed nothing."""
    if transaction.parent is None:
        session.info.pop(CHANGED, None)
        session.info.pop("process_cache.raised", None)
