"""The command-line commands, run through Flask's CLI runner; what they make logs in for real."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import Customer, Role, TaxRate, Ticket, User, db
from tests.conftest import TEST_PASSWORD, make_user

PASSWORD = "a long enough password"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _login(client, email: str, password: str):
    """Log in through the real form."""
    return client.post("/auth/login", data={"email": email, "password": password})


def _create(runner, *args: str):
    return runner.invoke(args=["users", "create", *args])


@pytest.mark.parametrize("role", [Role.ADMIN, Role.TECHNICIAN])
def test_users_create_makes_a_user_who_can_log_in(app, runner, client, role):
    result = _create(
        runner, "--email", "New.Person@Example.com", "--password", PASSWORD, "--role", role.value
    )
    assert result.exit_code == 0, result.output
    assert f"Created {role.value} new.person@example.com." in result.output
    user = db.session.scalar(select(User))
    assert (user.email, user.role, user.name) == ("new.person@example.com", role, "new.person")
    response = _login(client, "new.person@example.com", PASSWORD)
    assert response.status_code == 302 and response.location == "/billing"


def test_users_create_defaults_to_technician_with_a_name(app, runner):
    result = _create(
        runner, "--email", "tech@example.com", "--password", PASSWORD, "--name", "Tess"
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert (user.role, user.name) == (Role.TECHNICIAN, "Tess")


def test_users_create_can_let_a_technician_see_billing(app, runner, client):
    result = _create(
        runner, "--email", "tess@example.com", "--password", PASSWORD, "--sees-billing"
    )
    assert result.exit_code == 0, result.output
    assert "Created technician tess@example.com who sees billing." in result.output
    assert _create(runner, "--email", "tom@example.com", "--password", PASSWORD).exit_code == 0
    tess, tom = db.session.scalars(select(User).order_by(User.email)).all()
    assert (tess.can_see_billing, tom.can_see_billing) == (True, False)

    _login(client, "tess@example.com", PASSWORD)
    page = client.get("/billing")
    assert page.status_code == 200 and "<h1>Billing</h1>" in page.text
    client.post("/auth/logout")
    _login(client, "tom@example.com", PASSWORD)
    assert client.get("/billing").status_code == 403


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", PASSWORD, "--email"),
        ("someone@", PASSWORD, "--email"),
        ("someone@example.com", "too short", "Use at least 10 characters."),
    ],
)
def test_users_create_refuses_bad_input(app, runner, email, password, message):
    result = _create(runner, "--email", email, "--password", password)
    assert result.exit_code != 0
    assert "Invalid value" in result.output and message in result.output
    assert _count(User) == 0


def test_users_create_refuses_a_taken_email(app, runner):
    make_user(Role.TECHNICIAN, email="taken@example.com")
    result = _create(runner, "--email", "Taken@Example.com", "--password", PASSWORD)
    assert result.exit_code != 0
    assert "A user with this email exists already." in result.output
    assert _count(User) == 1


def test_users_set_password(app, runner, client):
    user = make_user(Role.ADMIN, email="forgot@example.com")
    short = runner.invoke(args=["users", "set-password", "--email", user.email, "--password", "x"])
    assert short.exit_code != 0 and "Use at least 10 characters." in short.output
    unknown = runner.invoke(
        args=["users", "set-password", "--email", "nobody@example.com", "--password", PASSWORD]
    )
    assert unknown.exit_code != 0 and "No user has this email." in unknown.output
    result = runner.invoke(
        args=["users", "set-password", "--email", "FORGOT@example.com", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    assert "Password changed for forgot@example.com." in result.output
    assert _login(client, user.email, TEST_PASSWORD).status_code == 401
    response = _login(client, user.email, PASSWORD)
    assert response.status_code == 302 and response.location == "/billing"


def test_seed_demo_fills_an_empty_database_once(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"Demo data: 12 customers, \d+ contracts, \d+ tickets, \d+ time entries, \d+ expenses\.\n"
        r"Billed: \d+ invoices, \d+ payments, 1 credit note\.",
        result.output.strip(),
    )
    db.session.expire_all()
    tickets = _count(Ticket)
    assert _count(Customer) == 12 and tickets > 0
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0 and "needs an empty database" in again.output
    assert _count(Customer) == 12 and _count(Ticket) == tickets


def test_seed_demo_refuses_a_database_with_only_a_catalog(app, runner):
    db.session.add(TaxRate(name="Sales tax 8.25%", percent=Decimal("8.25"), is_default=True))
    db.session.commit()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "tax_rates" in result.output
    assert _count(Customer) == 0


def test_bootstrap_creates_an_admin_who_can_log_in_then_does_nothing(app, runner, client):
    result = runner.invoke(args=["bootstrap"])
    assert result.exit_code == 0, result.output
    assert "Demo data: 12 customers" in result.output
    email = re.search(r"^\s*Email:\s+(\S+)$", result.output, re.MULTILINE).group(1)
    password = re.search(r"^\s*Password:\s+(\S+)$", result.output, re.MULTILINE).group(1)
    response = _login(client, email, password)
    assert response.status_code == 302 and response.location == "/billing"
    admin = db.session.scalar(select(User).where(User.email == email))
    assert admin.role == Role.ADMIN
    users, customers = _count(User), _count(Customer)

    again = runner.invoke(args=["bootstrap"])
    assert again.exit_code == 0, again.output
    assert "nothing to set up" in again.output
    assert "Password:" not in again.output
    assert (_count(User), _count(Customer)) == (users, customers)
