"""Numbers as people type them into forms: one parser for amounts, quantities, hours, percentages
and counts, and the text that gives a stored number back to a form.

Text is read in the company's locale (its country, ``Settings.country``) with Babel's strict
parser: in en_US ``1,234.50`` and ``1234.50`` are read, in de_DE ``1.234,50`` and ``1234,50``.
Only ASCII digits, the locale's decimal symbol and its group symbol are read (a space where the
group symbol is one, ``'`` for ``’``); everything else is refused with an example in the
company's format, beside the field: a grouping mistake that would change the value (``1,50`` in
en_US is not 150), exponents (``1e3``), underscores (``1_000``), other scripts' digits (``²``,
``٣``), NaN and Infinity, negative numbers, too many decimals, and values at or over the field's
bound (checked before anything is rounded, so no huge value ever reaches ``Decimal.quantize``).
"""

from dataclasses import dataclass
from decimal import Decimal

from babel import Locale
from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
)
from flask import has_app_context

from billing.errors import ValidationFailed
from billing.settings import company_locale, get_settings
from models import db

# No bound a form uses needs more characters; anything longer is refused unread.
MAX_TEXT = 40
# Every quantity (an expense's, a contract's, a service line's) ends up as an invoice line's,
# which the invoice editor reads again on any edit: one bound, so every line a batch writes can
# be edited. The amount it makes is bounded by the line rule, billing.money.line_amount_minor.
MAX_QUANTITY = Decimal(1_000_000)
QUANTITY_PLACES = 3  # the quantity columns are ScaledDecimal(3)
DIGITS = frozenset("0123456789")
SPACES = frozenset(" \t\xa0\u2007\u202f")
MINUS = ("-", "\u2212")
SEPARATORS = frozenset(".,'\u2019") | SPACES


@dataclass(frozen=True)
class Kind:
    """What a field holds, its bounds, and how a refusal asks for it.

    ``places`` is the most decimals allowed (None: any, the caller rounds); ``below`` the first
    value refused as too large; ``positive`` refuses zero too. ``ask`` starts the message for
    unreadable text ("Enter an amount"), followed by "such as" and the ``examples``.
    ``range_message`` replaces the messages for negative and too-large values, ``fine_message``
    the one for too many decimals.
    """

    noun: str
    examples: tuple[Decimal, ...]
    places: int | None
    below: Decimal
    positive: bool = False
    ask: str = ""
    range_message: str = ""
    fine_message: str = ""


def input_locale(locale: Locale | str | None = None) -> Locale:
    """The locale typed numbers are read in: ``locale`` if given, else the company's (its
    country's), and en_US outside the application (scripts, unit tests)."""
    if locale is not None:
        return Locale.parse(locale)
    if not has_app_context():
        return Locale.parse("en_US")
    with db.session.no_autoflush:  # parsed before the change is applied: flush nothing early
        return company_locale(get_settings())


def number_text(
    value: Decimal,
    locale: Locale | str | None = None,
    *,
    places: int | None = None,
    grouped: bool = False,
) -> str:
    """``value`` as a form field shows it, exactly, in the input locale: ``Decimal("1234.50")``
    -> ``"1234.5"`` (en_US) or ``"1234,5"`` (de_DE); with ``places=2``, ``"1234.50"``; with
    ``grouped``, ``"1,234.5"``. ``places`` never drops a digit that counts."""
    loc = input_locale(locale)
    places = max(decimals(value), places or 0)
    pattern = ("#,##0" if grouped else "0") + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=loc, decimal_quantization=True)


def _symbols(loc: Locale) -> tuple[str, str]:
    return get_decimal_symbol(loc), get_group_symbol(loc)


def _examples(kind: Kind, loc: Locale) -> str:
    # each example as written: Decimal("1234.50") keeps its zero
    shown = (
        number_text(e, loc, places=-e.as_tuple().exponent, grouped=True) for e in kind.examples
    )
    return " or ".join(shown)


def _unreadable(kind: Kind, loc: Locale, field: str | None, *, grouping: bool = False):
    ask = kind.ask or f"Enter {kind.noun}"
    message = f"{ask} such as {_examples(kind, loc)}."
    if grouping:
        decimal, group = _symbols(loc)
        shown = "a space" if group in SPACES else f"“{group}”"
        message = f"{message} Use {shown} between thousands and “{decimal}” before decimals."
    return ValidationFailed(message, field)


def _normalized(text: str, group: str) -> str:
    """``text`` with the group symbol's look-alikes a keyboard types replaced by it."""
    if group in SPACES:
        return "".join(group if char in SPACES else char for char in text)
    if group == "\u2019":
        return text.replace("'", group)
    return text


def _read(text: str, kind: Kind, loc: Locale, field: str | None) -> Decimal:
    """The unsigned number in ``text``, or a refusal; nothing but digits and symbols reaches
    ``Decimal``."""
    decimal, group = _symbols(loc)
    text = _normalized(text, group)
    if not text or len(text) > MAX_TEXT or not set(text) <= DIGITS | {decimal, group}:
        # a separator of another locale ("1.234,50" in en_US) is told which ones are read here
        raise _unreadable(kind, loc, field, grouping=bool(set(text) & SEPARATORS))
    try:
        return parse_decimal(text, loc, strict=True)
    except NumberFormatError:
        raise _unreadable(kind, loc, field, grouping=True) from None


def parse_number(
    text: str | None, kind: Kind, *, field: str | None, locale: Locale | str | None = None
) -> Decimal:
    """The number typed in ``text`` (see the module docstring), within ``kind``'s bounds.

    :raise ValidationFailed: (beside ``field``) empty, unreadable, negative (or zero when
        ``kind.positive``), at or over ``kind.below``, or with too many decimals.
    """
    loc = input_locale(locale)
    cleaned = (text or "").strip()
    negative = cleaned.startswith(MINUS)
    value = _read(cleaned[1:].strip() if negative else cleaned, kind, loc, field)
    too_small = negative or (kind.positive and value == 0)
    too_large = value >= kind.below
    if (too_small or too_large) and kind.range_message:
        raise ValidationFailed(kind.range_message, field)
    if too_small:
        bound = "above zero" if kind.positive else "of zero or more"
        raise ValidationFailed(f"Enter {kind.noun} {bound}.", field)
    if too_large:
        below = number_text(kind.below, loc, grouped=True)
        raise ValidationFailed(f"Enter {kind.noun} below {below}.", field)
    if kind.places is not None and decimals(value) > kind.places:
        default = f"Use at most {kind.places} decimals." if kind.places else "Use no decimals."
        raise ValidationFailed(kind.fine_message or default, field)
    return value


def decimals(value: Decimal) -> int:
    """Digits after the point that count: ``Decimal("7.50")`` -> 1, ``Decimal("20")`` -> 0."""
    _, digits, exponent = value.as_tuple()
    while exponent < 0 and digits and digits[-1] == 0:
        digits, exponent = digits[:-1], exponent + 1
    return max(0, -exponent)


QUANTITY = Kind(
    "a quantity", (Decimal(1), Decimal("2.5")), QUANTITY_PLACES, MAX_QUANTITY, positive=True
)


def parse_quantity(
    text: str | None, *, field: str = "quantity", locale: Locale | str | None = None
) -> Decimal:
    """A typed quantity ("2", "1.5", "1,000" in en_US) of anything billed: above zero, below
    :data:`MAX_QUANTITY`, at most :data:`QUANTITY_PLACES` decimals.

    :raise ValidationFailed: (beside ``field``) unreadable, zero or less, too large, or with too
        many decimals.
    """
    return parse_number(text, QUANTITY, field=field, locale=locale)
