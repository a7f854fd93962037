"""E-invoices in a real Chromium (issue #17): the invoice page's E-invoice menu downloads a
Peppol XML, the Billing page zips the ticked invoices each in its customer's format, and the
menu fits a phone."""

import io
import uuid
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import expect

from billing.settings import get_settings
from models import db
from tests.factories import make_customer, make_invoice, make_line, make_tax_rate

pytestmark = pytest.mark.browser
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


@pytest.fixture
def einvoiced(live_app):
    """A seller ready for e-invoices and two Sent invoices: a Belgian Peppol customer's and a
    German Factur-X customer's, both at 19 % VAT (category S)."""
    tag = uuid.uuid4().hex[:6].upper()
    with live_app.app_context():
        settings = get_settings()
        settings.legal_name, settings.vat_id = "Spree IT GmbH", "DE136695976"
        settings.address = "Friedrichstraße 123\n10117 Berlin"
        settings.endpoint_id, settings.endpoint_scheme = "DE136695976", "9930"
        settings.iban, settings.bic = "DE02120300000000202051", "BYLADEM1001"
        rate = make_tax_rate(name=f"USt 19 % {tag}", percent=Decimal(19), vat_category="S")
        buyers = {
            "peppol": make_customer(
                name=f"Verhaegen {tag}", currency="EUR", country="BE",
                address="Noorderlaan 147\n2030 Antwerpen", vat_id="BE0471159286",
                endpoint_id="0471159286", endpoint_scheme="0208", einvoice_format="pdf_xml",
            ),
            "facturx": make_customer(
                name=f"Brandt {tag}", currency="EUR", country="DE",
                address="Industriestraße 42\n12099 Berlin", vat_id="DE258147369",
                einvoice_format="facturx",
            ),
        }  # fmt: skip
        numbers = {}
        for fmt, customer in buyers.items():
            line = make_line("Managed services, November", 150000, tax_rate_id=rate.id,
                             tax_name=rate.name, tax_percent=Decimal(19))  # fmt: skip
            invoice = make_invoice(customer, [line], number=f"E{tag}-{fmt[:2].upper()}",
                                   status="sent", tax_minor=28500, total_minor=178500)  # fmt: skip
            numbers[fmt] = (invoice.id, invoice.number)
        db.session.commit()
        return tag, numbers


def test_download_a_peppol_xml_from_the_invoice_page(page, login, einvoiced):
    _, numbers = einvoiced
    invoice_id, number = numbers["peppol"]
    login()
    page.goto(f"/invoices/{invoice_id}")
    page.locator("#einvoice-menu summary").click()
    peppol = page.locator("#einvoice-menu a[data-format=peppol]")
    expect(peppol).to_be_visible()
    choice = page.locator("#einvoice-menu li", has=page.locator("a[data-format=peppol]"))
    expect(choice).to_contain_text("emailed to this customer")
    with page.expect_download() as download:
        peppol.click()
    assert download.value.suggested_filename == f"{number}-peppol.xml"
    root = etree.parse(download.value.path()).getroot()
    assert root.findtext(f"{{{CBC}}}ID") == number
    assert root.findtext(f"{{{CBC}}}PayableAmount") is None  # in LegalMonetaryTotal, not root
    assert root.find(f".//{{{CBC}}}PayableAmount").text == "1785.00"


def test_the_billing_page_zips_each_invoice_in_its_customers_format(page, login, einvoiced):
    tag, numbers = einvoiced
    login()
    page.goto(f"/billing?q=E{tag}")
    for _, number in numbers.values():
        page.get_by_role("row", name=number).get_by_role("checkbox").check()
    page.get_by_label("E-invoice format").select_option("customer")
    page.get_by_role("button", name="Download e-invoices (zip)").click()
    expect(page.locator("#bulk-job")).to_contain_text("2 e-invoices ready", timeout=30_000)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download e-invoices.zip").click()
    assert download.value.suggested_filename == "e-invoices.zip"
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    peppol, facturx = numbers["peppol"][1], numbers["facturx"][1]
    assert sorted(archive.namelist()) == sorted([f"{peppol}-peppol.xml", f"{facturx}.pdf"])
    assert archive.read(f"{facturx}.pdf").startswith(b"%PDF-1.7")


def test_the_menu_fits_a_phone(page, login, einvoiced):
    _, numbers = einvoiced
    page.set_viewport_size({"width": 390, "height": 844})
    login()
    page.goto(f"/invoices/{numbers['facturx'][0]}")
    page.locator("#einvoice-menu summary").click()
    expect(page.locator("#einvoice-menu a[data-format=cii]")).to_be_visible()
    box = page.locator("#einvoice-menu ul").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
