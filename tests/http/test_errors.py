"""Error pages are friendly, roll back, and never dump a whole page into an htmx target."""

import pytest
from sqlalchemy import func, select

from billing.errors import Conflict
from models import Customer, db


@pytest.fixture
def failing_routes(app):
    """Routes added to this test's app that fail after writing, as a buggy view would."""

    def crash():
        db.session.add(Customer(name="Half-saved", currency="USD"))
        db.session.flush()
        raise RuntimeError("boom")

    def refuse():
        db.session.add(Customer(name="Half-saved", currency="USD"))
        db.session.flush()
        raise Conflict("This invoice is Paid and cannot be edited.")

    app.add_url_rule("/test-crash", "test_crash", crash, methods=["GET", "POST"])
    app.add_url_rule("/test-refuse", "test_refuse", refuse, methods=["POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def _customers():
    return db.session.scalar(select(func.count(Customer.id)))


def test_500_page_rolls_back_and_says_nothing_was_saved(failing_routes, admin_client):
    response = admin_client.post("/test-crash")
    assert response.status_code == 500
    assert b"Something went wrong" in response.data and b"Nothing was saved" in response.data
    assert _customers() == 0


def test_500_for_htmx_is_a_fragment_for_the_flash_area(failing_routes, admin_client):
    response = admin_client.get("/test-crash", headers={"HX-Request": "true"})
    assert response.status_code == 500
    assert response.headers["HX-Retarget"] == "#flash"
    assert b"<html" not in response.data and b"Something went wrong" in response.data


def test_domain_conflict_is_409_with_its_message_and_nothing_saved(failing_routes, admin_client):
    response = admin_client.post("/test-refuse")
    assert response.status_code == 409
    assert b"This invoice is Paid and cannot be edited." in response.data
    assert _customers() == 0


def test_404_for_htmx_is_a_fragment(admin_client):
    response = admin_client.get("/nowhere", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#flash" and b"<html" not in response.data
