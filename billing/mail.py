"""Email out: a message with attachments, delivered over SMTP or, without ``MAIL_SERVER`` (the
embedded default), written as an ``.eml`` file to ``<instance>/outbox/``.

Shared by invoices, credit notes, statements and reminders; each records its own outcome.
"""

import smtplib
import ssl
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from flask import current_app

from billing.errors import BillingError
from billing.users import check_addresses
from clock import utcnow

MAX_RECIPIENTS = 20
SMTP_TIMEOUT = 15  # seconds, per connection attempt and per reply
OUTBOX = "outbox"


class SendFailed(BillingError):
    """The mail server (or the outbox folder) refused the message; nothing was sent."""

    status_code = 502


@dataclass(frozen=True)
class SendResult:
    """A delivered invoice: to whom, and what to tell the user (the outbox file, if any)."""

    recipients: tuple[str, ...]
    message: str
    outbox_file: Path | None = None


def check_recipients(addresses: Iterable[str], *, field: str = "recipients") -> list[str]:
    """Each address validated and normalised, duplicates dropped, order kept.

    :raise ValidationFailed: a malformed address (named), none at all, or more than 20.
    """
    return check_addresses(
        addresses,
        most=MAX_RECIPIENTS,
        none="Enter at least one email address.",
        too_many=f"Send to at most {MAX_RECIPIENTS} addresses at once.",
        field=field,
    )


def compose(
    recipients: Iterable[str], subject: str, body: str, attachments: Iterable[tuple[bytes, str]]
) -> EmailMessage:
    """The email: from ``MAIL_DEFAULT_SENDER`` to ``recipients``, each attachment a PDF or,
    named ``*.xml``, an e-invoice's XML (its bytes and file name)."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=domain)  # a domain: no slow getfqdn() look-up
    # Quoted-printable keeps a non-ASCII body 7-bit, for servers without 8BITMIME.
    message.set_content(body, cte=None if body.isascii() else "quoted-printable")
    for content, filename in attachments:
        subtype = "xml" if filename.endswith(".xml") else "pdf"
        message.add_attachment(content, maintype="application", subtype=subtype, filename=filename)
    return message


def deliver(message: EmailMessage, recipients: list[str], stem: str) -> SendResult:
    """Hand ``message`` to the mail server, or write it to the outbox as ``<stem>-<time>.eml``.

    :raise SendFailed: the server or the outbox refused it, in the server's own words.
    """
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        path = _write_outbox(stem, message)
        relative = f"{OUTBOX}/{path.name}"
        return SendResult(
            tuple(recipients),
            f"No mail server is configured (MAIL_SERVER), so the email to "
            f"{', '.join(recipients)} was written to {relative} in the instance folder.",
            path,
        )
    try:
        _send_smtp(message, recipients, config)
    except (smtplib.SMTPException, OSError) as error:
        raise SendFailed(describe_smtp_error(error, config)) from error
    return SendResult(tuple(recipients), f"Sent to {', '.join(recipients)}.")


def _write_outbox(name: str, message: EmailMessage) -> Path:
    folder = Path(current_app.instance_path) / OUTBOX
    stem = f"{name}-{utcnow():%Y%m%dT%H%M%SZ}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, 100):
            path = folder / (f"{stem}.eml" if attempt == 1 else f"{stem}-{attempt}.eml")
            try:
                out = path.open("xb")  # "x": a second send in the same second never overwrites
            except FileExistsError:
                continue
            with out:
                out.write(bytes(message))
            return path
    except OSError as error:
        raise SendFailed(f"The outbox folder {folder} cannot be written: {error}") from error
    raise SendFailed(f"Too many messages for {stem} in {folder} this second.")


def _send_smtp(message: EmailMessage, recipients: list[str], config: Mapping[str, Any]) -> None:
    sender = parseaddr(config["MAIL_DEFAULT_SENDER"])[1]
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT)
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        _transmit(smtp, message, sender, recipients)
    finally:
        # Once the message is accepted, a QUIT that goes wrong must not turn it into a failure.
        with suppress(smtplib.SMTPException, OSError):
            smtp.quit()
        smtp.close()


def _transmit(
    smtp: smtplib.SMTP, message: EmailMessage, sender: str, recipients: list[str]
) -> None:
    # All or nothing: every recipient is checked before the message is handed over, so that
    # one refused address does not leave the others sent while the invoice says it failed.
    smtp.ehlo_or_helo_if_needed()
    international = not all(address.isascii() for address in (sender, *recipients))
    options: list[str] = []
    if international:
        if not smtp.has_extn("smtputf8"):
            raise smtplib.SMTPNotSupportedError(
                "The mail server does not accept addresses with non-ASCII characters (SMTPUTF8)."
            )
        options = ["SMTPUTF8", "BODY=8BITMIME"]
    code, reply = smtp.mail(sender, options)
    if code != 250:
        _reset(smtp)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused = {}
    for address in recipients:
        code, reply = smtp.rcpt(address)
        if code not in (250, 251):
            refused[address] = (code, reply)
    if refused:
        _reset(smtp)
        raise smtplib.SMTPRecipientsRefused(refused)
    policy = message.policy.clone(linesep="\r\n", utf8=international)
    smtp.data(message.as_bytes(policy=policy))  # raises SMTPDataError unless accepted


def _reset(smtp: smtplib.SMTP) -> None:
    with suppress(smtplib.SMTPServerDisconnected):
        smtp.rset()


def describe_smtp_error(error: Exception, config: Mapping[str, Any]) -> str:
    """What went wrong, in the server's own words where it gave any."""
    server = f"{config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{address}: {_reply(code, text)}" for address, (code, text) in error.recipients.items()
        )
        return f"The mail server refused {refused}"
    if isinstance(error, smtplib.SMTPSenderRefused):
        reply = _reply(error.smtp_code, error.smtp_error)
        return f"The mail server refused the sender {error.sender}: {reply}"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"The mail server refused the login: {_reply(error.smtp_code, error.smtp_error)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"The mail server answered {_reply(error.smtp_code, error.smtp_error)}"
    if _timed_out(error):
        return f"The mail server {server} did not answer within {SMTP_TIMEOUT} seconds."
    if isinstance(error, smtplib.SMTPException):
        return f"The mail server {server} failed: {error}"
    return f"Could not reach the mail server {server}: {error}"


def _timed_out(error: BaseException | None) -> bool:
    # smtplib turns a timeout while reading a reply into SMTPServerDisconnected.
    while error is not None:
        if isinstance(error, TimeoutError):
            return True
        error = error.__cause__ or error.__context__
    return False


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {text}"
