"""Validation against Xero's own OpenAPI spec (``../shared/ref/xero_accounting.yaml``).

Only ``components`` is parsed (it is the file's last top-level key, a fifth of its size, so the
load stays well under a second). Schemas are checked with jsonschema's Draft 4 validator, the
draft OpenAPI 3.0 schemas are based on; the spec uses no ``nullable`` or ``discriminator``.

Two modes:
- ``response_errors``: as the spec says. It marks almost nothing required and allows extra
  properties, so tests also assert key fields by hand.
- ``request_errors``: stricter, for what WE send. Unknown properties and read-only properties are
  refused, so a misspelt field (``LineAmountType``) or a computed one (``Total``) is caught.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import os
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft4Validator, FormatChecker

SPEC_PATH = Path(
    os.environ.get(
        "XERO_OPENAPI_SPEC",
        Path(__file__).resolve().parents[3] / "shared" / "ref" / "xero_accounting.yaml",
    )
)
SPEC_SHA256 = "140f64f8e6bd2d8524b8ffdbffd08589d417efa5466ba57bfa04939a69ff6db8"
_NEVER = {"not": {}}


def available() -> bool:
    """Whether the spec file is present on this machine."""
    return SPEC_PATH.is_file()


def sha256() -> str:
    """The spec file's digest (``SPEC_SHA256`` is the one the fake was written against)."""
    return hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest()


@functools.cache
def components() -> dict[str, Any]:
    """The spec's ``components`` section."""
    text = SPEC_PATH.read_text(encoding="utf-8")
    start = text.index("\ncomponents:")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text[start:], Loader=loader)["components"]


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items()}
        properties = node.get("properties")
        if node.get("type") == "object" or isinstance(properties, dict):
            node["additionalProperties"] = False
            for name, schema in (properties or {}).items():
                if isinstance(schema, dict) and schema.get("readOnly"):
                    properties[name] = _NEVER
        return node
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@functools.cache
def _validator(name: str, strict: bool) -> Draft4Validator:
    parts = copy.deepcopy(components())
    if strict:
        parts["schemas"] = _strict(parts["schemas"])
    schema = {"$ref": f"#/components/schemas/{name}", "components": parts}
    return Draft4Validator(schema, format_checker=FormatChecker())


def _errors(validator: Draft4Validator, instance: Any) -> list[str]:
    found = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found]


def response_errors(name: str, instance: Any) -> list[str]:
    """Where ``instance`` breaks ``#/components/schemas/{name}`` as the spec states it."""
    return _errors(_validator(name, False), instance)


def request_errors(name: str, instance: Any) -> list[str]:
    """Where ``instance`` breaks the strict (no unknown or read-only fields) form of ``name``."""
    return _errors(_validator(name, True), instance)
