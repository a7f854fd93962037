"""Security headers on every response (Flask-Talisman): CSP, frame and referrer policies.

The pages satisfy the policy as written: htmx and ``static/js/app.js`` come from our own static
files, no template has an inline script, an ``on*=`` handler or a ``style=`` attribute, and htmx
is told not to eval (``allowEval``) nor to inject its indicator ``<style>`` (see ``base.html``).
"""

from urllib.parse import urlsplit

from flask import Flask
from flask_talisman import Talisman

SELF = "'self'"


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute URL; None for anything else."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(config) -> dict[str, str]:
    """The CSP for this app; ``config`` gives the ledgers' sign-in pages.

    Connect posts a form to us and we answer with a redirect to the ledger's sign-in page:
    browsers check ``form-action`` on that redirect too, so the ledgers' authorize origins
    (the real ones, or the test fakes') are allowed there and nowhere else.
    """
    ledgers = {
        origin(config.get(key, "")) for key in ("QUICKBOOKS_AUTHORIZE_URL", "XERO_AUTHORIZE_URL")
    }
    form_action = " ".join([SELF, *sorted(o for o in ledgers if o)])
    return {
        "default-src": SELF,
        "script-src": SELF,
        "style-src": SELF,
        "img-src": f"{SELF} data:",
        "frame-ancestors": "'none'",
        "form-action": form_action,
        "base-uri": SELF,
    }


def init_app(app: Flask) -> None:
    """Send the security headers; call after the ledgers' URLs are configured."""
    # One Talisman per app: it keeps its options on itself, and tests build many apps.
    app.extensions["talisman"] = Talisman(
        app,
        # Self-hosted, often on plain http on a LAN or behind a TLS proxy: never redirect to
        # https here (the proxy does that), and leave the session cookie to SessionInterface,
        # which marks it Secure whenever the request came over https. HSTS is only ever sent
        # on https requests, where it belongs.
        force_https=False,
        session_cookie_secure=False,
        frame_options="DENY",
        content_security_policy=content_security_policy(app.config),
        referrer_policy="strict-origin-when-cross-origin",
    )
