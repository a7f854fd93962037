"""Contracts of every type: the rules that need the database, and saving.

:func:`save_contract` checks the form's input with the pure rules of ``billing.contracts.terms``,
adds those that need the database (a customer, a name free for that customer, the tax rate, the
primary rate, no recorded work when the customer or type changes) and writes the row. As in
``billing.catalog``, everything is checked before the session is touched; nothing is committed.
Money is parsed in the customer's currency. Rates, service lines and counts are in
``billing.contracts.parts``.
"""

from sqlalchemy import Select, exists, func, select, update

from billing.contracts.terms import (
    Checks,
    CleanContract,
    ContractInput,
    clean_terms,
)
from billing.errors import Conflict, ValidationFailed
from billing.settings import default_currency, get_settings
from models import (
    Contract,
    ContractRate,
    ContractType,
    ContractUnitCount,
    Customer,
    Invoice,
    Rate,
    TaxRate,
    Ticket,
    db,
)


def has_history(contract: Contract) -> bool:
    """Whether tickets or invoices were recorded under ``contract``."""
    tickets = exists().where(Ticket.contract_id == contract.id)
    invoices = exists().where(Invoice.contract_id == contract.id)
    return bool(db.session.scalar(select(tickets | invoices)))


def _check_history(contract: Contract, customer_id: int | None, kind: str) -> None:
    changes = [
        what
        for what, changed in (
            ("customer", customer_id != contract.customer_id),
            ("type", kind != contract.type.value),
        )
        if changed
    ]
    if changes and has_history(contract):
        raise Conflict(
            f"Work is recorded under this contract (tickets or invoices), so its "
            f"{' and '.join(changes)} cannot change. Start a new contract instead."
        )


def _customer(contract: Contract | None, customer_id: int | None) -> Customer:
    customer = db.session.get(Customer, customer_id) if customer_id is not None else None
    kept = contract is not None and contract.customer_id == customer_id
    if customer is None or not (customer.active or kept):
        raise ValidationFailed("Choose a customer from the list.", "customer_id")
    return customer


def _check_name_free(customer: Customer, name: str, contract: Contract | None) -> None:
    query = select(Contract.id).where(
        Contract.customer_id == customer.id, func.lower(Contract.name) == name.lower()
    )
    if contract is not None:
        query = query.where(Contract.id != contract.id)
    if db.session.scalar(query.limit(1)) is not None:
        raise ValidationFailed(f"{customer.name} has a contract with this name.", "name")


def _check_currency_kept(contract: Contract | None, customer: Customer) -> None:
    if contract is None or contract.customer.currency == customer.currency:
        return
    if contract.services or any(link.hourly_price_minor is not None for link in contract.rates):
        raise ValidationFailed(
            f"{customer.name} pays in {customer.currency}: remove this contract's service lines "
            f"and rate prices in {contract.customer.currency} first.",
            "customer_id",
        )


def _check_tax_rate(contract: Contract | None, tax_rate_id: int) -> None:
    tax = db.session.get(TaxRate, tax_rate_id)
    kept = contract is not None and contract.tax_rate_id == tax_rate_id
    if tax is None or not (tax.active or kept):
        raise ValidationFailed("Choose an active tax rate from the list.", "tax_rate_id")


def check_rate_price(rate: Rate, price_minor: int | None, currency: str, *, field: str) -> None:
    """:raise ValidationFailed: no contract price for a rate priced in another currency."""
    if price_minor is None and rate.currency != currency:
        raise ValidationFailed(
            f"{rate.name} is priced in {rate.currency}: enter its price in {currency} "
            "for this contract.",
            field,
        )


def _primary_rate(clean: CleanContract, currency: str) -> Rate:
    rate = db.session.get(Rate, clean.primary_rate_id)
    if rate is None or not rate.active:
        raise ValidationFailed("Choose an active rate from the list.", "primary_rate_id")
    check_rate_price(rate, clean.primary_rate_price_minor, currency, field="primary_rate_price")
    return rate


def _checked(
    contract: Contract | None, data: ContractInput
) -> tuple[Customer, CleanContract, Rate | None]:
    """The customer, the checked columns and the new primary rate, if ``data`` breaks no rule.

    :raise InvalidContract: every rule ``data`` breaks, each with its field.
    """
    checks = Checks()
    customer = checks(_customer, contract, data.customer_id)
    currency = customer.currency if customer else default_currency(get_settings())
    flags = {
        "has_primary_rate": contract is not None and any(r.is_primary for r in contract.rates),
        "has_unit_counts": contract is not None and bool(contract.unit_counts),
    }
    clean = checks(clean_terms, data, currency, **flags)
    if customer is not None:
        checks(_check_name_free, customer, (data.name or "").strip(), contract)
        checks(_check_currency_kept, contract, customer)
    if data.taxable and data.tax_rate_id is not None:
        checks(_check_tax_rate, contract, data.tax_rate_id)
    rate = None
    if clean is not None and clean.primary_rate_id is not None:
        rate = checks(_primary_rate, clean, currency)
    checks.raise_any()
    return customer, clean, rate


def save_contract(contract: Contract | None, data: ContractInput) -> Contract:
    """Create (``contract`` is None) or change a contract. Making it the default clears the
    customer's old default in the same transaction; leaving the per-unit type drops its counts.

    :raise Conflict: the customer or type changes while work is recorded under it.
    :raise InvalidContract: every rule ``data`` breaks, each with its field.
    """
    if contract is not None:
        _check_history(contract, data.customer_id, data.type)
    customer, clean, rate = _checked(contract, data)
    if clean.columns["is_default"]:
        # The partial unique index allows one default: clear the old one before flushing ours.
        clear = update(Contract).where(
            Contract.customer_id == customer.id, Contract.is_default.is_(True)
        )
        if contract is not None:
            clear = clear.where(Contract.id != contract.id)
        db.session.execute(clear.values(is_default=False))
    if contract is None:
        contract = Contract()
        db.session.add(contract)
    contract.customer = customer
    for column, value in clean.columns.items():
        setattr(contract, column, value)
    if contract.type is not ContractType.PER_UNIT:
        contract.unit_counts.clear()
    elif clean.unit_count is not None:
        contract.unit_counts.append(
            ContractUnitCount(effective_date=contract.start_date, count=clean.unit_count)
        )
    if rate is not None:
        _link_primary(contract, rate, clean.primary_rate_price_minor)
    db.session.flush()
    return contract


def _link_primary(contract: Contract, rate: Rate, price_minor: int | None) -> None:
    """Make ``rate`` the primary rate of a contract that has none."""
    link = next((link for link in contract.rates if link.rate_id == rate.id), None)
    if link is None:
        link = ContractRate(rate=rate)
        contract.rates.append(link)
    if price_minor is not None:
        link.hourly_price_minor = price_minor
    link.is_primary = True


def contract_notices(contract: Contract) -> list[str]:
    """What an admin should know about a contract that its rules allow."""
    notices = []
    if contract.taxable and contract.customer.tax_exempt:
        notices.append(
            f"{contract.customer.name} is tax exempt, yet this contract is taxable: "
            "its invoices will charge tax."
        )
    return notices


def contract_query(
    customer_id: int | None = None, kind: ContractType | None = None, active: bool | None = None
) -> Select:
    """Contracts by customer then name, with the customer; each filter applies when given."""
    query = (
        select(Contract)
        .join(Contract.customer)
        .order_by(func.lower(Customer.name), func.lower(Contract.name), Contract.id)
    )
    if customer_id is not None:
        query = query.where(Contract.customer_id == customer_id)
    if kind is not None:
        query = query.where(Contract.type == kind)
    if active is not None:
        query = query.where(Contract.active.is_(active))
    return query
