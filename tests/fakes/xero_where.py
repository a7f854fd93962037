"""The subset of Xero's ``where`` and ``order`` query languages that the fake understands.

Grammar (a small slice of Xero's .NET-flavoured expressions)::

    expr    := and (("||" | "OR") and)*
    and     := unary (("&&" | "AND") unary)*
    unary   := ("!" | "NOT") unary | "(" expr ")" | compare
    compare := operand [("==" | "!=" | ">" | ">=" | "<" | "<=") operand]
    operand := literal | Field(.Field)* (.Method(args))*
    literal := "text" | number | true | false | null | Guid("…") | DateTime(y, m, d)

Methods: ``Contains``, ``StartsWith``, ``EndsWith`` (string argument), ``ToLower()``,
``ToUpper()``. Anything else raises ``QueryParseError``, which the API answers with a 400
``QueryParseException``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|>=|<=|&&|\|\||[<>!(),.])'
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*))"
)
_KEYWORDS = {"AND": "&&", "OR": "||", "NOT": "!"}
_COMPARE = {"==", "!=", ">", ">=", "<", "<="}
_STRING_METHODS = {"Contains", "StartsWith", "EndsWith"}


class QueryParseError(ValueError):
    """The expression is outside the supported subset or malformed."""


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str


def _tokenize(text: str) -> list[_Tok]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        found = _TOKEN.match(text, pos)
        if not found:
            raise QueryParseError(f"Syntax error at position {pos} in '{text}'")
        pos = found.end()
        kind = found.lastgroup or ""
        value = found.group(kind)
        if kind == "name" and value.upper() in _KEYWORDS:
            kind, value = "op", _KEYWORDS[value.upper()]
        tokens.append(_Tok(kind, value))
    return tokens


def _unescape(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


class _Parser:
    """Recursive descent over the tokens; builds closures evaluated per entity."""

    def __init__(self, text: str, fields: set[str], fold) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.fields = fields
        self.fold = fold

    def peek(self) -> _Tok | None:
        """The next token, or None at the end."""
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, text: str | None = None) -> _Tok:
        """Consume the next token (which must be ``text`` when given)."""
        token = self.peek()
        if token is None or (text is not None and token.text != text):
            raise QueryParseError(f"'{text or 'operand'}' expected")
        self.pos += 1
        return token

    def parse(self):
        """The whole expression as a predicate."""
        node = self.expr()
        if self.peek() is not None:
            raise QueryParseError(f"Syntax error near '{self.peek().text}'")
        return node

    def expr(self):
        """``and ("||" and)*``"""
        left = self.conj()
        while self.peek() and self.peek().text == "||":
            self.take()
            right, prev = self.conj(), left
            left = lambda e, a=prev, b=right: bool(a(e)) or bool(b(e))  # noqa: E731
        return left

    def conj(self):
        """``unary ("&&" unary)*``"""
        left = self.unary()
        while self.peek() and self.peek().text == "&&":
            self.take()
            right, prev = self.unary(), left
            left = lambda e, a=prev, b=right: bool(a(e)) and bool(b(e))  # noqa: E731
        return left

    def unary(self):
        """``"!" unary | "(" expr ")" | compare``"""
        token = self.peek()
        if token and token.text == "!":
            self.take()
            inner = self.unary()
            return lambda e: not inner(e)
        if token and token.text == "(":
            self.take()
            inner = self.expr()
            self.take(")")
            return inner
        return self.compare()

    def compare(self):
        """``operand [op operand]``"""
        left = self.operand()
        token = self.peek()
        if token is None or token.text not in _COMPARE:
            return left
        op = self.take().text
        right = self.operand()
        fold = self.fold
        return lambda e: _compare(op, left(e), right(e), fold)

    def operand(self):
        """A literal, a constructor, or a field with methods."""
        token = self.take()
        if token.kind == "str":
            value = _unescape(token.text)
            return self.methods(lambda e: value)
        if token.kind == "num":
            number = Decimal(token.text)
            return lambda e: number
        if token.kind != "name":
            raise QueryParseError(f"Expression expected near '{token.text}'")
        if token.text in {"true", "false", "null"}:
            constant = {"true": True, "false": False, "null": None}[token.text]
            return lambda e: constant
        if token.text in {"Guid", "DateTime"} and self.peek() and self.peek().text == "(":
            return self.constructor(token.text)
        return self.methods(self.field(token.text))

    def constructor(self, kind: str):
        """``Guid("…")`` or ``DateTime(y, m, d)``."""
        self.take("(")
        args = [self.take()]
        while self.peek() and self.peek().text == ",":
            self.take()
            args.append(self.take())
        self.take(")")
        try:
            if kind == "Guid":
                value: Any = _unescape(args[0].text).lower()
            else:
                value = datetime(*(int(a.text) for a in args)).date()  # noqa: DTZ001
        except (TypeError, ValueError, IndexError) as error:
            raise QueryParseError(f"Invalid {kind} literal") from error
        return lambda e: value

    def field(self, name: str):
        """A known field, possibly nested (``Contact.Name``)."""
        if name not in self.fields:
            raise QueryParseError(f"No property or field '{name}' exists in type")
        path = [name]
        while self.path_step():
            self.take(".")
            path.append(self.take().text)
        return lambda e: _lookup(e, path)

    def path_step(self) -> bool:
        """Whether a ``.Name`` follows that is a nested field rather than a method call."""
        t, i = self.tokens, self.pos
        return (
            i + 1 < len(t)
            and t[i].text == "."
            and t[i + 1].kind == "name"
            and not (i + 2 < len(t) and t[i + 2].text == "(")
        )

    def methods(self, base):
        """Any ``.Method(args)`` calls applied to ``base``."""
        while self.peek() and self.peek().text == ".":
            self.take(".")
            method = self.take().text
            self.take("(")
            if method in _STRING_METHODS:
                arg = self.operand()
                self.take(")")
                base = _string_method(method, base, arg, self.fold)
            elif method in {"ToLower", "ToUpper"}:
                self.take(")")
                base = _case_method(method, base)
            else:
                raise QueryParseError(f"No applicable method '{method}' exists in type")
        return base


def _lookup(entity: dict, path: list[str]) -> Any:
    value: Any = entity
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _string_method(method: str, base, arg, fold):
    def run(entity):
        text, needle = base(entity), arg(entity)
        if text is None or needle is None:
            return False
        text, needle = fold(str(text)), fold(str(needle))
        return {
            "Contains": needle in text,
            "StartsWith": text.startswith(needle),
            "EndsWith": text.endswith(needle),
        }[method]

    return run


def _case_method(method: str, base):
    def run(entity):
        value = base(entity)
        if value is None:
            return None
        return str(value).lower() if method == "ToLower" else str(value).upper()

    return run


def _same(text: str) -> str:
    return text


def _casefold(text: str) -> str:
    return text.casefold()


def _normalise(value: Any, fold=_same) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, bool) or value is None or isinstance(value, date):
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    return fold(str(value))


def _compare(op: str, left: Any, right: Any, fold) -> bool:
    a, b = _normalise(left, fold), _normalise(right, fold)
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if a is None or b is None:
        return False
    try:
        return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]
    except TypeError as error:
        raise QueryParseError(f"Operator '{op}' incompatible with operand types") from error


def compile_where(text: str, fields: set[str], case_sensitive: bool = False):
    """A predicate ``entity -> bool`` for ``text``; QueryParseError when outside the subset.

    String comparisons ignore case unless ``case_sensitive`` (Xero's own behaviour there is
    unverified, so the fake makes it a setting).
    """
    return _Parser(text, fields, _same if case_sensitive else _casefold).parse()


def apply_order(entities: list[dict], order: str | None, fields: set[str]) -> list[dict]:
    """Sort by ``order`` (``"Name ASC, Date DESC"``); QueryParseError for an unknown field."""
    if not order:
        return entities
    result = list(entities)
    for clause in reversed([c.strip() for c in order.split(",") if c.strip()]):
        parts = clause.split()
        name = parts[0]
        if name not in fields or len(parts) > 2:
            raise QueryParseError(f"No property or field '{name}' exists in type")
        descending = len(parts) == 2 and parts[1].upper() == "DESC"
        present = [e for e in result if e.get(name) is not None]
        missing = [e for e in result if e.get(name) is None]
        present.sort(key=lambda e, n=name: _normalise(e[n], _casefold), reverse=descending)
        result = present + missing
    return result
