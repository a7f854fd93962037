"""What an export tells the user, in words: what happened, and what to do next.

Never a Python exception's text: a ledger that did not answer is "could not be reached" or
"timed out", and only a ledger that answered "no" has "refused" anything.
"""

from babel.numbers import format_currency

from billing.money import format_money
from integrations.ledger_errors import (
    AccessDenied,
    AuthExpired,
    LedgerError,
    LedgerUnavailable,
    NotSent,
    RateLimited,
)
from models import Invoice, InvoiceExport, Provider

UNREACHABLE_CODES = {"connection", "timeout", "lost", "deadline", "not_reached"}


def error_kind(error: Exception) -> str:
    """``checked``, ``limit``, ``auth``, ``unreachable`` or ``refused`` (see InvoiceExport)."""
    if isinstance(error, NotSent):
        return "checked"
    if isinstance(error, RateLimited) or getattr(error, "code", None) == "deadline":
        return "limit"
    if isinstance(error, AuthExpired | AccessDenied):
        return "auth"
    if isinstance(error, LedgerUnavailable):
        return "unreachable"
    return "refused"


def failure_text(error: Exception, provider: Provider) -> str:
    """What to show for a failed export (``error.subject``, if set, says what failed: e.g.
    the invoice's customer)."""
    subject = getattr(error, "subject", None)
    text = _failure_text(error, provider)
    return f"{subject}: {text}" if subject else text


def _failure_text(error: Exception, provider: Provider) -> str:
    name = provider.label
    if not isinstance(error, LedgerError):
        return f"{name}: {error}"  # our own domain errors, already in words
    text = error.text
    if isinstance(error, RateLimited):
        wait = (
            f"asked to wait {error.retry_after:.0f} s, longer than an export here can wait"
            if error.retry_after
            else "still refused after a few seconds of waiting"
        )
        return (
            f"{name} is limiting how fast it accepts requests and {wait}. "
            "Nothing was changed: try again in a minute."
        )
    if isinstance(error, NotSent):
        return text
    if isinstance(error, LedgerUnavailable):
        if error.code in UNREACHABLE_CODES:
            return error.message
        status = f" (HTTP {error.status})" if error.status else ""
        return (
            f"{name} had a problem of its own{status} and may not have saved this. Export "
            "again in a few minutes: what already reached it is found and updated, never "
            "duplicated."
        )
    if isinstance(error, AuthExpired | AccessDenied):
        return (
            f"{name} refused access to the company ({text}). Reconnect it in Admin > "
            "Accounting, then export again."
        )
    return f"{name} refused it: {text}"


def outcome_text(invoice: Invoice, export: InvoiceExport, pushed) -> str:
    """The message of a successful export, with the difference if the ledger booked another
    total than ours."""
    name = export.provider.label
    how = "Found in" if pushed.adopted else "Exported to"
    draft = " as a draft (approved once it is sent from here)" if pushed.status == "DRAFT" else ""
    text = f"{how} {name}{draft}, id {pushed.external_id}."
    if export.has_difference:
        ours = format_money(invoice.total_minor, invoice.currency)
        theirs = ledger_amount_text(export.ledger_total, invoice.currency)
        text += (
            f" Exported with a difference: {name} booked {theirs} where this invoice says "
            f"{ours}. Check the tax mapping in Admin > Accounting, fix it, and export again."
        )
    return text


def ledger_amount_text(amount, currency: str, locale="en_US") -> str:
    """An amount as the ledger booked it, with every decimal it kept (¥22,501.50)."""
    return format_currency(
        amount, currency, format="¤#,##0.00##", currency_digits=False, locale=locale
    )


def number_taken(document: str, number: str, row: dict, again: str) -> NotSent:
    """Xero holds a ``document`` ("invoice", "credit note") numbered ``number`` that was not
    sent from here (``row`` as Xero answered): it is left alone, and the user told what to do."""
    owner = (row.get("Contact") or {}).get("Name") or "another contact"
    return NotSent(
        f"Xero already has {'an' if document[0] in 'aeiou' else 'a'} {document} numbered "
        f"{number}, for {owner}. It was not made from here, so it was left alone: renumber or "
        f"void it in Xero, then {again}. Nothing was sent.",
        "number_taken",
        provider="xero",
    )
