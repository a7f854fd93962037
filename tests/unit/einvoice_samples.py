"""Hand-built e-invoice Documents for the writers' tests (and anyone else's).

A German seller (VAT id, Steuernummer, IBAN, contact) bills a Belgian buyer (endpoint 0208)
for January 2026: two lines at 19 %, the second with a discount. Every total is worked out by
hand below, so a writer that recomputes instead of writing what it is given shows up.
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from billing.einvoice.document import (
    CREDIT_NOTE,
    HOUR,
    INVOICE,
    ONE,
    Address,
    Document,
    Line,
    Party,
    PaymentInstructions,
    VatCategory,
    VatGroup,
)

D = Decimal
STANDARD_19 = VatCategory("S", D("19"))
REVERSE_CHARGE = VatCategory("AE", D("0"), "Reverse charge", "VATEX-EU-AE")
NOT_SUBJECT = VatCategory("O", D("0"), "Not subject to VAT", "VATEX-EU-O")

SELLER = Party(
    name="Beispiel IT GmbH",
    address=Address(street="Hauptstraße 1", city="Berlin", postcode="10115", country="DE"),
    vat_id="DE136695976",
    tax_registration="12/345/67890",
    legal_id="HRB 123456 B",
    endpoint_id="DE136695976",
    endpoint_scheme="9930",
    contact_name="Buchhaltung",
    contact_phone="+49 30 1234567",
    contact_email="buchhaltung@beispiel-it.de",
)
BUYER = Party(
    name="Client NV",
    address=Address(street="Meir 10", city="Antwerpen", postcode="2000", country="BE"),
    vat_id="BE0987654394",
    legal_id="0987654394",
    endpoint_id="0987654394",
    endpoint_scheme="0208",
)
PAYMENT = PaymentInstructions(
    means_code="58",
    iban="DE02120300000000202051",
    bic="BYLADEM1001",
    account_name="Beispiel IT GmbH",
    remittance="RE-2026-0042",
)


def _lines(vat: VatCategory) -> tuple[Line, ...]:
    return (
        Line("1", "Managed services per device, January 2026", D("10"), ONE, D("45.00"),
             D("450.00"), vat),
        # 2.5 h x 80.00 = 200.00, less a 20.00 discount (PEPPOL-EN16931-R120).
        Line("2", "Remote support", D("2.5"), HOUR, D("80.00"), D("180.00"), vat,
             allowance=D("20.00"), allowance_reason="Loyalty discount"),
    )  # fmt: skip


def sample_invoice(**overrides) -> Document:
    """The standard-rated invoice RE-2026-0042: 630.00 + 119.70 VAT = 749.70; ``overrides``
    replace any of its fields."""
    doc = Document(
        type_code=INVOICE,
        number="RE-2026-0042",
        issue_date=date(2026, 2, 2),
        currency="EUR",
        seller=SELLER,
        buyer=BUYER,
        lines=_lines(STANDARD_19),
        groups=(VatGroup(STANDARD_19, D("630.00"), D("119.70")),),
        line_total=D("630.00"),
        tax_exclusive=D("630.00"),
        tax_total=D("119.70"),
        tax_inclusive=D("749.70"),
        payable=D("749.70"),
        due_date=date(2026, 3, 4),
        payment_terms="Payable within 30 days",
        buyer_reference="CLIENT-0815",
        order_reference="PO-7781",
        note="Thank you for your business.",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31),
        payment=PAYMENT,
    )
    return replace(doc, **overrides)


def sample_reverse_charge(**overrides) -> Document:
    """The same invoice under reverse charge (AE, VATEX-EU-AE): 630.00, no VAT."""
    defaults = dict(
        lines=_lines(REVERSE_CHARGE),
        groups=(VatGroup(REVERSE_CHARGE, D("630.00"), D("0.00")),),
        tax_total=D("0.00"),
        tax_inclusive=D("630.00"),
        payable=D("630.00"),
    )
    return sample_invoice(**{**defaults, **overrides})


def sample_not_subject(**overrides) -> Document:
    """The same invoice not subject to VAT (O): no VAT id on either side (BR-O-02), the
    seller identified by its trade register number (BR-CO-26)."""
    defaults = dict(
        seller=replace(SELLER, vat_id="", tax_registration="", endpoint_id="0987654394",
                       endpoint_scheme="0208"),
        buyer=replace(BUYER, vat_id=""),
        lines=_lines(NOT_SUBJECT),
        groups=(VatGroup(NOT_SUBJECT, D("630.00"), D("0.00")),),
        tax_total=D("0.00"),
        tax_inclusive=D("630.00"),
        payable=D("630.00"),
    )  # fmt: skip
    return sample_invoice(**{**defaults, **overrides})


def sample_credit_note(**overrides) -> Document:
    """Credit note GS-2026-0007 for one hour of RE-2026-0042's remote support billed twice:
    80.00 + 15.20 VAT = 95.20, refunded by 2026-02-24."""
    line = Line("1", "Credit: remote support billed twice", D("1"), HOUR, D("80.00"),
                D("80.00"), STANDARD_19)  # fmt: skip
    doc = sample_invoice(
        type_code=CREDIT_NOTE,
        number="GS-2026-0007",
        issue_date=date(2026, 2, 10),
        lines=(line,),
        groups=(VatGroup(STANDARD_19, D("80.00"), D("15.20")),),
        line_total=D("80.00"),
        tax_exclusive=D("80.00"),
        tax_total=D("15.20"),
        tax_inclusive=D("95.20"),
        payable=D("95.20"),
        due_date=date(2026, 2, 24),
        payment_terms="Refunded to your account within 14 days",
        note="",
        payment=replace(PAYMENT, remittance="GS-2026-0007"),
        preceding=(("RE-2026-0042", date(2026, 2, 2)),),
    )
    return replace(doc, **overrides)
