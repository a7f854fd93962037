"""The seller's e-invoicing data (EN 16931 BG-4, BG-6, BG-16, BT-20), as Admin > Settings edits
it: each identifier checked and stored compact with :mod:`billing.einvoice.identifiers`, the
contact email as the app checks every address, every value within its column.

Everything is optional here: what a format cannot do without is refused where the format is
chosen, not when the seller fills in what they have.
"""

from dataclasses import dataclass, fields

from billing.einvoice import identifiers
from billing.errors import ValidationFailed
from billing.users import normalize_email
from models import Settings

# Field -> the business term it carries, in the words shown beside it.
TERMS = {
    "legal_name": "Seller legal registration name (BT-27)",
    "vat_id": "Seller VAT identifier (BT-31)",
    "tax_registration": "Seller tax registration identifier (BT-32)",
    "registration_number": "Seller legal registration identifier (BT-30)",
    "endpoint_id": "Seller electronic address (BT-34)",
    "endpoint_scheme": "Seller electronic address (BT-34)",
    "iban": "Payment account identifier (BT-84)",
    "bic": "Payment service provider identifier (BT-86)",
    "payment_terms_text": "Payment terms (BT-20)",
    "contact_name": "Seller contact point (BT-41)",
    "contact_phone": "Seller contact telephone number (BT-42)",
    "contact_email": "Seller contact email address (BT-43)",
}
# Payment terms are a text column; an invoice prints them, so a page's worth is plenty.
MAX_PAYMENT_TERMS_TEXT = 1000


@dataclass(frozen=True)
class SellerDetails:
    """The seller's e-invoicing data as typed; :func:`check_seller` gives the stored form."""

    legal_name: str = ""
    vat_id: str = ""
    tax_registration: str = ""
    registration_number: str = ""
    endpoint_id: str = ""
    endpoint_scheme: str = ""
    iban: str = ""
    bic: str = ""
    payment_terms_text: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""


def max_length(name: str) -> int:
    """The most characters the settings column ``name`` holds (a text column: see above)."""
    length = getattr(Settings.__table__.c[name].type, "length", None)
    return length or MAX_PAYMENT_TERMS_TEXT


def check_length(value: str, *, field: str) -> str:
    """``value`` without surrounding whitespace.

    :raise ValidationFailed: longer than the column ``field`` holds.
    """
    text = (value or "").strip()
    most = max_length(field)
    if len(text) > most:
        raise ValidationFailed(f"{TERMS[field]}: use at most {most} characters.", field)
    return text


def check_endpoint(identifier: str, scheme: str) -> tuple[str, str]:
    """The electronic address and its scheme (BT-34), both or neither, as ``(id, scheme)``.

    :raise ValidationFailed: beside the scheme when an address has none (or an unknown one),
        else beside the address (missing, malformed, a bad Leitweg-ID).
    """
    identifier, scheme = (identifier or "").strip(), (scheme or "").strip()
    no_scheme = identifier and scheme.upper() not in identifiers.SCHEME_CODES
    field = "endpoint_scheme" if no_scheme else "endpoint_id"
    return identifiers.endpoint(identifier, scheme, field, TERMS["endpoint_id"])


def check_vat_id(value: str, *, field: str = "vat_id") -> str:
    """The seller's VAT number (BT-31), compact (``DE123456788``), or "".

    :raise ValidationFailed: not a valid EU VAT number.
    """
    return identifiers.vat_id(value, field, TERMS["vat_id"])


def check_contact_email(value: str, *, field: str = "contact_email") -> str:
    """The contact email (BT-43), normalised as every address the app keeps, or "".

    :raise ValidationFailed: malformed, or longer than the column.
    """
    text = check_length(value, field=field)
    if not text:
        return ""
    try:
        return normalize_email(text, field=field)
    except ValidationFailed as error:
        raise ValidationFailed(f"{TERMS['contact_email']}: {error}", field) from None


def check_contact_phone(value: str, *, field: str = "contact_phone") -> str:
    """The contact telephone number (BT-42) as written, or "".

    :raise ValidationFailed: no digit in it, or longer than the column.
    """
    text = check_length(value, field=field)
    if text and not any(ch in "0123456789" for ch in text):
        raise ValidationFailed(
            f"{TERMS['contact_phone']}: enter a phone number, e.g. +49 30 1234567.", field
        )
    return text


def check_seller(details: SellerDetails) -> SellerDetails:
    """``details`` as stored: trimmed, identifiers compact (VAT number, IBAN, BIC upper-case).
    The identifiers need no length check of their own: a valid one fits its column.

    :raise ValidationFailed: the first value refused, with its field.
    """
    endpoint_id, endpoint_scheme = check_endpoint(details.endpoint_id, details.endpoint_scheme)
    return SellerDetails(
        legal_name=check_length(details.legal_name, field="legal_name"),
        vat_id=check_vat_id(details.vat_id),
        tax_registration=check_length(details.tax_registration, field="tax_registration"),
        registration_number=check_length(details.registration_number, field="registration_number"),
        endpoint_id=endpoint_id,
        endpoint_scheme=endpoint_scheme,
        iban=identifiers.iban(details.iban, "iban"),
        bic=identifiers.bic(details.bic, "bic"),
        payment_terms_text=check_length(details.payment_terms_text, field="payment_terms_text"),
        contact_name=check_length(details.contact_name, field="contact_name"),
        contact_phone=check_contact_phone(details.contact_phone),
        contact_email=check_contact_email(details.contact_email),
    )


def update_seller(settings: Settings, details: SellerDetails) -> SellerDetails:
    """Check ``details`` and store them on the settings row (not committed).

    :raise ValidationFailed: see :func:`check_seller`; nothing is changed then.
    """
    checked = check_seller(details)
    for f in fields(checked):
        setattr(settings, f.name, getattr(checked, f.name))
    return checked


def seller_legal_name(settings: Settings) -> str:
    """The seller's legal name (BT-27): the one given, else the company name."""
    return settings.legal_name or settings.company_name
