"""Every page needs a login; CSRF guards every state change; admin pages are for admins."""

import re

import pytest
from flask import Flask

from tests.conftest import TEST_PASSWORD, log_in, make_user

# The ledgers' webhooks answer without a login: their signatures guard them (test_webhooks.py).
PUBLIC = {"auth.login", "static", "webhooks.quickbooks", "webhooks.xero"}


def _sample_url(app: Flask, rule) -> str:
    values = {arg: 1 for arg in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def test_every_route_but_login_requires_a_login(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        url = _sample_url(app, rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.location.startswith("/auth/login"), (method, url)
            hx = client.open(url, method=method, headers={"HX-Request": "true"})
            assert hx.status_code == 401, (method, url)
            assert hx.headers["HX-Redirect"].startswith("/auth/login"), (method, url)
            checked += 1
    assert checked >= 8


def test_login_page_is_public_and_shows_the_form(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert b'name="email"' in response.data and b'name="password"' in response.data


def test_redirect_keeps_where_the_user_was_going(client):
    response = client.get("/customers?page=2")
    assert response.location == "/auth/login?next=/customers?page%3D2"


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_post_without_csrf_token_is_refused(app, client, app_config):
    user = make_user()
    response = client.post("/auth/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert b"Reload the page" in response.data
    log_in(client, user)
    response = client.post("/auth/logout")
    assert response.status_code == 400
    hx = client.post("/auth/logout", headers={"HX-Request": "true"})
    assert hx.status_code == 400
    assert hx.headers["HX-Retarget"] == "#flash"
    assert b"<html" not in hx.data  # a fragment, never a whole page


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_post_with_csrf_token_in_form_or_htmx_header_passes(app, client, app_config):
    user = make_user()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/auth/login", data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    home = client.get("/billing").get_data(as_text=True)
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', home).group(1)
    response = client.post("/auth/logout", headers={"X-CSRFToken": header_token})
    assert response.status_code == 302
    assert client.get("/billing").status_code == 302  # logged out


def test_technician_gets_403_on_admin_pages(app, tech_client):
    admin_rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")]
    assert admin_rules
    for rule in admin_rules:
        url = _sample_url(app, rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = tech_client.open(url, method=method)
            assert response.status_code == 403, (method, url)
            assert b"Not allowed" in response.data


def test_htmx_403_is_a_fragment_aimed_at_flash(tech_client):
    response = tech_client.get("/admin/", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#flash"
    assert b"<html" not in response.data


def test_unknown_page_is_404_with_a_page(admin_client):
    response = admin_client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Not found" in response.data and b"<html" in response.data
