"""A database that cannot be reached: every request gets a 503 page in words (with
Retry-After, and retargeted to #flash for htmx) drawn without the database, even though the
login check itself needs it; other error pages still render."""

import pytest
from flask.testing import FlaskClient

from app import create_app

UNREACHABLE = "The database cannot be reached right now; nothing was changed."
# Nothing listens on port 1; a directory that does not exist cannot hold an SQLite file.
DOWN = {
    "postgresql": "postgresql://postgres@127.0.0.1:1/x",
    "sqlite": "sqlite:////nonexistent-msp-billing-dir/billing.db",
}


@pytest.fixture(params=sorted(DOWN))
def down_app(request, tmp_path):
    application = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": DOWN[request.param],
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "PROPAGATE_EXCEPTIONS": False,
    })  # fmt: skip
    return application


@pytest.fixture
def logged_in(down_app) -> FlaskClient:
    """A client whose session says someone is logged in: the user loader needs the database."""
    client = down_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1.sometoken"
        session["_fresh"] = True
    return client


def _assert_503_page(response) -> str:
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:500]
    assert UNREACHABLE in body and "Try again in a minute" in body
    assert response.headers["Retry-After"] == "60"
    return body


def test_a_page_is_a_503_page_without_the_database(logged_in, down_app):
    assert down_app.config["SQLALCHEMY_DATABASE_URI"].startswith(("postgresql+psycopg", "sqlite"))
    response = logged_in.get("/billing")
    body = _assert_503_page(response)
    assert "<html" in body and "Database unavailable" in body
    assert 'href="/"' in body  # the way back, once the database is up again
    assert "HX-Retarget" not in response.headers


def test_an_htmx_request_gets_a_fragment_for_the_flash_area(logged_in):
    response = logged_in.get("/invoices", headers={"HX-Request": "true"})
    body = _assert_503_page(response)
    assert response.headers["HX-Retarget"] == "#flash"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert "<html" not in body and 'class="flash flash-error"' in body


def test_a_post_is_a_503_and_says_nothing_was_changed(logged_in):
    response = logged_in.post("/batches", data={"start": "2026-10-01", "end": "2026-10-31"})
    _assert_503_page(response)
    response = logged_in.post("/batches/7/delete", headers={"HX-Request": "true"})
    _assert_503_page(response)
    assert response.headers["HX-Retarget"] == "#flash"


def test_other_error_pages_render_without_the_database(down_app):
    """A stale CSRF token is refused before the login check; its page would normally show the
    logged-in layout, which needs the database: it is drawn with the error layout instead."""
    down_app.config["WTF_CSRF_ENABLED"] = True
    client = down_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1.sometoken"
    response = client.post("/batches", data={"start": "2026-10-01"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400, body[:500]
    assert "The form expired" in body and "<html" in body
