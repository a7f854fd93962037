"""Words the app says: counts ("1 invoice", "2 invoices": the one place a noun gets its plural),
values quoted back to the user, lists ("a, b or c"), and what a page ignored.

The app speaks English only; a noun whose plural is not its singular plus "s" names it
(``counted(2, "time entry", "time entries")``).
"""

from collections.abc import Iterable


def noun(count: int, singular: str, plural: str | None = None) -> str:
    """The noun that goes with ``count``: ``singular`` for exactly one, else ``plural``
    (``singular`` + "s" unless given)."""
    return singular if count == 1 else (plural or f"{singular}s")


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """The count and its noun: ``counted(1, "invoice")`` -> ``"1 invoice"``, ``counted(0,
    "invoice")`` -> ``"0 invoices"``."""
    return f"{count} {noun(count, singular, plural)}"


def overdue_text(days: int) -> str:
    """The badge of an invoice ``days`` late: ``"Overdue · 12 days"``; empty when not late."""
    return f"Overdue · {counted(days, 'day')}" if days > 0 else ""


SHOWN_CHARS = 40  # of a refused value, quoted back to the user


def shown(raw: str) -> str:
    """A value the user sent, fit to quote back: at most SHOWN_CHARS, control characters
    replaced (the template escapes the rest)."""
    text = "".join(c if c.isprintable() else "\ufffd" for c in raw[: SHOWN_CHARS + 1])
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def one_of(values: Iterable[str]) -> str:
    """``["a", "b", "c"]`` as "a, b or c"."""
    *rest, last = list(values)
    return f"{', '.join(rest)} or {last}" if rest else last


def article(noun: str) -> str:
    """The noun with its article: "a customer", "an invoice"."""
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


class Ignored(list[str]):
    """What a page left out of its query string, in words: "customer “abc” is not a customer
    id". Shown near the filters (``_ignored.html``) as "Ignored: …; …."."""

    def add(self, label: str, raw: str, expected: str) -> None:
        """Note that ``label`` = ``raw`` was ignored as it is not ``expected``."""
        self.append(f"{label} “{shown(raw)}” is not {expected}")

    @property
    def text(self) -> str:
        """The notice, or "" when nothing was ignored."""
        return f"Ignored: {'; '.join(self)}." if self else ""
