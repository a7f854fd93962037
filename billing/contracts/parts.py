"""A contract's rates, recurring service lines and per-unit counts, with the rules for each.

Prices are in the contract's customer's currency. As in ``billing.contracts.store``, every rule is
checked before the session is touched; nothing is committed here.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update

from billing.contracts.store import check_rate_price
from billing.contracts.terms import NEEDS_PRIMARY_RATE, Checks, parse_count, parse_quantity
from billing.errors import Conflict, ValidationFailed
from billing.money import line_amount_minor, parse_amount
from billing.wording import counted
from models import (
    Contract,
    ContractRate,
    ContractService,
    ContractType,
    ContractUnitCount,
    Product,
    Rate,
    Ticket,
    TimeEntry,
    db,
)

MAX_DESCRIPTION = 300


# --- rates ----------------------------------------------------------------------------------


def rate_price(link: ContractRate) -> tuple[int, str]:
    """The hourly price of a contract's rate and its currency: the contract's own, else the
    rate's."""
    if link.hourly_price_minor is not None:
        return link.hourly_price_minor, link.contract.customer.currency
    return link.rate.hourly_price_minor, link.rate.currency


def _optional_amount(text: str, currency: str, field: str) -> int | None:
    return parse_amount(text, currency, field=field) if (text or "").strip() else None


def add_rate(contract: Contract, rate_id: int | None, hourly_price: str) -> ContractRate:
    """Offer a rate under ``contract``, at its own price or at ``hourly_price`` (required when
    the rate is priced in another currency). The first rate becomes the primary one.

    :raise InvalidContract: not an active rate, on the contract already, or a bad price.
    """
    currency = contract.customer.currency
    checks = Checks()
    rate = db.session.get(Rate, rate_id) if rate_id is not None else None
    if rate is None or not rate.active:
        checks.fail("Choose an active rate from the list.", "rate_id")
    elif any(link.rate_id == rate.id for link in contract.rates):
        checks.fail(f"{rate.name} is offered under this contract already.", "rate_id")
    price = checks(_optional_amount, hourly_price, currency, "hourly_price")
    if rate is not None and not checks.errors:
        checks(check_rate_price, rate, price, currency, field="hourly_price")
    checks.raise_any()
    primary = not any(link.is_primary for link in contract.rates)
    link = ContractRate(rate=rate, hourly_price_minor=price, is_primary=primary)
    contract.rates.append(link)
    db.session.flush()
    return link


def make_primary(link: ContractRate) -> None:
    """Make ``link`` the contract's primary rate (where new time goes by default)."""
    # The partial unique index allows one primary: clear the old one before flushing ours.
    db.session.execute(
        update(ContractRate)
        .where(ContractRate.contract_id == link.contract_id, ContractRate.id != link.id)
        .values(is_primary=False)
    )
    link.is_primary = True
    db.session.flush()


def remove_rate(link: ContractRate) -> None:
    """Stop offering a rate under its contract.

    :raise Conflict: time on the contract's tickets uses it, or it is the primary rate of a
        type that needs one.
    """
    contract = link.contract
    used = db.session.scalar(
        select(func.count(TimeEntry.id))
        .join(Ticket, Ticket.id == TimeEntry.ticket_id)
        .where(Ticket.contract_id == contract.id, TimeEntry.rate_id == link.rate_id)
    )
    if used:
        raise Conflict(
            f"{counted(used, 'time entry', 'time entries')} on this contract's tickets use "
            f"{link.rate.name}, so it cannot be removed."
        )
    if link.is_primary and contract.type in NEEDS_PRIMARY_RATE:
        raise Conflict(
            f"{link.rate.name} is the primary rate, which a {contract.type.label} contract "
            "needs: make another rate primary first."
        )
    contract.rates.remove(link)
    db.session.flush()


# --- recurring service lines ---------------------------------------------------------------


def period_amount_minor(contract: Contract, count: int | None) -> int | None:
    """A full period's own charge before service lines and work: quantity (retainer) or the
    count (per unit) times the unit price; None for other types or without a count."""
    price = contract.unit_price_minor or 0
    if contract.type is ContractType.RETAINER and contract.quantity is not None:
        return line_amount_minor(contract.quantity, price)
    if contract.type is ContractType.PER_UNIT and count is not None:
        return line_amount_minor(Decimal(count), price, field="count")
    return None


def _product(service: ContractService | None, product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    kept = service is not None and service.product_id == product_id
    if product is None or not (product.active or kept):
        raise ValidationFailed("Choose an active product from the list.", "product_id")
    return product


def _unit_price(text: str, product: Product | None, currency: str) -> int:
    if (text or "").strip():
        return parse_amount(text, currency, field="unit_price")
    if product is None:
        raise ValidationFailed("Enter a unit price, or choose a product.", "unit_price")
    if product.currency != currency:
        raise ValidationFailed(
            f"{product.name} is priced in {product.currency}: enter the price in {currency}.",
            "unit_price",
        )
    return product.unit_price_minor


def save_service(
    contract: Contract,
    service: ContractService | None,
    *,
    product_id: int | None,
    description: str,
    quantity: str,
    unit_price: str,
) -> ContractService:
    """Add (``service`` is None) or change a recurring service line of ``contract``.

    The description defaults to the product's name and the price to the product's; quantity x
    price is a line amount (:func:`billing.money.line_amount_minor`), so it has its bound.

    :raise InvalidContract: every rule broken, each with its field.
    """
    currency = contract.customer.currency
    checks = Checks()
    product = checks(_product, service, product_id) if product_id is not None else None
    text = (description or "").strip() or (product.name if product else "")
    if not text and product_id is None:
        checks.fail("Enter a description, or choose a product.", "description")
    elif len(text) > MAX_DESCRIPTION:
        checks.fail(f"Use at most {MAX_DESCRIPTION} characters.", "description")
    amount = checks(parse_quantity, quantity)
    price = None
    if product_id is None or product is not None:
        price = checks(_unit_price, unit_price, product, currency)
    if amount is not None and price is not None:
        checks(line_amount_minor, amount, price)
    checks.raise_any()
    if service is None:
        position = max((line.position for line in contract.services), default=-1) + 1
        service = ContractService(position=position)
        contract.services.append(service)
    service.product, service.description = product, text
    service.quantity, service.unit_price_minor = amount, price
    db.session.flush()
    return service


def remove_service(service: ContractService) -> None:
    """Drop a recurring service line."""
    service.contract.services.remove(service)
    db.session.flush()


# --- per-unit counts ------------------------------------------------------------------------


def current_count(counts: Iterable[ContractUnitCount], today: date) -> int | None:
    """The count in force on ``today``: the latest dated on or before it (None: no count yet)."""
    known = [c for c in counts if c.effective_date <= today]
    return max(known, key=lambda c: c.effective_date).count if known else None


def _check_count_date(contract: Contract, day: date | None) -> None:
    if day is None:
        raise ValidationFailed("Enter the date the count applies from.", "effective_date")
    if day < contract.start_date or (contract.end_date and day > contract.end_date):
        until = f" to {contract.end_date.isoformat()}" if contract.end_date else " on"
        raise ValidationFailed(
            f"Choose a date within the contract ({contract.start_date.isoformat()}{until}).",
            "effective_date",
        )
    if any(c.effective_date == day for c in contract.unit_counts):
        raise ValidationFailed(
            "A count is recorded for this date already: remove it first.", "effective_date"
        )


def add_unit_count(contract: Contract, effective_date: date | None, count: str) -> None:
    """Record the number of devices or users in force from ``effective_date``.

    :raise Conflict: not a per-unit contract.
    :raise InvalidContract: a date outside the contract or taken, or a bad count (one whose
        period charge, count x unit price, is past the line bound too).
    """
    if contract.type is not ContractType.PER_UNIT:
        raise Conflict("Only per device / per user contracts have counts.")
    checks = Checks()
    checks(_check_count_date, contract, effective_date)
    value = checks(parse_count, count)
    if value is not None:
        checks(line_amount_minor, Decimal(value), contract.unit_price_minor or 0, field="count")
    checks.raise_any()
    contract.unit_counts.append(ContractUnitCount(effective_date=effective_date, count=value))
    db.session.flush()


def remove_unit_count(count: ContractUnitCount) -> None:
    """Forget one dated count."""
    count.contract.unit_counts.remove(count)
    db.session.flush()
