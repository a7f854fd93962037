"""What to tell an admin when a ledger refuses to connect, in words, with what to do."""

from models import Provider


def refusal_text(provider: Provider, error: str, description: str | None = None) -> str:
    """The message for an OAuth ``error`` (and the ledger's ``error_description``, if any)."""
    name = provider.label
    said = f" {name} said: \u201c{description}\u201d." if description else ""
    if error == "access_denied":
        return f"Access was declined at {name}, so nothing was connected."
    if error in ("invalid_scope", "unauthorized_client") and provider == Provider.XERO:
        return (
            f"Xero refused the permissions MSP Billing asked for ({error}).{said} Xero apps "
            "created on or after 2 March 2026 accept only the granular scopes "
            "(XERO_SCOPES=granular, the default); an app created earlier may need "
            "XERO_SCOPES=broad. Check the setting, restart the app and connect again."
        )
    if error in ("invalid_client", "unauthorized_client"):
        return (
            f"{name} did not accept this app's credentials ({error}).{said} Check "
            f"{provider.value.upper()}_CLIENT_ID and _CLIENT_SECRET, and that the redirect URI "
            "is registered with the app."
        )
    return f"{name} did not connect ({error}).{said} Try again; nothing was changed."
