"""Ids and page numbers read from a request: in the URL, the query string or a posted form.

Every id column is a plain INTEGER: PostgreSQL's stops at 2,147,483,647 (SQLite's at 2**63 - 1),
and a larger value reaching a query fails in the driver, a 500. So an id is read here, once:
ASCII digits only (``str.isdigit`` is true for "²", which ``int`` refuses, and ``int`` reads
"٣" as 3), from 1 to :data:`MAX_ID`. A path id out of range matches no route (404); a query
string value that is not an id is ignored and said so on the page (:class:`Ignored`); posted
ids are refused with a message (422): see also ``blueprints.forms.IdSelectField``.
"""

from collections.abc import Iterable
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter, Map, ValidationError

from billing.errors import ValidationFailed

MAX_ID = 2**31 - 1  # PostgreSQL's int4, the narrowest id column we run on
MAX_PAGE = 100_000
SHOWN_CHARS = 40  # of a refused value, quoted back to the user


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


def shown(raw: str) -> str:
    """A value the user sent, fit to quote back: at most SHOWN_CHARS, control characters
    replaced (the template escapes the rest)."""
    text = "".join(c if c.isprintable() else "\ufffd" for c in raw[: SHOWN_CHARS + 1])
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def one_of(values: Iterable[str]) -> str:
    """``["a", "b", "c"]`` as "a, b or c"."""
    *rest, last = list(values)
    return f"{', '.join(rest)} or {last}" if rest else last


class IdConverter(IntegerConverter):
    """The ``int`` of every route: ASCII digits, at most MAX_ID (else the route does not match:
    404). ``<int(max=...):...>`` may narrow it further."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        """The id, or no match (``ValidationError``) when it has more digits than MAX_ID."""
        if len(value) > len(str(MAX_ID)):
            raise ValidationError()
        return super().to_python(value)


def query_id(args: MultiDict, name: str) -> int | None:
    """The id in ``args[name]``, or None when absent or not an id (for preselecting a choice:
    a bad value just preselects nothing)."""
    return parse_id((args.get(name) or "").strip())


def posted_ids(form: MultiDict, name: str, noun: str) -> list[int]:
    """The ids of ``noun`` rows posted as ``name`` (repeated, or comma-separated), in order,
    without repeats.

    :raise ValidationFailed: one of them is not an id ("“²” is not an invoice id"); 422.
    """
    ids: dict[int, None] = {}
    for value in form.getlist(name):
        for part in value.split(","):
            if not part.strip():
                continue
            parsed = parse_id(part.strip())
            if parsed is None:
                raise ValidationFailed(f"“{shown(part)}” is not {article(noun)} id.", name)
            ids[parsed] = None
    return list(ids)


class Ignored(list[str]):
    """What a page left out of its query string, in words: "customer “abc” is not a customer
    id". Shown near the filters (``_ignored.html``) as "Ignored: …; …."."""

    def add(self, label: str, raw: str, expected: str) -> None:
        """Note that ``label`` = ``raw`` was ignored as it is not ``expected``."""
        self.append(f"{label} “{shown(raw)}” is not {expected}")

    @property
    def text(self) -> str:
        """The notice, or "" when nothing was ignored."""
        return f"Ignored: {'; '.join(self)}." if self else ""


class QueryArgs:
    """A list page's query string: each reader returns the value, or its default and notes the
    value it could not use in :attr:`ignored`. Empty values are "not filtered", never noted."""

    def __init__(self, args: MultiDict) -> None:
        self.args = args
        self.ignored = Ignored()

    def raw(self, name: str) -> str:
        """The value of ``name``, stripped ("" when absent)."""
        return (self.args.get(name) or "").strip()

    def id(self, name: str, noun: str | None = None) -> int | None:
        """The id in ``name`` (``noun``: what it names, default ``name``), or None."""
        raw = self.raw(name)
        value = parse_id(raw) if raw else None
        if raw and value is None:
            self.ignored.add(name, raw, f"{article(noun or name)} id")
        return value

    def page(self) -> int:
        """The page number (1 when absent or not a page number)."""
        raw = self.raw("page")
        value = parse_page(raw) if raw else None
        if raw and value is None:
            self.ignored.add("page", raw, f"a page number from 1 to {MAX_PAGE:,}")
        return value or 1

    def choice(self, name: str, values: Iterable[str], default: str | None = None) -> str | None:
        """The value of ``name`` if it is one of ``values``, else ``default``."""
        allowed = [str(v) for v in values]
        raw = self.raw(name)
        if raw in allowed:
            return raw
        if raw:
            self.ignored.add(name, raw, one_of(allowed))
        return default


def article(noun: str) -> str:
    """The noun with its article: "a customer", "an invoice"."""
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"
