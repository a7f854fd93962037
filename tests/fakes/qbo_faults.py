"""Fault bodies of the fake QBO (§2.4) and its JSON output.

Money is held as ``Decimal`` inside the fake; it becomes a JSON number only here, at the output
boundary, through ``float`` (exact for the 2-decimal amounts involved: ``repr`` of the float is
the shortest decimal that reads back to it).
"""

from __future__ import annotations

import json
import secrets
import time
from decimal import Decimal
from typing import Any

from flask import Response

JSON_TYPE = "application/json;charset=UTF-8"
OBJECT_NOT_FOUND_DETAIL = (
    "Object Not Found : Something you're trying to use has been made inactive. "
    "Check the fields with accounts, customers, items, vendors or employees."
)
DUPLICATE_NAME_DETAIL = (
    "The name supplied already exists. : Another customer, vendor or employee is already using "
    "this name. Please use a different name."
)
SYSTEM_FAILURE_DETAIL = (
    "System Failure Error: An unexpected error occurred while accessing or saving your data. "
    "Please wait a few minutes and try again. If the problem persists, contact customer support."
)


class QboFault(Exception):
    """A QBO Fault to answer with: HTTP status, its Error list and Fault type."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        detail: str = "",
        element: str = "",
        fault_type: str = "ValidationFault",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.fault_type = fault_type
        self.errors = [{"Message": message, "Detail": detail, "code": code, "element": element}]

    def fault(self) -> dict[str, Any]:
        """The ``Fault`` object (as a batch item carries it, without ``time``)."""
        return {"Error": [dict(e) for e in self.errors], "type": self.fault_type}

    def body(self, stamp: str) -> dict[str, Any]:
        """The full response body."""
        return {"Fault": self.fault(), "time": stamp}


def required(param: str) -> QboFault:
    """2020: a required field is missing."""
    return QboFault(
        400,
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {param} is missing in the request",
        param,
    )


def duplicate_name(existing_id: str, with_id: bool) -> QboFault:
    """6240: DisplayName (customers) or Name (items) already used."""
    detail = DUPLICATE_NAME_DETAIL + (f" Id={existing_id}" if with_id else "")
    return QboFault(400, "6240", "Duplicate Name Exists Error", detail)


def duplicate_doc_number(doc_number: str, txn_id: str) -> QboFault:
    """6140: DocNumber already used by another invoice (custom transaction numbers on)."""
    return QboFault(
        400,
        "6140",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number "
        f"has already been used. DocNumber={doc_number} is assigned to TxnType=Invoice "
        f"with TxnId={txn_id}",
    )


def bad_reference(kind: str, ref_id: Any) -> QboFault:
    """2500: a reference to a missing or inactive entity."""
    return QboFault(
        400,
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {kind} element id {ref_id} not found",
    )


def not_found() -> QboFault:
    """610: read or update of an unknown Id."""
    return QboFault(400, "610", "Object Not Found", OBJECT_NOT_FOUND_DETAIL)


def stale_object() -> QboFault:
    """5010: the SyncToken sent is not the current one."""
    return QboFault(
        400,
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and Fake User were working on this at the same time. "
        "Fake User finished before you did, so your work was not saved.",
    )


def query_parse_error(detail: str) -> QboFault:
    """4000: the query does not parse (or is outside what the fake supports)."""
    return QboFault(400, "4000", "Error parsing query", f"QueryParserError: {detail}")


def query_invalid(detail: str) -> QboFault:
    """4001: the query parses but names something that cannot be queried [unverified]."""
    return QboFault(400, "4001", "Invalid query", f"QueryValidationError: {detail}")


def invalid_property(detail: str) -> QboFault:
    """2010: the body has an invalid or unsupported property (or is not JSON)."""
    return QboFault(400, "2010", "Request has invalid or unsupported property", detail)


def string_length(name: str, maximum: int, supplied: int) -> QboFault:
    """2050: a string field is too long (DocNumber > 21) [unverified wording]."""
    return QboFault(
        400,
        "2050",
        "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. Min:0 Max:{maximum} "
        f"supplied length:{supplied}",
        name,
    )


def business_error(detail: str) -> QboFault:
    """6000: a generic business validation error."""
    return QboFault(
        400,
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
    )


PAST = {"void": "voided", "delete": "deleted"}


def linked_payment(code: str, operation: str, invoice_id: str, payment_ids: list[str]) -> QboFault:
    """Voiding or deleting an invoice that a payment settles: QBO refuses it
    (observed in breeze#5180 for void); the code, the wording and the refusal of delete are
    [unverified] (the fake's choice: 6000, a business validation error)."""
    fault = business_error(
        f"Invoice {invoice_id} cannot be {PAST[operation]} because it is linked to a payment "
        f"(Payment Id {', '.join(payment_ids)}). Delete or void the payment first."
    )
    fault.errors[0]["code"] = code
    return fault


def invalid_name_character(field: str, label: str, value: str) -> QboFault:
    """6000: a name contains a colon, tab or newline [unverified code and wording]."""
    fault = business_error(
        f"{field} cannot contain {label}; QuickBooks uses ':' to separate sub-customer names. "
        f"Supplied value:{value}"
    )
    fault.errors[0]["element"] = field
    return fault


def unsupported(detail: str) -> QboFault:
    """500 (the code, sent with HTTP 400): unsupported operation or entity."""
    return QboFault(400, "500", "Unsupported Operation", detail)


def malformed_batch(detail: str) -> QboFault:
    """400 (the code): an empty, oversized or unreadable batch request."""
    return QboFault(400, "400", "MalformedRequest", detail)


def throttled() -> QboFault:
    """3001 with HTTP 429: over a rate or concurrency limit."""
    return QboFault(
        429,
        "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached.",
        fault_type="SERVICE",
    )


def server_error(status: int = 500) -> QboFault:
    """10000: an internal error (also used for injected 500s)."""
    return QboFault(
        status,
        "10000",
        "An application error has occurred while processing your request",
        SYSTEM_FAILURE_DETAIL,
        fault_type="SystemFault",
    )


def forbidden() -> QboFault:
    """3100 with HTTP 403: the token lacks the scope or is for another realm [unverified]."""
    return QboFault(
        403,
        "3100",
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
        "The application is not authorized for this company or operation.",
        fault_type="AuthorizationFault",
    )


def auth_failed_body(style: str, detail: str, stamp: str, epoch: float) -> dict[str, Any]:
    """The 401 body in one of the three observed/documented shapes (§2.4 a, b, c)."""
    message = "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    if style == "b":
        error = {"Message": message, "Detail": detail, "code": "3200"}
        return {"Fault": {"Error": [error], "type": "AuthenticationFault"}, "time": stamp}
    if style == "c":
        return {
            "code": "AuthenticationFailed",
            "type": "INPUT",
            "message": None,
            "detail": detail,
            "moreInfo": None,
        }
    error = {"message": message, "detail": detail, "code": "3200", "element": None}
    return {
        "warnings": None,
        "intuitObject": None,
        "fault": {"error": [error], "type": "AUTHENTICATION"},
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": int(epoch * 1000),
        "status": None,
        "cdcresponse": [],
    }


def _to_json_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # the output boundary: see the module docstring
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(body: Any) -> bytes:
    """Serialise a response body (Decimals as JSON numbers)."""
    return json.dumps(body, default=_to_json_number).encode()


def trace_id() -> str:
    """A fresh ``intuit_tid`` value."""
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with QBO's content type and an ``intuit_tid`` header."""
    response = Response(dumps(body), status=status, content_type=JSON_TYPE)
    response.headers["intuit_tid"] = trace_id()
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
