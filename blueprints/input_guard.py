"""Input no field can hold: a NUL character is refused before any view runs.

Browsers never send NUL from a keyboard, PostgreSQL text columns cannot store it, and SQLite
would store it silently; so one check here answers every form and query with the same 422.
"""

from flask import Flask, request

from billing.errors import ValidationFailed


def refuse_nul() -> None:
    """Refuse a request whose query or form holds a NUL character (422, nothing saved)."""
    for values in (request.args, request.form):
        for name, value in values.items(multi=True):
            if "\x00" in value or "\x00" in name:
                raise ValidationFailed(
                    "The text sent holds a NUL character, which cannot be saved. "
                    "Remove it and try again; nothing was changed.",
                    name,
                )


def init_app(app: Flask) -> None:
    """Run :func:`refuse_nul` before every request."""
    app.before_request(refuse_nul)
