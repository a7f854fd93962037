"""The settings row is made on first use: two first requests at once both get it, and it is
made once (both backends)."""

import sqlalchemy as sa

from billing.settings import get_settings
from models import Settings, db
from tests.races import race


def test_two_first_requests_at_once_share_one_settings_row(app):
    db.session.execute(sa.delete(Settings))
    db.session.commit()

    def first_request(_, ready) -> None:
        ready()
        settings = get_settings()
        assert settings.id == 1 and settings.invoice_prefix == "INV-"

    assert race(app, first_request, range(2)) == ["landed", "landed"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Settings)) == 1
    assert get_settings().next_invoice_number == 1
