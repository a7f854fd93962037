"""Security headers (issue 13, item 12): CSP, frame and referrer policies on every page, no
inline script or handler for the CSP to refuse, and Retry-After on the login limiter's 429."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest

from demo.build import seed_demo
from extensions import limiter
from models import db
from tests.conftest import TEST_PASSWORD, log_in
from tests.factories import make_invoice, make_line

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def csp(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as directive -> sources."""
    policy = response.headers["Content-Security-Policy"]
    directives = (part.split() for part in policy.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def assert_secured(response) -> None:
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"][0] == "'self'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_page_the_login_page_and_a_404_carry_the_headers(client, admin):
    login = client.get("/auth/login")
    assert login.status_code == 200 and b"Log in" in login.data
    assert_secured(login)
    log_in(client, admin)
    billing = client.get("/billing")
    assert billing.status_code == 200 and b"Billing" in billing.data
    assert_secured(billing)
    missing = client.get("/invoices/999999")
    assert missing.status_code == 404
    assert_secured(missing)
    assert_secured(client.get("/no/such/page"))


def test_plain_http_is_served_as_is_and_hsts_only_over_https(client):
    plain = client.get("/auth/login")
    assert plain.status_code == 200  # no redirect to https: LANs and TLS proxies run plain http
    assert "Strict-Transport-Security" not in plain.headers
    secure = client.get("/auth/login", base_url="https://billing.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_form_action_allows_the_ledgers_sign_in_pages_only(client):
    # Connect posts to us and we redirect to the ledger: browsers check form-action there too.
    sources = csp(client.get("/auth/login"))["form-action"]
    assert sources == ["'self'", "https://appcenter.intuit.com", "https://login.xero.com"]


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True}])
def test_the_sixth_failed_login_says_when_to_retry(app, client, admin, app_config):
    limiter.reset()
    try:
        for _ in range(5):  # LOGIN_RATE_LIMIT: 5 per minute
            wrong = client.post("/auth/login", data={"email": admin.email, "password": "nope"})
            assert wrong.status_code == 401
        sixth = client.post("/auth/login", data={"email": admin.email, "password": TEST_PASSWORD})
        assert sixth.status_code == 429
        assert b"Too many attempts" in sixth.data
        assert 1 <= int(sixth.headers["Retry-After"]) <= 60
        assert_secured(sixth)
    finally:
        limiter.reset()


class Scan(HTMLParser):
    """Collects what the CSP would refuse, and the page's links."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []
        self.links: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script":
            self._in_script = True
            if "src" not in names:
                self.refused.append("<script> without src")
        if tag == "style":
            self.refused.append("<style>")
        for name, value in attrs:
            if name.startswith("on"):
                self.refused.append(f"<{tag} {name}=>")
            if name == "style":
                self.refused.append(f"<{tag} style=>")
            if name in ("href", "hx-get", "src") and value and "javascript:" in value.lower():
                self.refused.append(f"<{tag} {name}={value}>")
            if name == "href" and tag == "a" and value:
                self.links.append(value)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.refused.append("inline script body")


def test_no_template_has_an_inline_script_handler_or_style():
    """Every browser template (the PDF's is read by xhtml2pdf, not a browser)."""
    handler = re.compile(r"<[^>]*\s(on[a-z]+|style)\s*=", re.IGNORECASE)
    inline_script = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        if path.name == "pdf.html":
            continue
        text = path.read_text()
        for pattern in (handler, inline_script):
            offenders += [
                f"{path.relative_to(TEMPLATES)}: {m.group(0)}" for m in pattern.finditer(text)
            ]
    assert offenders == []


def test_no_page_renders_what_the_csp_refuses(app, admin_client):
    """Follow every link from the Billing page (demo data, a Draft with a line), as an admin."""
    seed_demo()
    invoice = make_invoice(lines=[make_line("Setup", 10000)])
    db.session.commit()
    queue, seen, refused = ["/billing", f"/invoices/{invoice.id}", "/batches/new"], set(), {}
    shapes: dict[str, int] = {}  # /tickets/N: two of each kind of page are enough
    while queue and len(seen) < 150:
        url = queue.pop(0)
        shape = re.sub(r"\d+", "N", url)
        if url in seen or shapes.get(shape, 0) >= 2:
            continue
        seen.add(url)
        shapes[shape] = shapes.get(shape, 0) + 1
        response = admin_client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        assert_secured(response)
        scan = Scan()
        scan.feed(response.get_data(as_text=True))
        if scan.refused:
            refused[url] = scan.refused
        for link in scan.links:
            target = urldefrag(link)[0]
            if not urlsplit(target).netloc and target.startswith("/"):
                queue.append(target)
    reached = {re.sub(r"\d+", "N", url) for url in seen}
    expected = {
        "/billing",
        "/batches",
        "/batches/new",
        "/batches/new?start=N-N-N&end=N-N-N",
        "/customers",
        "/customers/N",
        "/contracts",
        "/contracts/N",
        "/tickets",
        "/tickets/N",
        "/invoices/N",
        "/invoices/N/send",
        "/invoices/N/lines/N/edit",
        "/admin/",
        "/admin/users",
        "/admin/users/N",
        "/admin/rates",
        "/admin/taxes",
        "/admin/products",
        "/admin/settings",
        "/admin/accounting",
        "/auth/password",
    }
    assert expected <= reached, sorted(expected - reached)
    assert refused == {}
