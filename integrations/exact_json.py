"""JSON for the ledgers' APIs with exact money: ``Decimal`` written as is, ``float`` refused."""

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def encode_json(value: Any) -> str:
    """JSON text with ``Decimal`` as exact numbers and dates as ``YYYY-MM-DD``; floats refused."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite amount: {value}")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("floats are not accepted in ledger payloads; use Decimal")
    if value is None or isinstance(value, bool | int | str):
        return json.dumps(value)
    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    if isinstance(value, Mapping):
        items = (f"{json.dumps(str(k))}:{encode_json(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode_json(v) for v in value) + "]"
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
