"""Rules defined once and used by several callers: settled/overdue statuses, block contract
types, minutes as hours, email address lists, the one quantity bound."""

from decimal import Decimal

import pytest

from billing.contracts.blocks import BLOCK_TYPES
from billing.errors import ValidationFailed
from billing.numbers import MAX_QUANTITY, parse_quantity
from billing.users import check_addresses, split_addresses
from billing.work.durations import hours
from models import OVERDUE_STATUSES, SETTLED_STATUSES, ContractType, InvoiceStatus


def test_settled_and_overdue_split_the_statuses_a_customer_has_had():
    assert set(SETTLED_STATUSES) == {InvoiceStatus.PAID, InvoiceStatus.REFUNDED}
    assert set(OVERDUE_STATUSES) == {InvoiceStatus.SENT, InvoiceStatus.EXPORTED}
    assert InvoiceStatus.DRAFT not in OVERDUE_STATUSES + SETTLED_STATUSES


def test_block_types_are_the_two_block_contracts():
    assert set(BLOCK_TYPES) == {ContractType.BLOCK_HOURS, ContractType.BLOCK_MONEY}


@pytest.mark.parametrize(
    ("minutes", "places", "expected"),
    [(439, 3, "7.317"), (439, 2, "7.32"), (450, 2, "7.50"), (10, 3, "0.167"), (-90, 3, "-1.500")],
)
def test_hours_rounds_half_up_to_the_places(minutes, places, expected):
    assert hours(minutes, places) == Decimal(expected)
    assert str(hours(minutes, places)) == expected


def test_hours_defaults_to_a_lines_three_decimals():
    assert hours(1) == Decimal("0.017")


def check(addresses, field="to"):
    return check_addresses(addresses, most=2, none="None.", too_many="Too many.", field=field)


def test_addresses_split_normalised_and_deduplicated_in_order():
    typed = " B@Example.com;a@example.com\n b@example.com ,, "
    assert split_addresses(typed) == ["B@Example.com", "a@example.com", "b@example.com"]
    assert check(split_addresses(typed)) == ["b@example.com", "a@example.com"]


@pytest.mark.parametrize(
    ("addresses", "message"),
    [
        ([], "None."),
        (["x@@example.com"], "x@@example.com: "),
        (["a@x.io", "b@x.io", "c@x.io"], "Too many."),
    ],
)
def test_address_lists_refused_with_the_callers_words(addresses, message):
    with pytest.raises(ValidationFailed) as refused:
        check(addresses, field="emails")
    assert str(refused.value).startswith(message) and refused.value.field == "emails"


def test_one_quantity_bound():
    assert parse_quantity("999999.999") == Decimal("999999.999")
    with pytest.raises(ValidationFailed, match=r"below 1,000,000\.") as refused:
        parse_quantity(str(MAX_QUANTITY), locale="en_US")
    assert refused.value.field == "quantity"


def test_the_billing_rows_are_unpacked_in_the_order_of_the_list_columns():
    # blueprints.main.list_format.list_rows unpacks each row by position.
    from billing.invoices.listing import LIST_COLUMNS

    names = [column.key for column in LIST_COLUMNS]
    assert names == [
        "id", "number", "issue_date", "due_date", "status", "currency", "total_minor",
        "owed_minor", "partly_paid", "customer_name", "batch_id", "batch_name",
    ]  # fmt: skip
