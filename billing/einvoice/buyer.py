"""The buyer's e-invoicing details on a customer (BT-10, BT-48, BT-49, BT-55) and what each
format the customer's invoices are emailed in needs of them, and of the seller.

A customer emailed plain PDFs may leave every detail empty; what it fills in is still checked.
A customer emailed an e-invoice (the XML beside the PDF, or Factur-X) needs its country and
address (BG-8) and the seller's VAT number (BT-31) or tax registration (BT-32); Peppol and
XRechnung need its electronic address (BT-49) as well. :func:`xml_format` tells the generator
which XML a customer gets.
"""

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import cache

from babel import Locale
from stdnum.de import leitweg

from billing.einvoice import identifiers
from billing.einvoice.address import split_address
from billing.errors import ValidationFailed

FORMATS = {
    "pdf": "PDF",
    "pdf_xml": "PDF and e-invoice XML",
    "facturx": "Factur-X (PDF with the XML inside)",
}
XML_FORMATS = ("pdf_xml", "facturx")
MAX_BUYER_REFERENCE = 100
# Two-letter codes CLDR knows that ISO 3166-1 does not assign (EN 16931 wants ISO codes,
# BR-CL-14): reserved areas (AC, CP, CQ, DG, EA, IC, TA), groupings (EU, EZ, UN, QO),
# pseudo-locales (XA, XB), Kosovo's user-assigned XK and ZZ (unknown).
NOT_ISO_3166 = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)
BUYER_VAT = "Buyer VAT identifier (BT-48)"
BUYER_ADDRESS = "Buyer electronic address (BT-49)"


@dataclass(frozen=True)
class BuyerDetails:
    """A customer's e-invoicing details as typed, or (from :func:`check_buyer`) as stored."""

    country: str = ""
    vat_id: str = ""
    endpoint_id: str = ""
    endpoint_scheme: str = ""
    buyer_reference: str = ""
    einvoice_format: str = "pdf"
    address: str = ""


@cache
def country_names(locale: str = "en") -> dict[str, str]:
    """ISO 3166-1 alpha-2 codes -> the country's name in ``locale`` (a Babel locale id such
    as ``de_DE``), sorted by that name."""
    names = Locale.parse(locale).territories
    codes = [
        code
        for code in names
        if len(code) == 2 and code.isascii() and code.isalpha() and code not in NOT_ISO_3166
    ]
    return {code: names[code] for code in sorted(codes, key=lambda c: _sort_key(names[c]))}


def _sort_key(name: str) -> str:
    # "Österreich" among the O's, "Åland" among the A's: accents do not move a name to the end.
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def check_country(code: str, *, field: str = "country") -> str:
    """The ISO 3166-1 code, upper case, or "" when none is chosen.

    :raise ValidationFailed: not an ISO 3166-1 alpha-2 country code.
    """
    code = (code or "").strip().upper()
    if code and code not in country_names():
        raise ValidationFailed("Buyer country (BT-55): choose a country from the list.", field)
    return code


def looks_like_leitweg_id(text: str) -> bool:
    """Whether ``text`` is written like a Leitweg-ID (ASCII digits and dashes, at least two
    dashes), whether or not its check digits are right."""
    return bool(re.fullmatch(r"[0-9-]+", text)) and text.count("-") >= 2


def check_buyer_reference(value: str, *, field: str = "buyer_reference") -> str:
    """The buyer reference (BT-10) as stored: a valid Leitweg-ID compact, other text trimmed.

    :raise ValidationFailed: longer than :data:`MAX_BUYER_REFERENCE`, or written like a
        Leitweg-ID but not a valid one.
    """
    text = (value or "").strip()
    if len(text) > MAX_BUYER_REFERENCE:
        raise ValidationFailed(
            f"Buyer reference (BT-10): use at most {MAX_BUYER_REFERENCE} characters.", field
        )
    if leitweg.is_valid(text) or looks_like_leitweg_id(text):
        return identifiers.leitweg_id(text, field)
    return text


def check_format(value: str, *, field: str = "einvoice_format") -> str:
    """:raise ValidationFailed: ``value`` is not one of :data:`FORMATS`."""
    if value not in FORMATS:
        raise ValidationFailed("Choose how invoices are emailed to this customer.", field)
    return value


def xml_format(customer) -> str | None:
    """Which XML ``customer`` (a Customer or :class:`BuyerDetails`) gets with its emailed
    invoices: None for PDF only; "xrechnung" when its buyer reference (BT-10) is a valid
    Leitweg-ID (XRechnung 3.0: UBL beside the PDF, CII inside Factur-X); else "peppol"
    (Peppol BIS Billing 3.0 UBL) beside the PDF, or "cii" (EN 16931 CII) inside Factur-X.
    """
    chosen = getattr(customer, "einvoice_format", "pdf")
    if chosen not in XML_FORMATS:
        return None
    if leitweg.is_valid(getattr(customer, "buyer_reference", "") or ""):
        return "xrechnung"
    return "peppol" if chosen == "pdf_xml" else "cii"


def seller_has_tax_id(settings) -> bool:
    """Whether the seller has a VAT number (BT-31) or a tax registration (BT-32) in Settings."""
    return bool((settings.vat_id or "").strip() or (settings.tax_registration or "").strip())


def buyer_problems(details: BuyerDetails, settings) -> tuple[BuyerDetails, list[ValidationFailed]]:
    """``details`` as they would be stored, and every rule they break, at most one per field.

    ``settings`` is the Settings row (the seller's BT-31/BT-32 are read from it).
    """
    problems: list[ValidationFailed] = []
    stored = {}

    def attempt(name: str, check, *args, **kwargs) -> None:
        try:
            stored[name] = check(*args, **kwargs)
        except ValidationFailed as error:
            problems.append(error)

    attempt("einvoice_format", check_format, details.einvoice_format)
    attempt("country", check_country, details.country)
    attempt("vat_id", identifiers.vat_id, details.vat_id, "vat_id", BUYER_VAT)
    try:
        endpoint = identifiers.endpoint(
            details.endpoint_id, details.endpoint_scheme, "endpoint_id", BUYER_ADDRESS
        )
        stored["endpoint_id"], stored["endpoint_scheme"] = endpoint
    except ValidationFailed as error:
        problems.append(error)
    attempt("buyer_reference", check_buyer_reference, details.buyer_reference)
    stored["address"] = (details.address or "").strip()
    checked = replace(details, **stored)
    if checked.einvoice_format in XML_FORMATS and "einvoice_format" in stored:
        problems.extend(_format_needs(checked, settings, {p.field for p in problems}))
    return checked, problems


def _format_needs(
    checked: BuyerDetails, settings, refused: set[str | None]
) -> list[ValidationFailed]:
    """What an e-invoice format needs and ``checked`` lacks (fields already refused skipped)."""
    needs = []
    if not seller_has_tax_id(settings):
        needs.append(
            ValidationFailed(
                "Seller VAT identifier (BT-31): fill in your VAT number in Admin > Settings "
                "before choosing an e-invoice format.",
                "einvoice_format",
            )
        )
    if not checked.country and "country" not in refused:
        needs.append(
            ValidationFailed(
                "Buyer country (BT-55): choose the customer's country to send it e-invoices.",
                "country",
            )
        )
    if not checked.address:
        needs.append(
            ValidationFailed(
                "Buyer postal address (BG-8): enter the customer's address (street, post code "
                "and city) to send it e-invoices.",
                "address",
            )
        )
    target = xml_format(checked)
    if target == "xrechnung" and checked.address and not _postcode(checked.address):
        needs.append(
            ValidationFailed(
                "Buyer post code (BT-53): XRechnung needs the post code and city on the "
                'address\'s last line, e.g. "10117 Berlin" (BR-DE-8, BR-DE-9).',
                "address",
            )
        )
    if (
        target in ("peppol", "xrechnung")
        and not checked.endpoint_id
        and "endpoint_id" not in refused
    ):
        needs.append(ValidationFailed(_missing_endpoint(target), "endpoint_id"))
    lacking = _xrechnung_lacks(settings) if target == "xrechnung" else ""
    if lacking and not any(n.field == "einvoice_format" for n in needs):
        needs.append(ValidationFailed(lacking, "einvoice_format"))
    return needs


def _xrechnung_lacks(settings) -> str:
    """What XRechnung needs of the seller that Admin > Settings lacks ("" when nothing)."""
    contact = (settings.contact_name, settings.contact_phone, settings.contact_email)
    if not all(value.strip() for value in contact):
        return (
            "Seller contact (BG-6): XRechnung needs your contact's name, phone and email "
            "(BR-DE-2, BR-DE-5 to 7): fill them in Admin > Settings first."
        )
    if not settings.iban:
        return (
            "Payment account identifier (BT-84): XRechnung needs payment instructions "
            "(BR-DE-1): fill in your IBAN in Admin > Settings first."
        )
    if not _postcode(settings.address or ""):
        return (
            "Seller post code (BT-38): XRechnung needs your post code and city on the last "
            'line of your address in Admin > Settings, e.g. "10117 Berlin" (BR-DE-3, BR-DE-4).'
        )
    return ""


def _postcode(address: str) -> str:
    return split_address(address, "").postcode


def _missing_endpoint(target: str) -> str:
    if target == "xrechnung":
        return (
            f"{BUYER_ADDRESS}: enter the public body's electronic address (often its "
            "Leitweg-ID, scheme 0204) and its scheme: XRechnung requires it."
        )
    return (
        f"{BUYER_ADDRESS}: enter the customer's Peppol address and its scheme: Peppol "
        "e-invoices require it (PEPPOL-EN16931-R010)."
    )


def check_buyer(details: BuyerDetails, settings) -> BuyerDetails:
    """``details`` as they are stored (VAT number, address and Leitweg-ID compact).

    :raise ValidationFailed: the first rule of :func:`buyer_problems` they break.
    """
    checked, problems = buyer_problems(details, settings)
    if problems:
        raise problems[0]
    return checked
