"""The company settings row, what derives from it, and the rules for changing it."""

import re
import warnings
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from string import Formatter

from babel import Locale
from babel.numbers import get_territory_currencies
from PIL import Image
from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import defer

from billing.errors import ValidationFailed
from billing.locales import currency_for_country, locale_for_country
from billing.wording import noun
from models import Invoice, Settings, db

DEFAULT_EMAIL_SUBJECT = "Invoice {number} from {company}"
DEFAULT_EMAIL_BODY = (
    "Hello {customer},\n\nPlease find attached invoice {number} for {total}, "
    "due on {due_date}.\n\nThank you for your business,\n{company}"
)
# The default body once something was paid: the balance is what the customer acts on.
DEFAULT_EMAIL_BODY_PAID = (
    "Hello {customer},\n\nPlease find attached invoice {number} for {total}, "
    "due on {due_date}. Paid so far: {paid}. Balance due: {balance}.\n\n"
    "Thank you for your business,\n{company}"
)
PLACEHOLDERS = ("number", "customer", "total", "due_date", "company", "paid", "balance")
MAX_LOGO_BYTES = 1024 * 1024
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
MAX_PAYMENT_TERMS = 365
PREFIX_PATTERN = re.compile(r"[A-Za-z0-9/_-]{0,20}")


@dataclass(frozen=True)
class SettingsChange:
    """Everything the Settings form edits, except the logo (see :func:`set_logo`)."""

    company_name: str
    address: str
    country: str
    currency_override: str | None
    tax_id: str
    payment_terms_days: int
    bank_details: str
    invoice_prefix: str
    next_invoice_number: int
    email_subject: str
    email_body: str
    invoice_footer: str


def get_settings() -> Settings:
    """The settings row, created with defaults the first time it is asked for."""
    # The logo (up to 1 MB) is read only by what shows it, not on every page.
    settings = db.session.get(Settings, 1, options=[defer(Settings.logo)])
    if settings is None:
        # Two first requests at once: the row is inserted once, the other insert does nothing
        # (rather than failing on the primary key), and both read the one row.
        dialect = db.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        db.session.execute(
            insert(Settings)
            .values(id=1, company_name="", email_subject=DEFAULT_EMAIL_SUBJECT,
                    email_body=DEFAULT_EMAIL_BODY)
            .on_conflict_do_nothing(index_elements=["id"])
        )  # fmt: skip
        settings = db.session.get(Settings, 1, options=[defer(Settings.logo)])
    return settings


def default_currency(settings: Settings) -> str:
    """The billing currency: the admin's override, else the country's currency."""
    return settings.currency_override or currency_for_country(settings.country)


def company_locale(settings: Settings) -> Locale:
    """The locale numbers and dates are formatted in."""
    return locale_for_country(settings.country)


@cache
def countries() -> dict[str, str]:
    """Two-letter territory codes with a currency in use -> English name, sorted by name."""
    names = Locale("en").territories
    codes = [
        code
        for code in names
        if len(code) == 2 and code.isalpha() and get_territory_currencies(code, tender=True)
    ]
    return {code: names[code] for code in sorted(codes, key=lambda c: names[c])}


@cache
def currencies() -> dict[str, str]:
    """ISO 4217 codes some territory uses today -> English name, sorted by code.

    Historic codes Babel also knows (DEM, XEU, HRK) and funds or metals (XAU) are left out.
    """
    names = Locale("en").currencies
    current = {
        code
        for territory in Locale("en").territories
        for code in get_territory_currencies(territory, tender=True)
    }
    return {code: names[code] for code in sorted(current) if code in names}


def currency_choices(kept: str | None = None) -> dict[str, str]:
    """What a currency list offers: :func:`currencies`, plus ``kept`` (the code a record holds
    already) even when it is no longer current, so that saving the record again keeps it."""
    listed = currencies()
    if kept and kept not in listed:
        return {kept: Locale("en").currencies.get(kept, kept), **listed}
    return listed


def check_country(code: str, *, field: str = "country") -> None:
    """:raise ValidationFailed: ``code`` is not a territory from :func:`countries`."""
    if code not in countries():
        raise ValidationFailed("Choose a country from the list.", field)


def check_currency(
    code: str | None, *, field: str = "currency_override", kept: str | None = None
) -> None:
    """:raise ValidationFailed: ``code`` is neither empty, nor a current ISO 4217 currency,
    nor ``kept`` (the code the record holds already)."""
    if code and code != kept and code not in currencies():
        raise ValidationFailed("Choose a currency from the list.", field)


def check_payment_terms(days: int, *, field: str = "payment_terms_days") -> None:
    """:raise ValidationFailed: not between 0 and 365 days."""
    if not 0 <= days <= MAX_PAYMENT_TERMS:
        raise ValidationFailed(f"Enter 0 to {MAX_PAYMENT_TERMS} days.", field)


def check_prefix(prefix: str, *, field: str = "invoice_prefix") -> None:
    """:raise ValidationFailed: other characters than letters, digits, - / _, or over 20."""
    if not PREFIX_PATTERN.fullmatch(prefix):
        raise ValidationFailed(
            'Use at most 20 letters, digits, "-", "/" or "_" (no spaces).', field
        )


def check_template(text: str, *, field: str, known: tuple[str, ...] = PLACEHOLDERS) -> None:
    """Check an email template: only the ``known`` ``{placeholders}``, and balanced braces.

    :raise ValidationFailed: malformed braces, or placeholders that are not known (named).
    """
    try:
        parts = list(Formatter().parse(text))
    except ValueError:
        raise ValidationFailed(
            'A "{" or "}" is not matched. Write {{ or }} for a brace of its own.', field
        ) from None
    unknown = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        # Formats, conversions and attribute look-ups ({total.__class__}) are refused too.
        if name not in known or spec or conversion:
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            unknown.append("{" + shown + "}")
    if unknown:
        listed = ", ".join("{" + p + "}" for p in known)
        named = list(dict.fromkeys(unknown))
        raise ValidationFailed(
            f"Unknown {noun(len(named), 'placeholder')} {', '.join(named)}. Use only {listed}.",
            field,
        )


def check_next_number(
    settings: Settings, number: int, *, field: str = "next_invoice_number"
) -> None:
    """Numbers are never reused: once an invoice exists, the counter only moves up.

    :raise ValidationFailed: below 1, or below the current value while invoices exist.
    """
    if number < 1:
        raise ValidationFailed("Enter 1 or more.", field)
    if number < settings.next_invoice_number and db.session.scalar(select(exists(Invoice.id))):
        raise ValidationFailed(
            f"Invoices exist already, so the next number cannot go below "
            f"{settings.next_invoice_number}: numbers are never reused.",
            field,
        )


def update_settings(change: SettingsChange) -> Settings:
    """Check ``change`` and apply it to the settings row (not committed).

    The row is locked first, so that an invoice numbered meanwhile cannot slip under the
    new next number.

    :raise ValidationFailed: the first rule ``change`` breaks, with its field.
    """
    get_settings()
    settings = db.session.get(Settings, 1, with_for_update=True, populate_existing=True)
    check_country(change.country)
    check_currency(change.currency_override, kept=settings.currency_override)
    check_payment_terms(change.payment_terms_days)
    check_prefix(change.invoice_prefix)
    check_next_number(settings, change.next_invoice_number)
    check_template(change.email_subject, field="email_subject")
    check_template(change.email_body, field="email_body")
    for name, value in vars(change).items():
        setattr(settings, name, value)
    settings.currency_override = change.currency_override or None
    db.session.flush()
    return settings


def read_logo(data: bytes, *, field: str = "logo") -> str:
    """The MIME type of an uploaded logo, judged by opening it (never by its file name).

    :raise ValidationFailed: over 1 MB, not an image, or not PNG, JPEG, GIF or WebP.
    """
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationFailed("The logo may be at most 1 MB.", field)
    refused = ValidationFailed("Upload a PNG, JPEG, GIF or WebP image.", field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=list(LOGO_FORMATS)) as image:
                kind = image.format
                image.verify()
    except Exception:
        # Pillow raises many kinds of error (OSError, SyntaxError, EOFError, struct.error,
        # DecompressionBomb...) for hostile or corrupt files: each one means "refused".
        raise refused from None
    if kind not in LOGO_FORMATS:
        raise refused
    return LOGO_FORMATS[kind]


def set_logo(settings: Settings, data: bytes) -> None:
    """Store ``data`` as the company logo (not committed).

    :raise ValidationFailed: see :func:`read_logo`.
    """
    settings.logo_mimetype = read_logo(data)
    settings.logo = data


def remove_logo(settings: Settings) -> None:
    """Forget the company logo (not committed)."""
    settings.logo = None
    settings.logo_mimetype = None
