"""The fake QBO query language (§2.3): a strict subset, parsed and run over stored entities.

``SELECT * [, field...] | COUNT(*) FROM Entity [WHERE cond [AND cond]...]
[ORDERBY|ORDER BY field [ASC|DESC][, ...]] [STARTPOSITION n] [MAXRESULTS n]``
where ``cond`` is ``field op value`` (``= < > <= >=``), ``field IN (v, ...)`` or
``field LIKE '%x%'``; strings are single-quoted with ``\\'`` as the only escape. Keywords are
case-insensitive. Anything else (``OR``, a bad quote, a field list without ``*``) -> 4000.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tests.fakes import qbo_faults

_META = ["MetaData.CreateTime", "MetaData.LastUpdatedTime"]
FILTERABLE = {
    "Customer": [
        "Id", "DisplayName", "GivenName", "MiddleName", "FamilyName", "CompanyName",
        "FullyQualifiedName", "PrintOnCheckName", "PrimaryEmailAddr", "Active", "Balance",
        "Job", "ParentRef", *_META,
    ],
    "Item": ["Id", "Name", "Type", "Active", "Sku", "FullyQualifiedName", "Taxable", *_META],
    "Invoice": [
        "Id", "DocNumber", "TxnDate", "DueDate", "CustomerRef", "TotalAmt", "Balance", *_META,
    ],
    "Account": [
        "Id", "Name", "AccountType", "AccountSubType", "Classification", "Active",
        "FullyQualifiedName", "CurrentBalance", *_META,
    ],
    "Vendor": [
        "Id", "DisplayName", "GivenName", "FamilyName", "CompanyName", "PrimaryEmailAddr",
        "Active", "Balance", *_META,
    ],
    "Employee": ["Id", "DisplayName", "GivenName", "FamilyName", "Active", *_META],
    "TaxCode": ["Id", "Name", "Active", "Taxable", *_META],
    "TaxRate": ["Id", "Name", "Active", "RateValue", *_META],
    "TaxAgency": ["Id", "DisplayName", *_META],
    "CompanyInfo": ["Id", "CompanyName", *_META],
    "Preferences": ["Id", *_META],
    "Payment": ["Id", "TxnDate", "CustomerRef", "PaymentRefNum", "TotalAmt", *_META],
    "CreditMemo": ["Id", "DocNumber", "TxnDate", "CustomerRef", "TotalAmt", "Balance", *_META],
    "RefundReceipt": ["Id", "DocNumber", "TxnDate", "CustomerRef", "TotalAmt", *_META],
}  # fmt: skip
_TOKEN = re.compile(
    r"\s*(?:(?P<STRING>'(?:[^'\\]|\\.)*')|(?P<NUMBER>-?\d+(?:\.\d+)?)"
    r"|(?P<IDENTIFIER>[A-Za-z_][A-Za-z0-9_]*)|(?P<OP><=|>=|=|<|>)|(?P<PUNCT>[(),*.]))"
)
_JAVACC_KIND = {"STRING": "STRING_LITERAL", "NUMBER": "INTEGER", "IDENTIFIER": "IDENTIFIER"}


@dataclass
class Token:
    """A lexical token with its 1-based column."""

    kind: str
    text: str
    column: int

    def keyword(self) -> str:
        """The upper-cased text, for keyword comparisons."""
        return self.text.upper() if self.kind == "IDENTIFIER" else ""


@dataclass
class Condition:
    """``field op value(s)``; ``op`` is one of = < > <= >= IN LIKE."""

    field: str
    op: str
    values: list[Any]


@dataclass
class Query:
    """A parsed query."""

    entity: str
    count: bool = False
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start: int = 1
    max_results: int | None = None


def tokenize(text: str) -> list[Token]:
    """Split the query into tokens, ending with EOF (or LEXERROR where lexing stopped)."""
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:  # reported only when the parser reaches it, as JavaCC lexes lazily
            column = len(text) - len(text[pos:].lstrip()) + 1
            tokens.append(Token("LEXERROR", text[column - 1], column))
            return tokens
        kind = match.lastgroup or ""
        tokens.append(Token(kind, match.group(kind), match.start(kind) + 1))
        pos = match.end()
    tokens.append(Token("EOF", "<EOF>", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind == "LEXERROR":
            raise qbo_faults.query_parse_error(
                f"Lexical error at line 1, column {token.column}.  "
                f'Encountered: "{token.text}" after : ""'
            )
        return token

    def next(self) -> Token:
        token = self.peek()
        self.pos += 1
        return token

    def fail(self, expected: Iterable[str]) -> qbo_faults.QboFault:
        token = self.peek()
        shown = "<EOF>" if token.kind == "EOF" else f"<{_JAVACC_KIND.get(token.kind, token.kind)}>"
        choices = "\n    ".join(f'"{e}" ...' for e in expected)
        return qbo_faults.query_parse_error(
            f'Encountered " {shown} "{token.text} "" at line 1, column {token.column}.\n'
            f"Was expecting one of:\n    {choices}\n    "
        )

    def expect_keyword(self, *words: str) -> str:
        if self.peek().keyword() not in words:
            raise self.fail(w.lower() for w in words)
        return self.next().keyword()

    def expect_punct(self, char: str) -> None:
        if self.peek().text != char:
            raise self.fail([char])
        self.next()

    def identifier(self) -> str:
        if self.peek().kind != "IDENTIFIER":
            raise self.fail(["<IDENTIFIER>"])
        return self.next().text

    def dotted(self) -> str:
        name = self.identifier()
        while self.peek().text == ".":
            self.next()
            name += "." + self.identifier()
        return name

    def value(self) -> Any:
        token = self.peek()
        if token.kind == "STRING":
            self.next()
            return token.text[1:-1].replace("\\'", "'")  # only \' is an escape
        if token.kind == "NUMBER":
            self.next()
            return Decimal(token.text)
        if token.keyword() in ("TRUE", "FALSE"):
            self.next()
            return token.keyword() == "TRUE"
        raise self.fail(["<STRING_LITERAL>", "<INTEGER>", "true", "false"])

    def integer(self) -> int:
        token = self.peek()
        if token.kind != "NUMBER" or not token.text.isdigit():
            raise self.fail(["<INTEGER>"])
        self.next()
        return int(token.text)

    def parse(self) -> Query:
        self.expect_keyword("SELECT")
        count = self.peek().keyword() == "COUNT"
        if count:
            self.next()
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
        else:
            self.expect_punct("*")
            while self.peek().text == ",":  # python-quickbooks sends "SELECT *, Sku FROM Item"
                self.next()
                self.dotted()
        self.expect_keyword("FROM")
        query = Query(entity=self.identifier(), count=count)
        if self.peek().keyword() == "WHERE":
            self.next()
            query.where.append(self.condition())
            while self.peek().keyword() == "AND":
                self.next()
                query.where.append(self.condition())
        self.tail(query)
        return query

    def condition(self) -> Condition:
        name = self.dotted()
        token = self.peek()
        if token.kind == "OP":
            self.next()
            return Condition(name, token.text, [self.value()])
        if token.keyword() == "IN":
            self.next()
            self.expect_punct("(")
            values = [self.value()]
            while self.peek().text == ",":
                self.next()
                values.append(self.value())
            self.expect_punct(")")
            return Condition(name, "IN", values)
        if token.keyword() == "LIKE":
            self.next()
            if self.peek().kind != "STRING":
                raise self.fail(["<STRING_LITERAL>"])
            return Condition(name, "LIKE", [self.value()])
        raise self.fail(["=", "<", ">", "<=", ">=", "in", "like"])

    def tail(self, query: Query) -> None:
        if self.peek().keyword() in ("ORDERBY", "ORDER"):
            if self.next().keyword() == "ORDER":
                self.expect_keyword("BY")
            while True:
                name = self.dotted()
                descending = False
                if self.peek().keyword() in ("ASC", "DESC"):
                    descending = self.next().keyword() == "DESC"
                query.order.append((name, descending))
                if self.peek().text != ",":
                    break
                self.next()
        seen: set[str] = set()
        while self.peek().keyword() in {"STARTPOSITION", "MAXRESULTS"} - seen:
            word = self.next().keyword()
            seen.add(word)
            if word == "STARTPOSITION":
                query.start = max(self.integer(), 1)
            else:
                query.max_results = self.integer()
        if self.peek().kind != "EOF":
            raise self.fail(["and", "orderby", "startposition", "maxresults", "<EOF>"])


def parse(text: str) -> Query:
    """Parse a query, raising a 4000 (syntax) or 4001 (unknown entity/field) fault."""
    if not text or not text.strip():
        raise qbo_faults.query_parse_error("The query provided was empty")
    query = _Parser(text).parse()
    entity = {e.lower(): e for e in FILTERABLE}.get(query.entity.lower())
    if entity is None:
        raise qbo_faults.query_invalid(f"Entity {query.entity} is not supported")
    query.entity = entity
    known = {f.lower(): f for f in FILTERABLE[entity]}
    for cond in query.where:
        cond.field = _known_field(known, cond.field)
    query.order = [(_known_field(known, name), desc) for name, desc in query.order]
    return query


def _known_field(known: dict[str, str], name: str) -> str:
    if name.lower() not in known:
        raise qbo_faults.query_invalid(f"property '{name}' is not queryable")
    return known[name.lower()]


def _lookup(entity: dict[str, Any], path: str) -> Any:
    value: Any = entity
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, dict):  # refs compare by id, e-mail addresses by address
        value = value.get("value", value.get("Address"))
    return value


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _moment(value: Any) -> datetime | None:
    """A date-time with an offset (``MetaData.LastUpdatedTime``), compared as an instant: QBO
    finds ``> '2026-11-20T18:00:00Z'`` and ``> '2026-11-20T10:00:00-08:00'`` alike."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _matches(actual: Any, cond: Condition, fold: Callable[[str], str]) -> bool:
    if actual is None:
        return False
    for literal in cond.values:
        if cond.op == "LIKE":
            pattern = ".*".join(re.escape(fold(p)) for p in str(literal).split("%"))
            if re.fullmatch(pattern, fold(str(actual)), re.DOTALL):
                return True
            continue
        left, right = _number(actual), _number(literal)
        if isinstance(literal, bool) or isinstance(actual, bool):
            left, right = str(actual).lower(), str(literal).lower()
        elif _moment(actual) is not None and _moment(literal) is not None:
            left, right = _moment(actual), _moment(literal)
        elif left is None or right is None:
            left, right = fold(str(actual)), fold(str(literal))
        op = "=" if cond.op == "IN" else cond.op
        if {"=": left == right, "<": left < right, ">": left > right,
                "<=": left <= right, ">=": left >= right}[op]:  # fmt: skip
            return True
    return False


def run(
    query: Query, entities: Iterable[dict[str, Any]], *, case_sensitive: bool, hide_inactive: bool,
    default_max: int, max_max: int,
) -> dict[str, Any]:  # fmt: skip
    """Evaluate a parsed query; returns the ``QueryResponse`` object."""
    fold: Callable[[str], str] = (lambda s: s) if case_sensitive else str.casefold
    rows = list(entities)
    if hide_inactive and not any(c.field == "Active" for c in query.where):
        rows = [r for r in rows if r.get("Active", True) is not False]
    rows = [r for r in rows if all(_matches(_lookup(r, c.field), c, fold) for c in query.where)]
    if query.count:
        return {"totalCount": len(rows)}
    for name, descending in reversed(query.order):
        present = [r for r in rows if _lookup(r, name) is not None]
        absent = [r for r in rows if _lookup(r, name) is None]
        present.sort(key=lambda r, n=name: _sort_key(_lookup(r, n), fold), reverse=descending)
        rows = present + absent
    limit = min(query.max_results or default_max, max_max)
    page = rows[query.start - 1 : query.start - 1 + limit]
    if not page:
        return {}
    return {query.entity: page, "startPosition": query.start, "maxResults": len(page)}


def _sort_key(value: Any, fold: Callable[[str], str]) -> tuple[int, Any]:
    number = _number(value)
    return (0, number) if number is not None else (1, fold(str(value)))
