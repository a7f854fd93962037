"""Reading pages in HTTP tests: the page's text, its words without tags, the error beside a
field; and reading rows back after a request committed them."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from models import Invoice, db


def text(response) -> str:
    """The response's HTML, entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def squeeze(response) -> str:
    """The page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def error_beside(response, field_id: str) -> str:
    """The message shown beside the field ``field_id``."""
    found = re.search(
        rf'<small class="error" id="{field_id}-error">([^<]*)</small>', text(response)
    )
    assert found, f"no error beside {field_id}"
    return found.group(1)


def fresh(invoice: Invoice) -> Invoice:
    """``invoice`` as the database has it now (after a request committed)."""
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


def count(model) -> int:
    """How many rows of ``model`` there are."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def send_dialog(client, url: str) -> dict[str, str]:
    """The send dialog at ``url``: its prefilled recipients, subject and body, as the browser
    would post them back."""
    page = client.get(url).get_data(as_text=True)
    subject = re.search(r'name="subject"[^>]*value="([^"]*)"', page).group(1)
    fields = {
        name: re.search(
            rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', page, re.S
        ).group(1)
        for name in ("recipients", "body")
    }
    return {key: html.unescape(value) for key, value in {**fields, "subject": subject}.items()}
