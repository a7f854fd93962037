"""Share werkzeug's compiled URL builders between the apps the suite creates.

Every test builds a fresh app (``create_app``), and werkzeug compiles two small Python functions
per URL rule as it binds the rule (about 250 rules, 70 ms an app: most of ``create_app``). The
function is a pure product of the rule's parsed parts, its defaults and its converters; it takes
the rule as its first argument when called, so one compiled copy serves every app's equal rule.

This changes how fast apps are made, not what they do: a rule that differs in anything the
builder reads gets its own copy. When werkzeug's internals move, nothing is shared and the suite
only runs slower (``install`` returns False).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from werkzeug.routing.rules import Rule

_ORIGINAL = getattr(Rule, "_compile_builder", None)
_BUILT: dict[tuple, Callable[..., Any]] = {}


def _key(rule: Rule, append_unknown: bool) -> tuple:
    defaults = tuple(sorted((name, repr(value)) for name, value in (rule.defaults or {}).items()))
    converters = tuple(
        sorted((name, type(conv), _settings(conv)) for name, conv in rule._converters.items())
    )
    return (rule.rule, tuple(rule._trace), defaults, converters, append_unknown)


def _settings(converter: Any) -> str:
    # Everything a converter was made with, bar the Map it belongs to (one per app).
    return repr(sorted((k, repr(v)) for k, v in vars(converter).items() if k != "map"))


def _shared_builder(self: Rule, append_unknown: bool = True) -> Callable[..., Any]:
    key = _key(self, append_unknown)
    builder = _BUILT.get(key)
    if builder is None:
        builder = _BUILT[key] = _ORIGINAL(self, append_unknown)
    return builder


def install() -> bool:
    """Share the builders from now on; False (and nothing changed) if werkzeug's shape moved."""
    if _ORIGINAL is None or list(inspect.signature(_ORIGINAL).parameters) != [
        "self",
        "append_unknown",
    ]:
        return False
    Rule._compile_builder = _shared_builder  # type: ignore[method-assign]
    return True
