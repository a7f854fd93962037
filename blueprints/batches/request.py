"""Reading the batch builder's form (query string or POST body) into a BatchRequest."""

from datetime import date, timedelta

from werkzeug.datastructures import MultiDict

from billing.batches.preview import BatchRequest
from billing.contracts.periods import month_of
from billing.errors import ValidationFailed
from blueprints.params import posted_ids
from models import ContractType, DetailLevel

ITEM_KINDS = ("contract", "ticket", "entry", "expense")
ID_NOUNS = {"entry": "time entry"}  # the ids' names, where the field's name is short


def default_period(today: date) -> tuple[date, date]:
    """Last month: the period a monthly run bills."""
    last = month_of(month_of(today).start - timedelta(days=1))
    return last.start, last.end


def quick_periods(today: date) -> dict[str, tuple[date, date]]:
    """The one-click periods of the builder."""
    this = month_of(today)
    return {"Last month": default_period(today), "This month": (this.start, this.end)}


def _date(form: MultiDict, name: str, fallback: date) -> date:
    raw = (form.get(name) or "").strip()
    if not raw:
        return fallback
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed("Enter a date as YYYY-MM-DD.", name) from None


def _ids(form: MultiDict, name: str) -> set[int]:
    return set(posted_ids(form, name, ID_NOUNS.get(name, name)))


def parse_request(form: MultiDict, today: date) -> BatchRequest:
    """The builder's fields; ticked items become ``included`` once the form was submitted.

    :raise ValidationFailed: a malformed date, a period that ends before it starts, or an id
        that is not one (``customer=²``).
    """
    start, end = default_period(today)
    start, end = _date(form, "start", start), _date(form, "end", end)
    if end < start:
        raise ValidationFailed("The period must end on or after its start.", "end")
    if (end - start).days > 366:
        raise ValidationFailed("A batch covers at most a year.", "end")
    types = {ContractType(v) for v in form.getlist("type") if v in ContractType._value2member_map_}
    detail = form.get("detail", DetailLevel.TICKET.value)
    request = BatchRequest(
        start,
        end,
        name=(form.get("name") or "").strip()[:200],
        customer_ids=_ids(form, "customer"),
        contract_types=types,
        detail=DetailLevel(detail)
        if detail in DetailLevel._value2member_map_
        else DetailLevel.TICKET,
    )
    if form.get("picked"):
        request.included = {kind: _ids(form, kind) for kind in ITEM_KINDS}
    return request
