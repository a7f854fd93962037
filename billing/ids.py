"""Row ids and page numbers read from text (a URL, a query string, a posted form, the CLI).

Every id column is a plain INTEGER: PostgreSQL's stops at 2,147,483,647 (SQLite's at 2**63 - 1),
and a larger value reaching a query fails in the driver. So an id is read here, once: ASCII
digits only (``str.isdigit`` is true for "²", which ``int`` refuses, and ``int`` reads "٣" as 3),
from 1 to :data:`MAX_ID`.
"""

from typing import Any

MAX_ID = 2**31 - 1  # PostgreSQL's int4, the narrowest id column we run on
MAX_PAGE = 100_000


def parse_id(raw: Any) -> int | None:
    """``raw`` (text) as a row id, or None: ASCII digits, no sign or space, 1 to MAX_ID."""
    return _bounded(raw, MAX_ID)


def parse_page(raw: Any) -> int | None:
    """``raw`` (text) as a page number, or None: ASCII digits, 1 to MAX_PAGE."""
    return _bounded(raw, MAX_PAGE)


def _bounded(raw: Any, highest: int) -> int | None:
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit():
        return None
    if len(raw) > len(str(highest)):  # before int(): thousands of digits are slow to convert
        return None
    value = int(raw)
    return value if 1 <= value <= highest else None
