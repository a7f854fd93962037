"""Hardening (issue 13, in part): one strict check of ``next`` everywhere, the same work for a
login with an unknown email, and a private SQLite file."""

import os
import stat

import pytest

from app import create_app
from billing.users import _decoy_hash
from tests.conftest import TEST_PASSWORD

HOSTILE = [
    "/%09/evil.example",  # a tab browsers drop: //evil.example
    "/%5Cevil.example",  # a backslash browsers read as a slash
    "/%5C%5Cevil.example",
    "/%0Aevil",  # a line break in the Location header
    "/%0D%0ASet-Cookie:%20x=1",
    "//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_login_never_follows_a_next_off_this_site(client, admin, target):
    response = client.post(
        f"/auth/login?next={target}",
        data={"email": admin.email, "password": TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/billing"


def test_login_follows_a_local_next(client, admin):
    response = client.post(
        "/auth/login?next=/invoices/new%3Fcustomer_id%3D3",
        data={"email": admin.email, "password": TEST_PASSWORD},
    )
    assert response.headers["Location"] == "/invoices/new?customer_id=3"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\\evil.example", "//evil.example"])
def test_bulk_actions_go_back_only_to_a_local_page(admin_client, target):
    exported = admin_client.post("/invoices/bulk/export", data={"to": "xero", "next": target})
    assert exported.headers["Location"] == "/billing"
    changed = admin_client.post("/billing/bulk/status", data={"status": "sent", "next": target})
    assert changed.headers["Location"] == "/billing"


def test_an_unknown_email_costs_a_password_check_too(client, admin):
    _decoy_hash.cache_clear()
    refused = client.post("/auth/login", data={"email": "nobody@example.com", "password": "x"})
    assert refused.status_code == 401
    assert _decoy_hash.cache_info().currsize == 1  # a real hash was checked, as for an account
    wrong = client.post("/auth/login", data={"email": admin.email, "password": "wrong"})
    assert wrong.status_code == 401
    assert "Wrong email or password" in refused.get_data(as_text=True)


def test_the_sqlite_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "private.db"
    create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "x"})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    os.chmod(path, 0o644)  # an older install: tightened at the next start
    create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "x"})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def _form_login(app, email: str):
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_copied_session_cookie_dies_with_the_log_out(app, admin):
    mine = _form_login(app, admin.email)
    thief = app.test_client()
    thief.set_cookie("session", _cookie(mine))
    assert thief.get("/billing").status_code == 200  # the copy works while the session lives
    mine.post("/auth/logout")
    assert thief.get("/billing").status_code == 302  # and not after the log-out


def test_a_password_change_ends_the_other_sessions_not_this_one(app, admin):
    here, elsewhere = _form_login(app, admin.email), _form_login(app, admin.email)
    changed = here.post(
        "/auth/password",
        data={"current": TEST_PASSWORD, "new": "a much longer new password", "confirm":
              "a much longer new password"},
    )  # fmt: skip
    assert changed.status_code == 302, changed.get_data(as_text=True)[:2000]
    assert here.get("/billing").status_code == 200
    assert elsewhere.get("/billing").status_code == 302


def test_deactivating_a_user_ends_their_sessions(app, admin, technician):
    tech = _form_login(app, technician.email)
    assert tech.get("/tickets").status_code == 200
    from billing.users import update_user
    from models import db

    update_user(technician, name=technician.name, role=technician.role, active=False)
    db.session.commit()
    assert tech.get("/tickets").status_code == 302


def test_a_technician_changes_only_their_own_time_and_expenses(app, admin, technician):
    from datetime import date

    from models import Expense, TimeEntry, db
    from tests.conftest import log_in, make_user
    from tests.factories import make_ticket, make_time_entry

    colleague = make_user(email="colleague@example.com", name="Cora Colleague")
    ticket = make_ticket()
    theirs = make_time_entry(ticket, technician=colleague, minutes=60)
    mine = make_time_entry(ticket, technician=technician, minutes=30)
    expense = Expense(ticket=ticket, user_id=colleague.id, description="Cable", quantity=1,
                      unit_price_minor=500, expense_date=date(2026, 11, 3))  # fmt: skip
    db.session.add(expense)
    db.session.commit()
    tech = log_in(app.test_client(), technician)
    page = tech.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert f"/time/{mine.id}/edit" in page and f"/time/{theirs.id}/edit" not in page
    for path in (f"/tickets/{ticket.id}/time/{theirs.id}/delete",
                 f"/tickets/{ticket.id}/expenses/{expense.id}/delete"):  # fmt: skip
        refused = tech.post(path)
        assert refused.status_code == 403
        assert "Only the technician who recorded this" in refused.get_data(as_text=True)
    edit = tech.post(f"/tickets/{ticket.id}/time/{theirs.id}/edit", data={"duration": "9:00"})
    assert edit.status_code == 403
    db.session.expire_all()
    assert db.session.get(TimeEntry, theirs.id).minutes == 60
    assert db.session.get(Expense, expense.id) is not None
    assert tech.post(f"/tickets/{ticket.id}/time/{mine.id}/delete").status_code in (200, 302)
    admin_client = log_in(app.test_client(), admin)
    assert admin_client.post(f"/tickets/{ticket.id}/time/{theirs.id}/delete").status_code in (
        200,
        302,
    )
