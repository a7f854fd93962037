"""A postal address typed as free text, read into EN 16931's parts (BG-5 / BG-8).

Addresses are typed the way they are printed: the street first, then whatever else, then a
line with the post code and the city ("10117 Berlin", "1000 Brussels", "Austin, TX 78701",
"London SW1A 1AA"); a last line naming the country is dropped (the country is its own field).
"""

import re

from billing.einvoice.document import Address

# The post code and the city, in the orders Europe and the US write them.
_CODE_FIRST = re.compile(
    r"^(?:[A-Z]{1,2}[- ])?(\d{4} ?[A-Z]{2}(?=\s)|\d{4,5}|\d{3} ?\d{2})\s+(.+)$"
)
_US = re.compile(r"^(.+?),?\s+([A-Z]{2})\s+(\d{5}(?:-\d{4})?)$")
_CODE_LAST = re.compile(r"^(.+?),?\s+([A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})$")


def split_address(text: str, country: str, country_names: dict[str, str] | None = None) -> Address:
    """``text`` as street, further lines, city and post code, in ``country``.

    A line naming the country (its code or one of ``country_names``' values) is dropped; with
    no post-code line, the last line is taken as the city.
    """
    lines = [line.strip().rstrip(",") for line in text.splitlines() if line.strip()]
    names = {country.upper(), *(n.casefold() for n in (country_names or {}).values())}
    if lines and (lines[-1].upper() in names or lines[-1].casefold() in names):
        lines.pop()
    if not lines:
        return Address(country=country)
    city, postcode, index = _city_line(lines)
    if index is None:
        index, city = len(lines) - 1, lines[-1]
    street = lines[0] if index > 0 else ""
    additional = ", ".join(lines[1:index])
    return Address(street, additional, city, postcode, country)


def _city_line(lines: list[str]) -> tuple[str, str, int | None]:
    """The last line holding a post code: (city, post code, its index), or ("", "", None)."""
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if match := _CODE_FIRST.match(line):
            return match.group(2), match.group(1), index
        if match := _US.match(line):
            return match.group(1), match.group(3), index
        if match := _CODE_LAST.match(line):
            return match.group(1), match.group(2), index
    return "", "", None
