"""Change Data Capture of the fake QBO (ledger_sync.md §1.5).

``GET /v3/company/{realmId}/cdc?entities=Invoice,Payment,CreditMemo&changedSince=...`` answers,
per requested entity type, the full objects whose ``MetaData.LastUpdatedTime`` is at or after
``changedSince`` (oldest first), then the tombstones (``status: "Deleted"``) of those deleted
since. ``changedSince`` is an ISO date or date-time; without an offset it is company (Pacific)
time. Refused with a 400 Fault: a missing or unknown entity, a missing or unreadable
``changedSince``, and one more than 30 days back (``cdc_refuse_old``; QBO's exact answer is
[unverified], the safer reading is a refusal). At most 1,000 objects are returned in all: the
oldest ones, so a client that receives exactly 1,000 must split its window
(``cdc_over_limit = "refuse"`` answers a Fault instead).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from tests.fakes import qbo_entities, qbo_faults
from tests.fakes.qbo_common import Context
from tests.fakes.qbo_state import PACIFIC

NOT_TRACKED = {"TaxCode", "TaxRate", "TaxAgency", "Preferences"}  # §1.5 (+ no CDC for settings)
TRACKED = {
    name.lower(): name for name in qbo_entities.ENTITY_PATHS.values() if name not in NOT_TRACKED
}


def _entities(text: str | None) -> list[str]:
    if not text or not text.strip():
        raise qbo_faults.required("entities")
    names = []
    for part in text.split(","):
        name = TRACKED.get(part.strip().lower())
        if name is None:
            raise qbo_faults.invalid_property(
                f"Property Name:entities specified is unsupported or invalid: {part.strip()}"
            )
        if name not in names:
            names.append(name)
    return names


def parse_moment(text: str | None) -> datetime:
    """``changedSince`` as an aware datetime (company time when no offset is given)."""
    if not text or not text.strip():
        raise qbo_faults.required("changedSince")
    text = text.strip()
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise qbo_faults.invalid_property(
            f"Property Name:changedSince specified is unsupported or invalid: {text}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=PACIFIC)


def _updated(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def run(ctx: Context, entities: str | None, changed_since: str | None) -> dict[str, Any]:
    """The ``CDCResponse`` for the requested entity types since ``changed_since``."""
    names = _entities(entities)
    since = parse_moment(changed_since)
    now = datetime.fromisoformat(ctx.stamp)
    floor = now - timedelta(days=ctx.config.cdc_max_days)
    if since < floor:
        if ctx.config.cdc_refuse_old:
            raise qbo_faults.invalid_property(
                f"Property Name:changedSince specified is unsupported or invalid: "
                f"Change Data Capture covers the last {ctx.config.cdc_max_days} days only"
            )
        since = floor
    groups: list[tuple[str, list[dict[str, Any]]]] = []
    for name in names:
        active = sorted(
            (e for e in ctx.realm.entities[name].values()
             if _updated(e["MetaData"]["LastUpdatedTime"]) >= since),
            key=lambda e: _updated(e["MetaData"]["LastUpdatedTime"]),
        )  # fmt: skip
        gone = [
            {"status": "Deleted", "domain": "QBO", "Id": t["Id"],
             "MetaData": {"LastUpdatedTime": t["LastUpdatedTime"]}}
            for t in ctx.realm.deleted
            if t["entity"] == name and _updated(t["LastUpdatedTime"]) >= since
        ]  # fmt: skip
        groups.append((name, [qbo_entities.present(ctx, name, e) for e in active] + gone))
    total = sum(len(objects) for _, objects in groups)
    limit = ctx.config.cdc_max_objects
    if total > limit and ctx.config.cdc_over_limit == "refuse":
        raise qbo_faults.business_error(
            f"Change Data Capture found {total} objects, more than the maximum of {limit}; "
            "query a shorter period."
        )
    responses, room = [], limit
    for name, objects in groups:
        kept = objects[: max(room, 0)]
        room -= len(kept)
        if kept:
            size = len(kept)
            responses.append(
                {name: kept, "startPosition": 1, "maxResults": size, "totalCount": size}
            )
        else:
            responses.append({})
    return {"CDCResponse": [{"QueryResponse": responses}]}
