"""What a database error means for the user: another writer got there first (a conflict,
409), or the database cannot be reached (503). One definition, used by the batch rules and by
the app's error handlers.
"""

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import exc as orm_exc

SIMULTANEOUS_CHANGE = (
    "Another change was saved at the same moment; nothing was changed. Reload and try again."
)
UNREACHABLE = (
    "The database cannot be reached right now; nothing was changed. Try again in a minute."
)

# PostgreSQL: serialization failure, deadlock, lock not available.
_PG_CONFLICTS = {"40001", "40P01", "55P03"}
# PostgreSQL: the server is shutting down or starting, or has no connection left for us.
_PG_UNAVAILABLE = {"57P01", "57P02", "57P03", "53300"}
# SQLite primary result codes: BUSY and LOCKED (another writer), CANTOPEN (no database file).
_SQLITE_CONFLICTS = {5, 6}
_SQLITE_CANTOPEN = 14


def is_write_conflict(error: BaseException) -> bool:
    """Another transaction changed or locked the same rows: retrying later may well succeed.

    A unique or foreign key refused (two writers inserted the same key, or one deleted what
    the other refers to), a lock waited for too long, a serialization failure or deadlock, a
    row updated or deleted under the ORM.
    """
    if isinstance(error, orm_exc.StaleDataError | orm_exc.ObjectDeletedError):
        return True
    if isinstance(error, sa_exc.IntegrityError):
        return True
    if not isinstance(error, sa_exc.OperationalError) or _is_unreachable_dbapi(error):
        return False
    orig = error.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_CONFLICTS
    return getattr(orig, "sqlstate", None) in _PG_CONFLICTS


def is_unreachable(error: BaseException) -> bool:
    """The database cannot be reached: no connection could be made or it was lost."""
    if isinstance(error, sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        return _is_unreachable_dbapi(error)
    return False


def _is_unreachable_dbapi(error: sa_exc.DBAPIError) -> bool:
    if error.connection_invalidated or isinstance(error, sa_exc.InterfaceError):
        return True
    if not isinstance(error, sa_exc.OperationalError):
        return False
    orig = error.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == _SQLITE_CANTOPEN
    if not type(orig).__module__.startswith("psycopg"):
        return False
    # psycopg gives no SQLSTATE when the connection itself failed (refused, timed out, lost).
    sqlstate = getattr(orig, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in _PG_UNAVAILABLE
