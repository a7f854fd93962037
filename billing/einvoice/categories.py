"""VAT categories of a tax rate (BT-118, the UNCL 5305 subset an MSP uses) and their
exemption reason (BT-120) and VATEX code (BT-121), with the EN 16931 and Peppol rules that tie
them to the rate, checked when the rate is saved rather than when an invoice is generated.

Each check raises :class:`billing.errors.ValidationFailed` naming the business term and the
rule (``BR-S-05``, ``PEPPOL-EN16931-P0107``...) beside the form field it concerns.
"""

from decimal import Decimal
from typing import NamedTuple

from billing.errors import ValidationFailed
from billing.wording import shown

MAX_REASON = 200  # TaxRate.exemption_reason

# (code, label): the categories offered, in the order of the select.
CATEGORIES = (
    ("S", "Standard rate"),
    ("Z", "Zero rated"),
    ("E", "Exempt from VAT"),
    ("AE", "Reverse charge"),
    ("K", "Intra-community supply"),
    ("G", "Export outside the EU"),
    ("O", "Not subject to VAT"),
)
CATEGORY_LABELS = dict(CATEGORIES)


class Exemption(NamedTuple):
    """A VATEX code (BT-121): its short label, the one category it fits, and its usual text
    (the CEF VATEX list's), stored as the reason (BT-120) when none is typed."""

    code: str
    label: str
    category: str
    text: str


EXEMPTIONS = (
    Exemption("VATEX-EU-AE", "Reverse charge", "AE", "Reverse charge"),
    Exemption("VATEX-EU-IC", "Intra-community supply", "K", "Intra-community supply"),
    Exemption("VATEX-EU-G", "Export outside the EU", "G", "Export outside the EU"),
    Exemption("VATEX-EU-O", "Not subject to VAT", "O", "Not subject to VAT"),
    Exemption(
        "VATEX-EU-132",
        "Art. 132: exempt activities in the public interest",
        "E",
        "Exempt based on article 132 of Council Directive 2006/112/EC",
    ),
    Exemption(
        "VATEX-EU-79-C",
        "Art. 79(c): expenses paid on the customer's behalf",
        "E",
        "Exempt based on article 79, point c of Council Directive 2006/112/EC",
    ),
    Exemption(
        "VATEX-EU-143",
        "Art. 143: exempt imports",
        "E",
        "Exempt based on article 143 of Council Directive 2006/112/EC",
    ),
    Exemption(
        "VATEX-EU-148",
        "Art. 148: international sea and air transport",
        "E",
        "Exempt based on article 148 of Council Directive 2006/112/EC",
    ),
    Exemption(
        "VATEX-EU-151",
        "Art. 151: diplomatic and international bodies",
        "E",
        "Exempt based on article 151 of Council Directive 2006/112/EC",
    ),
    Exemption(
        "VATEX-EU-D",
        "Margin scheme: second-hand means of transport",
        "E",
        "Intra-Community acquisition from second hand means of transport",
    ),
    Exemption(
        "VATEX-EU-F",
        "Margin scheme: second-hand goods",
        "E",
        "Intra-Community acquisition of second hand goods",
    ),
    Exemption(
        "VATEX-EU-I",
        "Margin scheme: works of art",
        "E",
        "Intra-Community acquisition of works of art",
    ),
    Exemption(
        "VATEX-EU-J",
        "Margin scheme: collectors' items and antiques",
        "E",
        "Intra-Community acquisition of collectors items and antiques",
    ),
    Exemption(
        "VATEX-FR-FRANCHISE",
        "France: small business VAT franchise",
        "E",
        "France domestic VAT franchise in base",
    ),
)
BY_CODE = {exemption.code: exemption for exemption in EXEMPTIONS}
# The Peppol rule tying a code to its category; the others follow BR-E-10's meaning.
_PEPPOL_RULE = {
    "VATEX-EU-G": "PEPPOL-EN16931-P0104",
    "VATEX-EU-O": "PEPPOL-EN16931-P0105",
    "VATEX-EU-IC": "PEPPOL-EN16931-P0106",
    "VATEX-EU-AE": "PEPPOL-EN16931-P0107",
    "VATEX-EU-D": "PEPPOL-EN16931-P0108",
    "VATEX-EU-F": "PEPPOL-EN16931-P0109",
    "VATEX-EU-I": "PEPPOL-EN16931-P0110",
    "VATEX-EU-J": "PEPPOL-EN16931-P0111",
}
# The rule ids per category: its rate rule (xx-05) and its exemption rule (xx-10).
_RULE_PREFIX = {
    "S": "BR-S",
    "Z": "BR-Z",
    "E": "BR-E",
    "AE": "BR-AE",
    "K": "BR-IC",
    "G": "BR-G",
    "O": "BR-O",
}

CATEGORY_TERM = "VAT category (BT-118)"
REASON_TERM = "Exemption reason (BT-120)"
CODE_TERM = "Exemption code (BT-121)"


class VatTreatment(NamedTuple):
    """What a tax rate stores: its category, exemption reason and code, checked together."""

    category: str
    reason: str
    code: str


def category_label(code: str) -> str:
    """``"AE"`` -> ``"Reverse charge (AE)"``; an unknown code is shown as it is."""
    label = CATEGORY_LABELS.get(code)
    return f"{label} ({code})" if label else code


def vat_category(value: str, field: str = "vat_category") -> str:
    """A VAT category code (BT-118) of :data:`CATEGORIES`, upper-cased: ``"ae"`` -> ``"AE"``.

    :raise ValidationFailed: empty or not one of them.
    """
    code = (value or "").strip().upper()
    if code in CATEGORY_LABELS:
        return code
    if not code:
        raise ValidationFailed(f"{CATEGORY_TERM}: choose the VAT category of this rate.", field)
    raise ValidationFailed(
        f"{CATEGORY_TERM}: “{shown(value.strip())}” is not a VAT category; choose one of "
        f"the list (S, Z, E, AE, K, G or O).",
        field,
    )


def exemption_code(value: str, field: str = "exemption_code") -> str:
    """A VATEX code (BT-121) of :data:`EXEMPTIONS`, upper-cased, or "" for none.

    :raise ValidationFailed: not one of them.
    """
    code = (value or "").strip().upper()
    if not code or code in BY_CODE:
        return code
    raise ValidationFailed(
        f"{CODE_TERM}: “{shown(value.strip())}” is not a VATEX code of the list; choose one "
        f"or leave it empty.",
        field,
    )


def exemption_reason(value: str, field: str = "exemption_reason") -> str:
    """The exemption reason text (BT-120), trimmed; "" for none.

    :raise ValidationFailed: longer than :data:`MAX_REASON` or holding control characters.
    """
    text = (value or "").strip()
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"{REASON_TERM}: use at most {MAX_REASON} characters.", field)
    if not text.isprintable():
        raise ValidationFailed(f"{REASON_TERM}: write it on one line, as plain text.", field)
    return text


def problems(category: str, percent: Decimal, reason: str, code: str) -> list[ValidationFailed]:
    """Every rule a category (already checked), percentage, reason and code (already checked)
    break together, each beside its field; [] when they fit."""
    found: list[ValidationFailed] = []
    name, prefix = category_label(category), _RULE_PREFIX[category]
    if category == "S" and percent <= 0:
        found.append(
            ValidationFailed(
                f"Percentage: {name} needs a percentage above 0 ({prefix}-05). For a 0 % rate "
                f"choose another VAT category, e.g. Zero rated (Z) or Exempt from VAT (E).",
                "percent",
            )
        )
    elif category != "S" and percent != 0:
        found.append(
            ValidationFailed(
                f"Percentage: {name} is charged at 0 % ({prefix}-05). Enter 0, or choose "
                f"Standard rate (S) for a rate above 0.",
                "percent",
            )
        )
    if category in ("S", "Z"):
        filled = ((reason, REASON_TERM, "exemption_reason"), (code, CODE_TERM, "exemption_code"))
        for value, term, field in filled:
            if value:
                found.append(
                    ValidationFailed(
                        f"{term}: {name} has no exemption ({prefix}-10); leave it empty.", field
                    )
                )
        return found
    if not reason and not code:
        if category == "E":
            hint = "choose the code of the exemption or type the reason, e.g. the law's article"
        else:
            usual = next(e for e in EXEMPTIONS if e.category == category)
            hint = f"choose {usual.code} or type “{usual.text}”"
        found.append(
            ValidationFailed(
                f"{REASON_TERM}: {name} needs an exemption reason or code ({prefix}-10): {hint}.",
                "exemption_reason",
            )
        )
    fitting = BY_CODE.get(code)
    if fitting is not None and fitting.category != category:
        ruled = f" ({_PEPPOL_RULE[code]})" if code in _PEPPOL_RULE else ""
        found.append(
            ValidationFailed(
                f"{CODE_TERM}: {code} is for {category_label(fitting.category)}, not {name}"
                f"{ruled}. Choose the VAT category it belongs to, or another code.",
                "exemption_code",
            )
        )
    return found


def vat_treatment(category: str, percent: Decimal, reason: str, code: str) -> VatTreatment:
    """The category, exemption reason and code to store for a rate of ``percent``: each
    checked, codes upper-cased, and a chosen code's usual text as the reason when none is typed.

    :raise ValidationFailed: the first rule broken (see :func:`problems`), beside its field.
    """
    category = vat_category(category)
    code = exemption_code(code)
    reason = exemption_reason(reason)
    found = problems(category, percent, reason, code)
    if found:
        raise found[0]
    if code and not reason:
        reason = BY_CODE[code].text
    return VatTreatment(category, reason, code)
