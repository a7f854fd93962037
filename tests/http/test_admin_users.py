"""Admin > Users: listing, creating, editing, resetting passwords, and the last-admin rule."""

import html

import pytest
from sqlalchemy import func, select

from models import Role, User, db
from tests.conftest import TEST_PASSWORD, make_user

NEW_PASSWORD = "a brand new password"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_list_shows_every_user_with_role_and_status(admin_client, admin):
    tech = make_user(Role.TECHNICIAN, email="tom@example.com", name="Tom Tech")
    tech.active = False
    db.session.commit()
    page = text(admin_client.get("/admin/users"))
    assert "Ada Admin" in page and "(you)" in page and admin.email in page
    assert "Tom Tech" in page and "tom@example.com" in page and "Technician" in page
    assert "Disabled" in page and 'href="/admin/users/new"' in page


def test_create_user(admin_client):
    page = text(admin_client.get("/admin/users/new"))
    assert "New user" in page and 'name="password"' in page
    response = admin_client.post(
        "/admin/users/new",
        data={
            "email": "Jane@Example.com",
            "name": "Jane",
            "role": "admin",
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302 and response.location == "/admin/users"
    user = db.session.scalar(select(User).where(User.email == "jane@example.com"))
    assert user.name == "Jane" and user.role == Role.ADMIN and user.active
    assert user.check_password(NEW_PASSWORD)
    assert "User jane@example.com created." in text(admin_client.get("/admin/users"))


def test_a_user_created_without_a_name_field_is_named_after_the_email(admin_client):
    data = {"email": "kim@example.com", "role": "technician", "password": NEW_PASSWORD}
    response = admin_client.post("/admin/users/new", data=data)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "kim@example.com"))
    assert user.name == "kim" and user.role == Role.TECHNICIAN


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "An email address must have an @-sign."),
        ({"password": "short"}, "password", "Use at least 10 characters."),
        ({"email": "TAKEN@example.com"}, "email", "A user with this email exists already."),
        ({"role": "owner"}, "role", "Not a valid choice"),
        ({"email": ""}, "email", "This field is required."),
    ],
)
def test_invalid_new_user_is_refused_and_nothing_saved(admin_client, data, field, message):
    make_user(Role.TECHNICIAN, email="taken@example.com")
    before = users()
    form = {"email": "new@example.com", "name": "", "role": "technician", "password": NEW_PASSWORD}
    response = admin_client.post("/admin/users/new", data={**form, **data})
    assert response.status_code == 422
    page = text(response)
    assert message in page and f'class="field has-error" id="field-{field}"' in page
    assert users() == before


def test_edit_name_role_and_active(admin_client):
    tech = make_user(Role.TECHNICIAN, name="Tom")
    page = text(admin_client.get(f"/admin/users/{tech.id}"))
    assert tech.email in page and 'value="Tom"' in page and "Reset password" in page
    response = admin_client.post(
        f"/admin/users/{tech.id}", data={"name": "Thomas", "role": "admin", "active": "y"}
    )
    assert response.status_code == 302 and response.location == "/admin/users"
    tech = fresh(tech)
    assert tech.name == "Thomas" and tech.role == Role.ADMIN and tech.active
    admin_client.post(f"/admin/users/{tech.id}", data={"name": "Thomas", "role": "technician"})
    tech = fresh(tech)
    assert tech.role == Role.TECHNICIAN and tech.active is False


def test_edit_refuses_an_empty_name(admin_client):
    tech = make_user(Role.TECHNICIAN, name="Tom")
    response = admin_client.post(f"/admin/users/{tech.id}", data={"name": " ", "role": "admin"})
    assert response.status_code == 422 and "This field is required." in text(response)
    assert fresh(tech).role == Role.TECHNICIAN


@pytest.mark.parametrize(
    "change",
    [{"role": "technician", "active": "y"}, {"role": "admin"}, {"role": "technician"}],
    ids=["demote", "deactivate", "both"],
)
def test_last_active_admin_cannot_stop_being_one(admin_client, admin, change):
    make_user(Role.TECHNICIAN)
    other = make_user(Role.ADMIN)
    other.active = False  # an inactive admin does not count
    db.session.commit()
    response = admin_client.post(f"/admin/users/{admin.id}", data={"name": "Renamed", **change})
    assert response.status_code == 409
    page = text(response)
    assert "This is the last active admin" in page
    assert 'class="field has-error" id="field-role"' in page
    admin = fresh(admin)
    assert admin.role == Role.ADMIN and admin.active and admin.name == "Ada Admin"


def test_an_admin_may_step_down_when_another_remains(admin_client, admin):
    make_user(Role.ADMIN, name="Second Admin")
    response = admin_client.post(
        f"/admin/users/{admin.id}", data={"name": admin.name, "role": "technician", "active": "y"}
    )
    assert response.status_code == 302 and response.location == "/"  # admin pages are gone
    assert fresh(admin).role == Role.TECHNICIAN
    assert admin_client.get("/admin/users").status_code == 403


def test_reset_password(admin_client):
    tech = make_user(Role.TECHNICIAN)
    short = admin_client.post(
        f"/admin/users/{tech.id}/password",
        data={"reset-password": "short", "reset-confirm": "short"},
    )
    assert short.status_code == 422
    assert 'class="field has-error" id="field-reset-password"' in text(short)
    assert "Use at least 10 characters." in text(short)
    mismatch = admin_client.post(
        f"/admin/users/{tech.id}/password",
        data={"reset-password": NEW_PASSWORD, "reset-confirm": "something else"},
    )
    assert mismatch.status_code == 422 and "The two passwords differ." in text(mismatch)
    assert fresh(tech).check_password(TEST_PASSWORD)
    ok = admin_client.post(
        f"/admin/users/{tech.id}/password",
        data={"reset-password": NEW_PASSWORD, "reset-confirm": NEW_PASSWORD},
    )
    assert ok.status_code == 302 and ok.location == f"/admin/users/{tech.id}"
    assert fresh(tech).check_password(NEW_PASSWORD)
    assert f"Password changed for {tech.email}." in text(admin_client.get(ok.location))


def test_missing_user_is_404(admin_client):
    assert admin_client.get("/admin/users/999").status_code == 404


def test_technicians_get_403_on_users(tech_client, technician):
    assert tech_client.get("/admin/users").status_code == 403
    response = tech_client.post(
        f"/admin/users/{technician.id}", data={"name": "Boss", "role": "admin", "active": "y"}
    )
    assert response.status_code == 403
    assert fresh(technician).role == Role.TECHNICIAN
