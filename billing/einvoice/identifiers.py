"""The identifiers an e-invoice carries, checked and normalised once for every form: VAT ids
(BT-31/BT-48, with python-stdnum), IBAN and BIC (BT-84/BT-86, with schwifty), electronic
addresses with their scheme (BT-34/BT-49, the EAS code list) and German Leitweg-IDs (BT-10).

Each function takes what a user typed and returns the compact form to store, or raises
:class:`billing.errors.ValidationFailed` naming the business term and what to fill in.
"""

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.de import leitweg
from stdnum.eu import vat
from stdnum.exceptions import ValidationError

from billing.errors import ValidationFailed

# The electronic address schemes (EAS) an MSP's customers use, of the CEF code list:
# (code, what it is). Peppol accepts the whole list; these are the ones offered.
ENDPOINT_SCHEMES = (
    ("0208", "Belgian enterprise number (KBO/BCE)"),
    ("9925", "Belgian VAT number"),
    ("0204", "German Leitweg-ID"),
    ("9930", "German VAT number"),
    ("0088", "GLN (GS1 location number)"),
    ("0009", "French SIRET"),
    ("0002", "French SIRENE"),
    ("9957", "French VAT number"),
    ("0106", "Dutch KvK number"),
    ("9944", "Dutch VAT number"),
    ("0007", "Swedish organisation number"),
    ("0192", "Norwegian organisation number"),
    ("0184", "Danish CVR number"),
    ("0037", "Finnish OVT code"),
    ("0060", "DUNS number"),
    ("EM", "Email address"),
)
SCHEME_CODES = {code for code, _ in ENDPOINT_SCHEMES}


def vat_id(value: str, field: str, term: str) -> str:
    """A VAT id with its ISO country prefix (EL for Greece), compact: ``DE123456788``.

    :raise ValidationFailed: not a valid EU VAT id (its check digits included).
    """
    text = (value or "").strip()
    if not text:
        return ""
    try:
        return vat.validate(text)
    except ValidationError:
        raise ValidationFailed(
            f"{term}: enter a valid EU VAT number with its country prefix, e.g. DE123456788.",
            field,
        ) from None


def iban(value: str, field: str = "iban") -> str:
    """An IBAN, compact (``DE89370400440532013000``).

    :raise ValidationFailed: its country, length or check digits are wrong.
    """
    text = (value or "").strip()
    if not text:
        return ""
    try:
        return IBAN(text).compact
    except SchwiftyException:
        raise ValidationFailed(
            "Payment account identifier (BT-84): enter a valid IBAN, e.g. DE89 3704 0044 0532 "
            "0130 00.",
            field,
        ) from None


def bic(value: str, field: str = "bic") -> str:
    """A BIC of 8 or 11 characters, compact (``COBADEFFXXX``).

    :raise ValidationFailed: not a valid BIC.
    """
    text = (value or "").strip()
    if not text:
        return ""
    try:
        return BIC(text).compact
    except SchwiftyException:
        raise ValidationFailed(
            "Payment service provider identifier (BT-86): enter a valid BIC of 8 or 11 "
            "characters, e.g. COBADEFFXXX.",
            field,
        ) from None


def endpoint(identifier: str, scheme: str, field: str, term: str) -> tuple[str, str]:
    """An electronic address and its scheme, both or neither: ``("0208", "0123456749")``
    as ``(identifier, scheme)``.

    :raise ValidationFailed: one without the other, or an unknown scheme.
    """
    identifier, scheme = (identifier or "").strip(), (scheme or "").strip().upper()
    if not identifier and not scheme:
        return "", ""
    if scheme not in SCHEME_CODES:
        raise ValidationFailed(f"{term}: choose the scheme of the electronic address.", field)
    if not identifier:
        raise ValidationFailed(f"{term}: enter the electronic address itself.", field)
    if len(identifier) > 100 or any(ch.isspace() for ch in identifier):
        raise ValidationFailed(
            f"{term}: an electronic address has no spaces and at most 100 characters.", field
        )
    if scheme == "0204" and not leitweg.is_valid(identifier):
        raise ValidationFailed(f"{term}: {identifier} is not a valid Leitweg-ID.", field)
    return identifier, scheme


def leitweg_id(value: str, field: str = "buyer_reference") -> str:
    """A German Leitweg-ID as written (``04011000-1234512345-06``).

    :raise ValidationFailed: its structure or check digits are wrong.
    """
    text = (value or "").strip()
    if not leitweg.is_valid(text):
        raise ValidationFailed(
            "Buyer reference (BT-10): enter the public body's Leitweg-ID, e.g. "
            "04011000-1234512345-06 (its check digits are checked).",
            field,
        )
    return leitweg.compact(text) if hasattr(leitweg, "compact") else text
