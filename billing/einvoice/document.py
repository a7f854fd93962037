"""An invoice or credit note in EN 16931's terms: what the UBL and CII writers serialise.

Built from the database by :mod:`billing.einvoice.build`; the writers (``ubl``, ``cii``) only
turn it into XML, so every rule about amounts lives in one place. Amounts are ``Decimal`` in
the document's currency with at most 2 decimals (BR-DEC-*); prices may have more (BT-146).
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

INVOICE = "380"  # BT-3, UNTDID 1001: commercial invoice
CREDIT_NOTE = "381"  # credit note

# BT-24 and BT-23 of each flavour.
EN16931 = "urn:cen.eu:en16931:2017"
PEPPOL_CUSTOMIZATION = f"{EN16931}#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
XRECHNUNG_CUSTOMIZATION = f"{EN16931}#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
PEPPOL_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

# What XML 1.0 cannot carry (control characters pasted into a description, say).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

HOUR = "HUR"  # UN/ECE Rec 20 unit codes (BT-130)
ONE = "C62"


@dataclass(frozen=True)
class Address:
    """A postal address (BG-5 / BG-8): BT-35 street, BT-36 more, BT-37 city, BT-38 post
    code, BT-40 / BT-55 country (ISO 3166-1 alpha-2)."""

    street: str = ""
    additional: str = ""
    city: str = ""
    postcode: str = ""
    country: str = ""


@dataclass(frozen=True)
class Party:
    """The seller (BG-4) or the buyer (BG-7). Empty strings are left out of the XML."""

    name: str  # BT-27 / BT-44, the legal name
    address: Address
    trading_name: str = ""  # BT-28 / BT-45, when other than the legal name
    vat_id: str = ""  # BT-31 / BT-48, with its country prefix
    tax_registration: str = ""  # BT-32 (seller only), e.g. a German Steuernummer
    legal_id: str = ""  # BT-30 / BT-47, e.g. a trade register number
    endpoint_id: str = ""  # BT-34 / BT-49
    endpoint_scheme: str = ""  # its EAS code, e.g. 0208, 9930, 0204, EM
    contact_name: str = ""  # BG-6 / BG-9: BT-41, BT-42, BT-43
    contact_phone: str = ""
    contact_email: str = ""


@dataclass(frozen=True)
class VatCategory:
    """BT-151/152 on a line, BT-118/119/120/121 in the breakdown."""

    code: str  # S, Z, E, AE, K, G, O
    percent: Decimal  # 0 for every category but S
    reason: str = ""  # BT-120, for E, AE, K, G, O
    reason_code: str = ""  # BT-121, a VATEX code


@dataclass(frozen=True)
class Line:
    """One invoice line (BG-25) or credit note line.

    ``net`` = ``quantity`` x ``price`` - ``allowance`` (PEPPOL-EN16931-R120), rounded half-up
    to 2 decimals; ``allowance`` (BG-27, BT-136) is the line's discount, 0 when none.
    """

    id: str  # BT-126
    name: str  # BT-153
    quantity: Decimal  # BT-129
    unit_code: str  # BT-130
    price: Decimal  # BT-146, net price per one unit
    net: Decimal  # BT-131
    vat: VatCategory
    allowance: Decimal = Decimal("0.00")
    allowance_reason: str = "Discount"  # BT-139
    description: str = ""  # BT-154, the full text when the name is shortened


@dataclass(frozen=True)
class VatGroup:
    """One VAT breakdown (BG-23): the taxable amount and tax of one category and rate."""

    vat: VatCategory
    taxable: Decimal  # BT-116
    tax: Decimal  # BT-117 = BT-116 x BT-119 / 100, rounded to 2 decimals (BR-CO-17)


@dataclass(frozen=True)
class PaymentInstructions:
    """BG-16: how to pay. ``means_code`` 58 SEPA credit transfer or 30 credit transfer."""

    means_code: str
    iban: str  # BT-84
    bic: str = ""  # BT-86
    account_name: str = ""  # BT-85
    remittance: str = ""  # BT-83, the document number


@dataclass(frozen=True)
class Document:
    """An EN 16931 invoice (BT-3 380) or credit note (381), totals computed (BG-22)."""

    type_code: str
    number: str  # BT-1
    issue_date: date  # BT-2
    currency: str  # BT-5
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    groups: tuple[VatGroup, ...]
    line_total: Decimal  # BT-106 = sum of BT-131 (BR-CO-10)
    tax_exclusive: Decimal  # BT-109 = BT-106 (no document allowances or charges)
    tax_total: Decimal  # BT-110 = sum of BT-117 (BR-CO-14)
    tax_inclusive: Decimal  # BT-112 = BT-109 + BT-110 (BR-CO-15)
    payable: Decimal  # BT-115 = BT-112 - BT-113 (BR-CO-16)
    prepaid: Decimal = Decimal("0.00")  # BT-113
    due_date: date | None = None  # BT-9 (invoices)
    payment_terms: str = ""  # BT-20
    buyer_reference: str = ""  # BT-10 (a Leitweg-ID for German public bodies)
    order_reference: str = ""  # BT-13
    note: str = ""  # BT-22
    period_start: date | None = None  # BG-14: BT-73
    period_end: date | None = None  # BT-74
    payment: PaymentInstructions | None = None  # BG-16
    # BG-3, the invoice a credit note corrects: (BT-25 number, BT-26 issue date).
    preceding: tuple[tuple[str, date], ...] = field(default_factory=tuple)

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (each becomes a space)."""
    return _NOT_XML.sub(" ", text)
