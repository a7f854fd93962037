"""Logging in and out, failed-login throttling, cookies, and changing one's password."""

import pytest

from extensions import limiter
from models import Role, User, db
from tests.conftest import TEST_PASSWORD, log_in, make_user


def _login(client, email, password, next_=None):
    url = "/auth/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"email": email, "password": password})


def test_login_lands_on_billing_and_shows_the_user(app, client):
    user = make_user(Role.ADMIN, name="Ada Admin")
    response = _login(client, user.email.upper(), TEST_PASSWORD)  # emails are case-insensitive
    assert response.status_code == 302 and response.location == "/billing"
    page = client.get("/billing").get_data(as_text=True)
    assert "Ada Admin" in page and "Log out" in page


def test_login_follows_local_next_only(app, client):
    user = make_user()
    assert _login(client, user.email, TEST_PASSWORD, "/tickets").location == "/tickets"
    client.post("/auth/logout")
    evil = _login(client, user.email, TEST_PASSWORD, "//evil.example/x")
    assert evil.location == "/billing"


@pytest.mark.parametrize("password", ["wrong password", ""])
def test_bad_credentials_are_refused_with_a_message(app, client, password):
    user = make_user()
    response = _login(client, user.email, password)
    assert response.status_code in (401, 422)
    assert client.get("/billing").status_code == 302  # still logged out
    if password:
        assert b"Wrong email or password" in response.data


def test_unknown_email_and_disabled_user_are_refused(app, client):
    user = make_user()
    user.active = False
    db.session.commit()
    assert _login(client, user.email, TEST_PASSWORD).status_code == 401
    assert _login(client, "nobody@example.com", TEST_PASSWORD).status_code == 401


def test_disabled_user_loses_an_open_session(app, client):
    user = make_user()
    log_in(client, user)
    assert client.get("/billing").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/billing").status_code == 302


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}]
)
def test_repeated_failed_logins_are_slowed_down(app, client, app_config):
    limiter.reset()
    user = make_user()
    assert _login(client, user.email, TEST_PASSWORD).status_code == 302  # success is not counted
    client.post("/auth/logout")
    for _ in range(3):
        assert _login(client, user.email, "wrong password").status_code == 401
    throttled = _login(client, user.email, TEST_PASSWORD)
    assert throttled.status_code == 429
    assert b"Too many attempts" in throttled.data
    assert client.get("/auth/login").status_code == 200  # the form itself stays reachable
    limiter.reset()


def test_logout_ends_the_session(admin_client):
    response = admin_client.post("/auth/logout")
    assert response.status_code == 302 and response.location == "/auth/login"
    assert admin_client.get("/billing").status_code == 302


def test_session_cookie_is_httponly_samesite_and_secure_over_https(app):
    user = make_user()
    plain = app.test_client()
    cookie = _login(plain, user.email, TEST_PASSWORD).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = app.test_client()
    response = https.post(
        "/auth/login",
        data={"email": user.email, "password": TEST_PASSWORD},
        base_url="https://billing.example",
    )
    assert response.status_code == 302, response.data
    assert "Secure" in response.headers["Set-Cookie"]


def test_change_password(app, client):
    user = make_user()
    log_in(client, user)
    page = client.get("/auth/password")
    assert b"Change your password" in page.data
    wrong = client.post(
        "/auth/password", data={"current": "nope", "new": "a new password!", "confirm": "x"}
    )
    assert wrong.status_code == 422
    short = client.post(
        "/auth/password", data={"current": TEST_PASSWORD, "new": "short", "confirm": "short"}
    )
    assert short.status_code == 422 and b"at least 10 characters" in short.data
    mismatch = client.post(
        "/auth/password",
        data={"current": TEST_PASSWORD, "new": "a new password!", "confirm": "another one!!"},
    )
    assert mismatch.status_code == 422 and b"The two passwords differ" in mismatch.data
    bad_current = client.post(
        "/auth/password",
        data={"current": "not it at all", "new": "a new password!", "confirm": "a new password!"},
    )
    assert bad_current.status_code == 422 and b"not your current password" in bad_current.data
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(TEST_PASSWORD)  # nothing saved yet
    ok = client.post(
        "/auth/password",
        data={"current": TEST_PASSWORD, "new": "a new password!", "confirm": "a new password!"},
    )
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("a new password!")
