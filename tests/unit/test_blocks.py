"""Block balance arithmetic, against hand-computed figures (block of 10 h = 600 minutes)."""

from datetime import date

from billing.contracts.blocks import BlockTerms, Movement, TimeUse, block_balance, use_amount
from models import BlockEntryKind as K

JAN, FEB, MAR, APR = (date(2026, m, 1) for m in (1, 2, 3, 4))


def terms(**fields) -> BlockTerms:
    values = dict(start=JAN, end=None, period_months=1, block_size=600, rollover=False)
    return BlockTerms(**{**values, **fields})


def table(balance) -> list[tuple]:
    """(month, opening, purchased, used, overage, lapsed, closing) of each row."""
    return [
        (r.month, r.opening, r.purchased, r.used, r.overage, r.lapsed, r.closing)
        for r in balance.rows
    ]


def test_zero_use_during_the_period_keeps_the_block():
    balance = block_balance(terms(), [Movement(JAN, K.PURCHASE, 600)], [], date(2026, 1, 20))
    assert table(balance) == [(JAN, 0, 600, 0, 0, 0, 600)]
    assert balance.current == 600
    assert balance.rows[0].unrecorded_purchase == 0


def test_zero_use_lapses_the_block_when_the_period_is_over():
    balance = block_balance(terms(), [Movement(JAN, K.PURCHASE, 600)], [], date(2026, 2, 1))
    assert table(balance) == [
        (JAN, 0, 600, 0, 0, 600, 0),  # unused 10 h lapse on 31 January
        (FEB, 0, 600, 0, 0, 0, 600),  # February's block, not recorded yet
    ]
    assert [r.unrecorded_lapse for r in balance.rows] == [600, 0]
    assert [r.unrecorded_purchase for r in balance.rows] == [0, 600]
    assert balance.current == 600


def test_use_exactly_equal_to_the_block_leaves_nothing_and_no_overage():
    usage = [TimeUse(date(2026, 1, 5), 240), TimeUse(date(2026, 1, 20), 120, entries=3)]
    balance = block_balance(terms(), [], usage, date(2026, 1, 31))
    assert table(balance) == [(JAN, 0, 600, 600, 0, 0, 0)]
    assert balance.current == 0


def test_use_beyond_the_balance_is_overage_and_the_balance_stops_at_zero():
    usage = [TimeUse(date(2026, 1, 5), 450), TimeUse(date(2026, 1, 6), 300)]  # 12.5 h
    balance = block_balance(terms(), [], usage, date(2026, 2, 10))
    assert table(balance) == [
        (JAN, 0, 600, 750, 150, 0, 0),  # 2.5 h overage
        (FEB, 0, 600, 0, 0, 0, 600),  # no debt carried into February
    ]
    assert balance.rows[0].unrecorded_overage == 150


def test_two_periods_without_rollover_lapse_what_is_unused():
    usage = [TimeUse(date(2026, 1, 10), 200), TimeUse(date(2026, 2, 10), 100)]
    balance = block_balance(terms(rollover=False), [], usage, date(2026, 3, 1))
    assert table(balance) == [
        (JAN, 0, 600, 200, 0, 400, 0),
        (FEB, 0, 600, 100, 0, 500, 0),
        (MAR, 0, 600, 0, 0, 0, 600),
    ]
    assert balance.current == 600


def test_two_periods_with_rollover_carry_what_is_unused():
    usage = [TimeUse(date(2026, 1, 10), 200), TimeUse(date(2026, 2, 10), 100)]
    balance = block_balance(terms(rollover=True), [], usage, date(2026, 3, 1))
    assert table(balance) == [
        (JAN, 0, 600, 200, 0, 0, 400),
        (FEB, 400, 600, 100, 0, 0, 900),
        (MAR, 900, 600, 0, 0, 0, 1500),
    ]
    assert balance.current == 1500


def test_rollover_balance_absorbs_a_later_overage():
    usage = [TimeUse(date(2026, 1, 10), 100), TimeUse(date(2026, 2, 10), 1300)]
    balance = block_balance(terms(rollover=True), [], usage, date(2026, 2, 28))
    # January leaves 500; February has 500 + 600 = 1100 for 1300 of use: 200 overage.
    assert table(balance) == [(JAN, 0, 600, 100, 0, 0, 500), (FEB, 500, 600, 1300, 200, 0, 0)]


def test_a_quarterly_block_lapses_only_at_the_end_of_the_quarter():
    usage = [TimeUse(date(2026, 1, 10), 200), TimeUse(date(2026, 2, 10), 100)]
    balance = block_balance(terms(period_months=3), [], usage, date(2026, 4, 15))
    assert table(balance) == [
        (JAN, 0, 600, 200, 0, 0, 400),
        (FEB, 400, 0, 100, 0, 0, 300),
        (MAR, 300, 0, 0, 0, 300, 0),  # the quarter ends: 5 h lapse
        (APR, 0, 600, 0, 0, 0, 600),
    ]
    assert [r.period_end for r in balance.rows] == [False, False, True, False]


def test_an_open_period_does_not_lapse_yet():
    balance = block_balance(terms(period_months=3), [], [], date(2026, 3, 31))
    assert [r.lapsed for r in balance.rows] == [0, 0, 0]
    assert balance.current == 600


def test_recorded_overage_and_lapse_are_not_counted_twice():
    usage = [TimeUse(date(2026, 1, 5), 750)]
    before = block_balance(terms(), [], usage, date(2026, 2, 1))
    # What the billing engine writes for January, dated in January.
    recorded = [
        Movement(JAN, K.PURCHASE, 600),
        Movement(date(2026, 1, 31), K.OVERAGE, 150),
    ]
    after = block_balance(terms(), recorded, usage, date(2026, 2, 1))
    assert (
        table(after)
        == table(before)
        == [
            (JAN, 0, 600, 750, 150, 0, 0),
            (FEB, 0, 600, 0, 0, 0, 600),
        ]
    )
    assert after.rows[0].unrecorded_overage == 0 and after.rows[0].unrecorded_purchase == 0

    light = [TimeUse(date(2026, 1, 5), 200)]
    lapsed = [Movement(JAN, K.PURCHASE, 600), Movement(date(2026, 1, 31), K.LAPSE, -400)]
    again = block_balance(terms(), lapsed, light, date(2026, 2, 1))
    assert table(again)[0] == (JAN, 0, 600, 200, 0, 400, 0)
    assert again.rows[0].unrecorded_lapse == 0


def test_billed_use_in_the_ledger_adds_to_unbilled_time():
    moves = [Movement(JAN, K.PURCHASE, 600), Movement(date(2026, 1, 31), K.USAGE, -200)]
    balance = block_balance(terms(), moves, [TimeUse(date(2026, 1, 20), 100)], date(2026, 1, 31))
    assert table(balance) == [(JAN, 0, 600, 300, 0, 0, 300)]


def test_adjustments_and_granted_rollovers_move_the_balance():
    moves = [
        Movement(date(2026, 1, 3), K.ADJUSTMENT, -60),
        Movement(date(2026, 2, 1), K.ROLLOVER, 90),
    ]
    balance = block_balance(terms(), moves, [], date(2026, 2, 15))
    assert [(r.adjusted, r.closing) for r in balance.rows] == [(-60, 0), (90, 690)]
    assert balance.rows[0].lapsed == 540


def test_the_balance_starts_with_the_ledger_not_with_an_older_contract():
    old = terms(start=date(2025, 6, 1), rollover=True)
    balance = block_balance(old, [Movement(JAN, K.ADJUSTMENT, 30)], [], date(2026, 2, 10))
    assert table(balance) == [(JAN, 0, 600, 0, 0, 0, 630), (FEB, 630, 600, 0, 0, 0, 1230)]


def test_an_ended_contract_buys_no_more_blocks():
    ended = terms(end=date(2026, 1, 31))
    balance = block_balance(ended, [], [TimeUse(date(2026, 1, 9), 60)], date(2026, 3, 15))
    assert table(balance) == [(JAN, 0, 600, 60, 0, 540, 0)]
    assert balance.current == 0


def test_a_contract_starting_mid_period_buys_its_block_in_its_first_month():
    mid = terms(start=date(2026, 2, 15), period_months=3)
    balance = block_balance(mid, [], [], date(2026, 4, 2))
    assert table(balance) == [
        (FEB, 0, 600, 0, 0, 0, 600),
        (MAR, 600, 0, 0, 0, 600, 0),  # the calendar quarter ends in March
        (APR, 0, 600, 0, 0, 0, 600),
    ]


def test_block_money_values_each_entry_at_its_price_rounded_half_up():
    assert use_amount(TimeUse(JAN, 50, 15000), money=True) == 12500  # 50 min x 150.00
    assert use_amount(TimeUse(JAN, 7, 15000), money=True) == 1750  # 17.50
    # 1 min at 123.45/h = 2.0575 -> 2.06 per entry, so three entries make 6.18 (not 6.17)
    assert use_amount(TimeUse(JAN, 1, 12345, entries=3), money=True) == 618
    assert use_amount(TimeUse(JAN, 45, 12345, entries=2), money=False) == 90


def test_block_money_balance():
    money = terms(block_size=500000, money=True, rollover=True)
    usage = [TimeUse(date(2026, 1, 8), 60, 15000, entries=20)]  # 20 h x 150.00 = 3,000.00
    balance = block_balance(money, [Movement(JAN, K.PURCHASE, 500000)], usage, date(2026, 1, 31))
    assert table(balance) == [(JAN, 0, 500000, 300000, 0, 0, 200000)]  # 5,000 - 3,000
