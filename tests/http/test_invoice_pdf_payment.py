"""The "How to pay" block of the invoice PDF and its EPC QR code, read back from the download
(pypdf for the text and the image, zbarimg for the code: CI installs Debian's zbar-tools)."""

import io
import shutil
import subprocess
from decimal import Decimal

import pypdf
import pytest

from billing.einvoice.girocode import epc_payload
from billing.invoices.pdf import render_invoice_pdf
from billing.invoices.snapshot import issuer_snapshot
from billing.settings import get_settings
from models import InvoiceStatus, db
from tests.factories import make_customer
from tests.http.test_invoice_pdf import make_invoice, money, pdf_pages

IBAN = "DE89370400440532013000"
BIC = "COBADEFFXXX"
LINES = [
    ("Managed IT, October", Decimal(1), 90000, 0, "sales"),
    ("Backup", Decimal(2), 4975, 0, None),
]


def seller_with_iban(legal_name: str = "Bright IT GmbH") -> None:
    """The seller's company details, with an IBAN and BIC (as the settings form stores them)."""
    settings = get_settings()
    settings.company_name = "Bright IT"
    settings.legal_name = legal_name
    settings.address = "Hauptstr. 1\n10115 Berlin"
    settings.country = "DE"
    settings.bank_details = "Free-text bank details"
    settings.iban, settings.bic = IBAN, BIC
    db.session.commit()


def qr_payloads(data: bytes) -> list[str]:
    """What zbarimg reads from each image on the PDF's first page (a logo reads as nothing), as
    UTF-8; ``-Sbinary`` gives the stored bytes rather than zbar's guess at their charset."""
    zbarimg = shutil.which("zbarimg")
    assert zbarimg, "zbarimg is missing: apt-get install zbar-tools"
    payloads = []
    for image in pypdf.PdfReader(io.BytesIO(data)).pages[0].images:
        out = io.BytesIO()
        image.image.convert("L").save(out, "PNG")
        result = subprocess.run(
            [zbarimg, "--raw", "-q", "-Sbinary", "-"],
            input=out.getvalue(),
            capture_output=True,
            check=False,
        )
        assert result.returncode in (0, 4), result.stderr  # 4: no symbol found
        if result.stdout:
            payloads.append(result.stdout.decode("utf-8"))
    return payloads


def shown(minor: int, currency: str = "EUR") -> str:
    """An amount as :func:`pdf_pages` reads it (its no-break space a plain one)."""
    return " ".join(money(minor, currency).split())


def eur_invoice(number: str = "RE-2026-0042", **fields):
    seller_with_iban()
    customer = make_customer(name=f"Dupont SARL {number}", currency="EUR")
    return make_invoice(number=number, lines=LINES, customer=customer, **fields)


def test_a_eur_invoice_carries_a_girocode_for_its_balance(app, billing_tech_client):
    invoice = eur_invoice(status=InvoiceStatus.SENT)
    invoice.paid_minor = 10000  # part paid: the code asks for the balance, not the total
    db.session.commit()
    response = billing_tech_client.get(f"/invoices/{invoice.id}/pdf")
    assert response.status_code == 200
    balance = invoice.total_minor - 10000
    expected = epc_payload("Bright IT GmbH", IBAN, balance, "EUR", invoice.number, BIC)
    assert qr_payloads(response.data) == [expected]
    assert expected == (
        f"BCD\n002\n1\nSCT\n{BIC}\nBright IT GmbH\n{IBAN}\n"
        f"EUR{Decimal(balance).scaleb(-2):.2f}\n\n\n{invoice.number}"
    )
    (text,) = pdf_pages(response.data)
    for expected in (
        "HOW TO PAY",
        "Account holder Bright IT GmbH",
        "IBAN DE89 3704 0044 0532 0130 00",
        f"BIC {BIC}",
        f"Payment reference {invoice.number}",
        f"Amount due {shown(balance)}",
        f"Scan with your banking app to pay {shown(balance)}",
    ):
        assert expected in text, expected
    assert "Free-text bank details" not in text  # the structured block replaces it


def test_the_code_reads_accents_as_utf8(app):
    seller_with_iban(legal_name="Müller & Söhne Informatik GmbH")
    invoice = make_invoice(
        number="RE-ÄÖ-1", lines=LINES, customer=make_customer(name="Dupont", currency="EUR")
    )
    (payload,) = qr_payloads(render_invoice_pdf(invoice))
    assert payload.splitlines()[5] == "Müller & Söhne Informatik GmbH"
    assert payload == epc_payload(
        "Müller & Söhne Informatik GmbH", IBAN, invoice.total_minor, "EUR", "RE-ÄÖ-1", BIC
    )


def test_a_usd_invoice_shows_the_bank_details_without_a_code(app, admin_client):
    seller_with_iban()
    invoice = make_invoice(number="INV-0100", lines=LINES)  # the customer pays in USD
    data = admin_client.get(f"/invoices/{invoice.id}/pdf").data
    assert qr_payloads(data) == []
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages[0].images) == 0
    (text,) = pdf_pages(data)
    assert "IBAN DE89 3704 0044 0532 0130 00" in text
    assert "Payment reference INV-0100" in text
    assert f"Amount due {shown(invoice.total_minor, 'USD')}" in text
    assert "Scan with your banking app" not in text


@pytest.mark.parametrize("status", [InvoiceStatus.PAID, InvoiceStatus.REFUNDED])
def test_a_settled_invoice_asks_for_nothing(app, status):
    invoice = eur_invoice(status=status)
    data = render_invoice_pdf(invoice)
    assert qr_payloads(data) == []
    (text,) = pdf_pages(data)
    assert "BANK DETAILS" in text and "IBAN DE89 3704 0044 0532 0130 00" in text
    assert "HOW TO PAY" not in text and "Amount due" not in text


def test_a_fully_credited_invoice_has_no_code(app):
    invoice = eur_invoice(status=InvoiceStatus.SENT)
    invoice.credited_minor = invoice.total_minor
    db.session.commit()
    assert qr_payloads(render_invoice_pdf(invoice)) == []


def test_an_invoice_from_before_the_iban_keeps_its_free_text(app):
    seller_with_iban()
    old = {k: v for k, v in issuer_snapshot(get_settings()).items() if k not in ("iban", "bic")}
    customer = make_customer(name="Dupont", currency="EUR")
    invoice = make_invoice(number="RE-2025-0001", lines=LINES, customer=customer, issuer=old)
    data = render_invoice_pdf(invoice)
    assert qr_payloads(data) == []
    (text,) = pdf_pages(data)
    assert "BANK DETAILS Free-text bank details" in text
    assert "IBAN" not in text and "HOW TO PAY" not in text


def test_without_a_legal_name_the_company_name_holds_the_account(app):
    seller_with_iban(legal_name="")
    invoice = make_invoice(number="RE-7", lines=LINES, customer=make_customer(currency="EUR"))
    data = render_invoice_pdf(invoice)
    assert qr_payloads(data) == [
        epc_payload("Bright IT", IBAN, invoice.total_minor, "EUR", "RE-7", BIC)
    ]
    assert "Account holder Bright IT IBAN" in pdf_pages(data)[0]
    assert render_invoice_pdf(invoice) == data  # the code is drawn the same every time
