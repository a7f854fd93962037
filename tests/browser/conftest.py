"""A live server on a free loopback port and a real Chromium (Debian's) driven by Playwright.

Without Chromium the browser tests are skipped on a developer's machine, and fail under
``MSP_TEST_STRICT=1`` (CI), so they can never silently not run there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from app import create_app
from demo.build import seed_demo
from models import Role, db
from tests.conftest import STRICT
from tests.factories import TEST_PASSWORD, make_user
from tests.serving import LoopbackServer

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The Chromium binary: ``CHROMIUM_PATH``, else Debian's ``chromium`` on the PATH."""
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, xero):
    """An app on its own SQLite file (threads share a file, not an in-memory database), with
    Xero pointed at the Xero fake."""
    path = tmp_path_factory.mktemp("live") / "live.db"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "RATELIMIT_ENABLED": False,
            **xero.env(),
        }
    )
    with app.app_context():
        db.create_all()
        admin = make_user(Role.ADMIN, email="admin@example.com", name="Ada Admin")
        make_user(Role.TECHNICIAN, email="tech@example.com", name="Tom Tech")
        seed_demo()  # a believable MSP's last three months, as `make run` shows it
        db.session.commit()
        app.config["BROWSER_USERS"] = {"admin": admin.email, "technician": "tech@example.com"}
    return app


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[LoopbackServer]:
    """The live app on a free loopback port, its access log in the captured output."""
    with LoopbackServer(live_app, quiet=False) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium."""
    path = chromium_path()
    if not path:
        message = "Chromium not found (apt-get install chromium, or set CHROMIUM_PATH)"
        if STRICT:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def login(page):
    """Log in through the real form: ``login("admin")``."""

    def _login(email: str = "admin@example.com", password: str = TEST_PASSWORD):
        if "/auth/login" not in page.url:
            page.goto("/auth/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()

    return _login
