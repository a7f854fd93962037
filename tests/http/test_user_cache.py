"""The logged-in user kept per worker (``billing.process_cache.session_user``): a deactivation, a
password reset or a permission taken away applies on the very next request, in this process and
in another one whose memory holds the user."""

import pytest

from billing.process_cache import session_user
from models import Role, User, db
from tests.factories import make_user
from tests.http.test_process_cache import Worker, _name_company, _reads

NEW_PASSWORD = "a-new-password-42"


@pytest.fixture
def tech(app) -> User:
    """A technician allowed to see billing, with a session token."""
    user = make_user(Role.TECHNICIAN, name="Kept Tech")
    user.can_see_billing = True
    user.get_id()
    db.session.commit()
    _name_company("Kept Co")  # the settings row exists: a first request writes nothing
    return user


@pytest.fixture
def tech_worker(app, tech):
    """Another worker process logged in as ``tech``, its memory warm: the user no longer read."""
    other = Worker(app.config["SQLALCHEMY_DATABASE_URI"], tech.get_id())
    assert other.request("GET", "/billing")["status"] == 200
    warm = other.request("GET", "/billing")
    assert warm["status"] == 200
    assert not _reads(warm["statements"], "users")  # from memory: what follows means something
    assert _reads(warm["statements"], "cache_versions")
    yield other
    other.close()


def _refused(answer: dict) -> bool:
    return answer["status"] == 302 and "/auth/login" in answer["html"]


def test_a_user_deactivated_here_is_logged_out_in_another_process_at_once(
    admin_client, tech, tech_worker
):
    response = admin_client.post(
        f"/admin/users/{tech.id}", data={"name": tech.name, "role": "technician"}
    )
    assert response.status_code == 302
    assert _refused(tech_worker.request("GET", "/billing"))
    assert _refused(tech_worker.request("GET", "/work/tickets"))


def test_a_password_reset_here_ends_the_session_in_another_process_at_once(
    admin_client, tech, tech_worker
):
    response = admin_client.post(
        f"/admin/users/{tech.id}/password",
        data={"reset-password": NEW_PASSWORD, "reset-confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert _refused(tech_worker.request("GET", "/billing"))


def test_billing_taken_away_here_is_refused_in_another_process_at_once(
    admin_client, tech, tech_worker
):
    response = admin_client.post(
        f"/admin/users/{tech.id}", data={"name": tech.name, "role": "technician", "active": "y"}
    )
    assert response.status_code == 302
    assert tech_worker.request("GET", "/billing")["status"] == 403


def test_a_rename_shows_in_another_process_at_once(admin_client, tech, tech_worker):
    data = {"name": "Renamed Tech", "role": "technician", "active": "y", "can_see_billing": "y"}
    assert admin_client.post(f"/admin/users/{tech.id}", data=data).status_code == 302
    assert "Renamed Tech</a>" in tech_worker.request("GET", "/billing")["html"]


def test_a_user_deactivated_in_another_process_is_logged_out_here_at_once(app, client, admin, tech):
    tech_client = client
    with tech_client.session_transaction() as session:
        session["_user_id"] = tech.get_id()
        session["_fresh"] = True
    assert tech_client.get("/billing").status_code == 200
    assert tech_client.get("/billing").status_code == 200  # this process keeps the user now
    session_id = admin.get_id()
    db.session.commit()  # the admin's session token
    admin_worker = Worker(app.config["SQLALCHEMY_DATABASE_URI"], session_id)
    try:
        form = {"name": tech.name, "role": "technician"}
        assert admin_worker.request("POST", f"/admin/users/{tech.id}", form)["status"] == 302
    finally:
        admin_worker.close()
    refused = tech_client.get("/billing")
    assert refused.status_code == 302 and "/auth/login" in refused.location


def test_the_kept_user_is_this_sessions_own_object(app, tech):
    tech_id = tech.id
    db.session.remove()  # a session without the user, as a request's is
    with app.test_request_context():
        first = session_user(tech_id)
        assert first in db.session and first.name == "Kept Tech"
    db.session.remove()
    with app.test_request_context():
        user = session_user(tech_id)
        assert user is not first and user in db.session and user.name == "Kept Tech"
        user.name = "Changed Here"  # an ordinary change of a persistent object
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, tech_id).name == "Changed Here"
    assert session_user(10**9) is None
