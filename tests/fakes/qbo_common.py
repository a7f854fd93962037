"""Helpers shared by the fake QBO's entity modules: the operation context and input parsing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask import current_app

from tests.fakes import qbo_faults
from tests.fakes.qbo_state import FakeStore, QboConfig, Realm

EXTENSION = "qbo_fake"


def current_store() -> FakeStore:
    """The state of the fake serving the current request."""
    return current_app.extensions[EXTENSION]


@dataclass
class Context:
    """What an operation needs: the realm, the configuration and the current time."""

    realm: Realm
    config: QboConfig
    stamp: str
    today: str

    def fold(self, text: str) -> str:
        """Names compared for duplicates, case-insensitively unless configured otherwise."""
        return text if self.config.names_case_sensitive else text.casefold()


def clean(value: Any) -> Any:
    """Drop empty strings and nulls, recursively (QBO ignores them)."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if v is not None and v != ""}
    if isinstance(value, list):
        return [clean(v) for v in value if v is not None and v != ""]
    return value


def money(value: Any, name: str) -> Decimal:
    """A Decimal from a JSON number or numeric string, else a 2010 fault."""
    if isinstance(value, bool):
        raise qbo_faults.invalid_property(
            f"Property Name:{name} specified is unsupported or invalid"
        )
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():  # NaN or Infinity: refused like any unreadable number
        raise qbo_faults.invalid_property(
            f"Property Name:{name} specified is unsupported or invalid"
        )
    return amount


def ref_id(ref: Any) -> str | None:
    """The id inside a ``{"value": ...}`` reference (None when absent or empty)."""
    if isinstance(ref, dict) and ref.get("value") not in (None, ""):
        return str(ref["value"])
    return None


def find(ctx: Context, entity: str, entity_id: str | None, *, kind: str) -> dict[str, Any]:
    """The active entity a reference points at, or a 2500 fault naming ``kind``."""
    found = ctx.realm.entities[entity].get(entity_id or "")
    if found is None or found.get("Active") is False:
        raise qbo_faults.bad_reference(kind, entity_id)
    return found


def check_currency(ctx: Context, currency: str) -> None:
    """A foreign currency needs multicurrency on (6000 otherwise)."""
    if currency != ctx.config.home_currency and not ctx.config.multicurrency:
        raise qbo_faults.business_error(
            f"The currency {currency} is not the home currency {ctx.config.home_currency} and "
            "multicurrency is off."
        )


CENT = Decimal("0.01")
ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


def cents(value: Decimal, rounding: str = "half_up") -> Decimal:
    """Rounded to the cent, half up unless told otherwise (how QBO rounds amounts and tax)."""
    return value.quantize(CENT, rounding=ROUNDING[rounding])


def context(store: FakeStore, realm_id: str) -> Context:
    """The context of an operation on ``realm_id`` now."""
    return Context(store.realm(realm_id), store.config, store.clock.stamp(), store.clock.today())
