"""A country's currency and number locale, from Babel's data.

Below ``money``, ``numbers`` and ``settings``: it imports none of them, so the company's locale
(``settings.company_locale``) can be read by ``numbers`` without a circle through ``money``.
"""

from functools import cache

from babel import Locale
from babel.numbers import get_territory_currencies


def currency_for_country(country: str) -> str:
    """The currency in use in a territory today (Babel's data), USD if it knows none."""
    currencies = get_territory_currencies(country.upper(), tender=True)
    return currencies[0] if currencies else "USD"


@cache
def locale_for_country(country: str) -> Locale:
    """The most likely locale of a territory, for number formatting (en_US for US)."""
    try:
        return Locale.parse(f"und_{country.upper()}")
    except (ValueError, TypeError):
        return Locale.parse("en_US")
