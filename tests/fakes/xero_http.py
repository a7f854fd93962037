"""Request and response plumbing shared by the fake's Accounting API handlers (§3.1)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from flask import Response, request

from tests.fakes.xero_batch import Outcome, Staging, elements_of, run_batch
from tests.fakes.xero_format import (
    api_exception,
    flag,
    json_response,
    loads,
    ms_timestamp,
    new_id,
)
from tests.fakes.xero_seed import Tenant
from tests.fakes.xero_state import current_state
from tests.fakes.xero_where import QueryParseError, apply_order, compile_where


class BadQuery(Exception):
    """A query parameter Xero would refuse; carries the 400 answer."""

    def __init__(self, response: Response) -> None:
        super().__init__("bad query")
        self.response = response


def envelope(key: str, elements: list, pagination: dict | None = None) -> Response:
    """The 200 envelope: Id, Status, ProviderName, DateTimeUTC, [pagination], the elements."""
    state = current_state()
    body: dict[str, Any] = {
        "Id": new_id(),
        "Status": "OK",
        "ProviderName": state.config.app_name,
        "DateTimeUTC": ms_timestamp(state.clock.now()),
    }
    if pagination is not None:
        body["pagination"] = pagination
    body[key] = elements
    return json_response(body)


def query_error(message: str) -> BadQuery:
    """A 400 QueryParseException for ``message``."""
    return BadQuery(json_response(api_exception("QueryParseException", message), 400))


def select(views: list[dict], fields: set[str]) -> list[dict]:
    """``views`` filtered by the ``where`` parameter and sorted by ``order``."""
    config = current_state().config
    try:
        where = request.args.get("where")
        if where and where.strip():
            keep = compile_where(where, fields, config.where_case_sensitive)
            views = [v for v in views if keep(v)]
        return apply_order(views, request.args.get("order"), fields)
    except QueryParseError as error:
        raise query_error(str(error)) from error


def id_list(name: str) -> list[str] | None:
    """A comma-separated list parameter (``IDs``, ``InvoiceNumbers``...), or None if absent."""
    value = request.args.get(name)
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def paginate(items: list) -> tuple[list, dict | None]:
    """One page of ``items`` when ``page`` is given, with Xero's pagination object."""
    page = request.args.get("page")
    if page is None:
        return items, None
    try:
        number = max(1, int(page))
        size = int(request.args.get("pageSize") or current_state().config.page_size)
    except ValueError as error:
        raise query_error("page and pageSize must be whole numbers") from error
    size = min(max(size, 1), 1000)
    start = (number - 1) * size
    pagination = {
        "page": number,
        "pageSize": size,
        "pageCount": math.ceil(len(items) / size),
        "itemCount": len(items),
    }
    return items[start : start + size], pagination


def unitdp() -> int:
    """Decimal places for unit amounts: 4 when ``unitdp=4``, else 2."""
    return 4 if request.args.get("unitdp") == "4" else 2


def write_many(tenant: Tenant, key: str, handle: Callable[[Staging, dict], Outcome]) -> Response:
    """Parse ``{key: [...]}``, apply ``handle`` to each element, answer per ``summarizeErrors``."""
    try:
        body = loads(request.get_data() or b"")
    except ValueError:
        return json_response(api_exception("PostDataInvalidException", "Invalid Json data"), 400)
    elements = elements_of(body, key)
    if elements is None:
        message = f"The request body must contain a list of {key}"
        return json_response(api_exception("PostDataInvalidException", message), 400)
    config = current_state().config
    if config.max_elements and len(elements) > config.max_elements:
        # Stricter than Xero, which only recommends 50 (see FakeXeroConfig); wording unverified.
        message = f"A maximum of {config.max_elements} {key} can be submitted in a single request"
        return json_response(api_exception("ValidationException", message), 400)
    summarize = flag(request.args.get("summarizeErrors"), True)
    status, result = run_batch(tenant, elements, handle, summarize, config)
    if status != 200:
        return json_response(result, status)
    return envelope(key, result)


def modified_since(items: list[dict]) -> list[dict]:
    """``items`` whose ``UpdatedDateUTC`` is at or after the ``If-Modified-Since`` header.

    "Only records created or modified since this timestamp will be returned" [spec], "accurate to
    the second" [doc]: both sides are cut to the second and the bound is kept (>=), the safer
    reading (a client never misses a change; it may see one twice). ISO 8601 (no zone: UTC, as
    the SDK sends a naive datetime) or an HTTP date. A header the fake cannot read is a 400
    [unverified]: silently answering everything would hide a client's bug.
    """
    header = request.headers.get("If-Modified-Since")
    if header is None or not header.strip():
        return items
    since = _parse_since(header.strip())
    if since is None:
        raise query_error(f"If-Modified-Since '{header}' is not a valid date-time")
    bound = int(since.timestamp())
    return [i for i in items if int(i["UpdatedDateUTC"].timestamp()) >= bound]


def _parse_since(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
