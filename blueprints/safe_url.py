"""The one check of a ``next`` URL before redirecting to it: a path on this site, or nothing.

Browsers drop tabs and line breaks from URLs and read ``\\`` as ``/``, so ``/\\t/evil.example``
or ``/\\evil.example`` would take the user to another host; a line break would also break the
``Location`` header. Such a target, or any with a scheme or a host, gives the fallback instead.
"""

from urllib.parse import urlsplit

from flask import url_for


def local_path(target: str | None, fallback: str | None = None) -> str:
    """``target`` if it is a path on this site, else ``fallback`` (the Billing page)."""
    default = fallback or url_for("main.billing")
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
