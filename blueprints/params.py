"""Ids and page numbers read from a request: in the URL, the query string or a posted form.

Each is read by ``billing.ids`` (ASCII digits, 1 to ``MAX_ID``). A path id out of range matches
no route (404); a query string value that is not an id is ignored and said so on the page
(``billing.wording.Ignored``); posted ids are refused with a message (422): see also
``blueprints.forms.IdSelectField``.
"""

from collections.abc import Iterable
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter, Map, ValidationError

from billing.errors import ValidationFailed
from billing.ids import MAX_ID, MAX_PAGE, parse_id, parse_page
from billing.wording import Ignored, article, one_of, shown


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
