"""OAuth scopes of the fake Xero: those it knows, and those an app created on or after
2 March 2026 may no longer request.

From 2 March 2026 new Xero apps get granular scopes only (``accounting.invoices``,
``accounting.payments``, ``accounting.reports.profitandloss.read``...); the broad
``accounting.transactions(.read)`` and ``accounting.reports.read`` are for older apps, which may
request both kinds until their migration deadline [3p: apideck.com/blog/xero-scopes,
docs.codat.io Xero scopes page, help.apideck.com "Connecting a new app"]. The fake's single app is
new unless ``FakeXeroConfig.new_app`` is false.
"""

from __future__ import annotations

from collections.abc import Iterable

from tests.fakes.xero_format import names

BROAD_SCOPES = names("accounting.transactions accounting.transactions.read accounting.reports.read")
GRANULAR_SCOPES = names(
    "accounting.invoices accounting.invoices.read accounting.payments accounting.payments.read "
    "accounting.banktransactions accounting.banktransactions.read accounting.manualjournals "
    "accounting.manualjournals.read accounting.reports.aged.read "
    "accounting.reports.balancesheet.read accounting.reports.banksummary.read "
    "accounting.reports.budgetsummary.read accounting.reports.executivesummary.read "
    "accounting.reports.profitandloss.read accounting.reports.trialbalance.read"
)
# Unchanged by the 2026 split: identity, contacts, settings, attachments and the rest of the spec's.
UNCHANGED_SCOPES = names(
    "openid profile email offline_access paymentservices accounting.contacts "
    "accounting.contacts.read accounting.settings accounting.settings.read accounting.attachments "
    "accounting.attachments.read accounting.budgets.read accounting.journals.read "
    "accounting.reports.tenninetynine.read"
)
KNOWN_SCOPES = BROAD_SCOPES | GRANULAR_SCOPES | UNCHANGED_SCOPES


class ScopeRefused(ValueError):
    """A scope the app may not be granted; the message is the ``error_description``."""


def refusal(scopes: Iterable[str], new_app: bool) -> str | None:
    """Why an app may not have ``scopes`` (the first broad scope a new app asks for), or None.

    The wording is the fake's own [unverified]: third parties report ``invalid_scope`` and
    ``unauthorized_client`` / "Invalid scope for client" for new apps asking for a broad scope.
    """
    if not new_app:
        return None
    broad = [s for s in scopes if s in BROAD_SCOPES]
    if not broad:
        return None
    return (
        f"Invalid scope for client: {broad[0]} is not available to apps created on or after "
        "2 March 2026"
    )


def check(scopes: Iterable[str], new_app: bool) -> None:
    """Raise ScopeRefused if an app of this age may not be granted ``scopes``."""
    message = refusal(scopes, new_app)
    if message:
        raise ScopeRefused(message)
