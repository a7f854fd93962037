"""A real SMTP server on loopback (aiosmtpd) for the tests that send email, and what they read
back from it; the ``smtp_server`` and ``instance`` fixtures in ``tests/conftest.py`` use it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SENDER = "Bright IT Billing <billing@bright.example.com>"
SMTP_USER, SMTP_PASSWORD = "billing", "s3cret-pass"


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """The test server's handler: records what it accepts, refuses the addresses in ``refuse``."""

    port: int = 0
    refuse: set[str] = field(default_factory=set)
    received: list = field(default_factory=list)  # (mail_from, rcpt_tos, EmailMessage)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    """Accept only SMTP_USER with SMTP_PASSWORD."""
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # not handled: the server answers 535


@contextmanager
def running_smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server on a free loopback port, with AUTH (plain text, loopback only)."""
    mailbox = Mailbox(port=free_port())
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=mailbox.port,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def mail_config(mailbox: Mailbox, sender: str | None = SENDER, **extra: str) -> dict:
    """The app config sending through ``mailbox``'s server (from ``sender``, unless None)."""
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port, **extra}
    if sender is not None:
        config["MAIL_DEFAULT_SENDER"] = sender
    return config


def attachment(message: EmailMessage) -> tuple[str, bytes]:
    """The message's one attachment, a PDF: ``(file name, bytes)``."""
    (part,) = list(message.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    return part.get_filename(), part.get_content()


# What every send dialog refuses: (fields changed, the field the error is beside, its message).
BAD_SEND_INPUT = [
    ({"recipients": "ap@acme.example.com, not-an-email"}, "recipients", "not-an-email:"),
    ({"recipients": " \n "}, "recipients", "Enter at least one email address."),
    ({"subject": ""}, "subject", "Enter a subject."),
    ({"body": "  "}, "body", "Enter a message."),
]


def refusal_beside(response, field: str) -> str:
    """The markup of the error beside ``field``, up to its closing ``</small>``."""
    page = response.get_data(as_text=True)
    error = page[page.index(f'id="{field}-error"') :]
    return error[: error.index("</small>")]
