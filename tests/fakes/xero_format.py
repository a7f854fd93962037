"""Wire formats of the fake Xero: exact-decimal JSON, MS-JSON dates, Xero's error bodies."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask import Response

ZERO_UUID = "00000000-0000-0000-0000-000000000000"
JSON_TYPE = "application/json; charset=utf-8"
NOT_FOUND_TEXT = "The resource you're looking for cannot be found"

# Xero's ErrorNumber per exception type; only 10 is in the spec's examples [unverified others].
ERROR_NUMBERS = {
    "ValidationException": 10,
    "PostDataInvalidException": 11,
    "QueryParseException": 16,
    "ObjectNotFoundException": 17,
}

_MS_DATE = re.compile(r"^/Date\((?P<ms>-?\d+)(?P<tz>[+-]\d{2,4})?\)/$")
CENT = Decimal("0.01")


def names(text: str) -> frozenset[str]:
    """A set of names written as one space-separated string (field lists, scopes)."""
    return frozenset(text.split())


def dumps(value: Any) -> str:
    """JSON text in which a Decimal keeps its digits (``2.0000`` stays so, as Xero sends)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    return json.dumps(value)


def loads(text: str | bytes) -> Any:
    """Parse JSON with every non-integer number as a Decimal."""
    return json.loads(text, parse_float=Decimal)


def to_decimal(value: Any) -> Decimal:
    """A Decimal from a JSON number or numeric string; ValueError otherwise."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} is not a number")
    try:
        result = Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(f"{value!r} is not a number") from error
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a number")
    return result


def quantize(value: Decimal, places: int) -> Decimal:
    """Round half away from zero to ``places`` decimals."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def money(value: Decimal) -> Decimal:
    """Round to the cent, half away from zero."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def epoch_ms(moment: date | datetime) -> int:
    """Milliseconds since the epoch; a plain date counts as UTC midnight."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def ms_date(moment: date | datetime) -> str:
    """Xero's MS-JSON date with a zone, e.g. ``/Date(1552262400000+0000)/``."""
    return f"/Date({epoch_ms(moment)}+0000)/"


def ms_timestamp(seconds: float) -> str:
    """The envelope's ``DateTimeUTC`` form, e.g. ``/Date(1552327126164)/`` (no zone)."""
    return f"/Date({int(seconds * 1000)})/"


def date_string(moment: date) -> str:
    """The ``DateString`` companion field, e.g. ``2019-03-11T00:00:00``."""
    return f"{moment.isoformat()}T00:00:00"


def utc_string(moment: datetime) -> str:
    """The ``UpdatedDateUTCString`` companion field, e.g. ``2019-03-11T17:58:46Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso7(moment: datetime) -> str:
    """The identity API's date form: seven fractional digits and no zone."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def parse_date(value: Any) -> date:
    """A date from ``YYYY-MM-DD``, an ISO date-time or ``/Date(ms±zone)/``; ValueError otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a date")
    text = value.strip()
    found = _MS_DATE.match(text)
    if found:
        return datetime.fromtimestamp(int(found["ms"]) / 1000, UTC).date()
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()


def new_id() -> str:
    """A fresh lower-case UUID, as Xero's ids are."""
    return str(uuid.uuid4())


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON response with Xero's content type."""
    return Response(dumps(body), status=status, headers=headers or {}, content_type=JSON_TYPE)


def text_response(text: str, status: int, headers: dict | None = None) -> Response:
    """A short plain-text response (404s, injected failures)."""
    return Response(text, status=status, headers=headers or {}, content_type="text/plain")


def problem(status: int, title: str, detail: str) -> dict:
    """The RFC 7807-style body of Xero's 401 and 403 answers (§1.2)."""
    return {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": new_id(),
        "Extensions": {},
    }


def api_exception(kind: str, message: str, elements: list | None = None) -> dict:
    """Xero's ApiException body (§3.4): ErrorNumber, Type, Message and optional Elements."""
    body: dict[str, Any] = {"ErrorNumber": ERROR_NUMBERS[kind], "Type": kind, "Message": message}
    if elements is not None:
        body["Elements"] = elements
    return body


def validation_exception(elements: list) -> dict:
    """The 400 body of a ``summarizeErrors=true`` write that had validation errors."""
    return api_exception("ValidationException", "A validation exception occurred", elements)


def errors_list(messages: list[str]) -> list[dict]:
    """``ValidationErrors`` entries from plain messages."""
    return [{"Message": m} for m in messages]


def flag(value: str | None, default: bool) -> bool:
    """A boolean query parameter (``true``/``false``, any case)."""
    if value is None or value == "":
        return default
    return value.strip().lower() in {"true", "1", "yes"}


def wire(value: Any) -> Any:
    """A stored value in its wire form: dates and datetimes become ``/Date(…)/``."""
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire(v) for v in value]
    if isinstance(value, datetime | date):
        return ms_date(value)
    return value
