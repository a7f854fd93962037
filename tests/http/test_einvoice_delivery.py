"""E-invoices over HTTP and the command line (issue #17): the E-invoice menu's downloads on the
invoice and credit note pages, the refusals that say what to fill in, the bulk zip in each
customer's format or one for all, and ``flask invoices xml``.

That every format of the European demo passes its schemas is ``tests/db/test_einvoice_demo``'s;
these tests read what the user gets: file names, media types, which document is inside.
"""

import io
import re
import zipfile
from datetime import date, timedelta
from html import unescape

import facturx
import pytest
import sqlalchemy as sa
from lxml import etree

from billing.batches.preview import BatchRequest
from billing.batches.store import save_batch
from billing.settings import get_settings
from demo.eu import seed_demo_eu
from demo.receivables import seed_receivables
from models import BulkJob, CreditNote, Customer, Invoice, InvoiceEvent, InvoiceStatus, Role, db
from tests.conftest import log_in, make_user
from tests.factories import make_customer, make_invoice, make_line
from tests.pages import fresh, squeeze

DAY = date(2026, 12, 3)
LAST_MONTH = (date(2026, 11, 1), date(2026, 11, 30))
HTMX = {"HX-Request": "true"}
MENU_LINK = re.compile(
    r'<a href="([^"]+)"[^>]* data-format="([^"]+)">([^<]+)</a>\s*'
    r'<span class="muted">([^<]*)</span>'
)
# The last month's Drafts of the demo, one per customer, and the file each one's own format
# makes: Factur-X for the German businesses, Peppol for the Belgian, XRechnung for the town.
OWN_FORMAT = {
    "RE-0015": "RE-0015.pdf",  # Brandt & Kühn Maschinenbau GmbH, Factur-X
    "RE-0017": "RE-0017-xrechnung.xml",  # Stadt Weserhafen, a Leitweg-ID
    "RE-0019": "RE-0019.pdf",  # Steuerkanzlei Albers & Partner mbB, Factur-X
    "RE-0021": "RE-0021-peppol.xml",  # Verhaegen Logistics NV, Peppol
}
UBL_CUSTOMIZATION = {
    "peppol": "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
    "xrechnung": "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
}


@pytest.fixture(autouse=True)
def instance(app, tmp_path):
    """The app's instance folder, in tmp: bulk job files must never land in the repository."""
    app.instance_path = str(tmp_path / "instance")


@pytest.fixture
def demo(app) -> dict[str, Invoice]:
    """The European demo with its last month billed too: its invoices by number."""
    return seed_demo(app)


def seed_demo(app) -> dict[str, Invoice]:
    """Seed the European demo, bill its last month too; its invoices by number (RE-0015 to
    RE-0023 are the last month's Drafts, GS-0001 a credit note of RE-0008)."""
    app.config["BILLING_TODAY"] = DAY.isoformat()
    seed_demo_eu(DAY)
    seed_receivables(DAY)
    save_batch(BatchRequest(*LAST_MONTH), None, LAST_MONTH[1] + timedelta(days=1))
    db.session.commit()
    return {i.number: i for i in db.session.scalars(sa.select(Invoice).order_by(Invoice.number))}


def document(xml: bytes) -> tuple[str, str, str]:
    """``(root element, its document number, its type code or customization)`` of a UBL or
    CII e-invoice."""
    root = etree.fromstring(xml)
    name = etree.QName(root).localname
    if name == "CrossIndustryInvoice":
        path = "/*/*[local-name()='ExchangedDocument']/*[local-name()='{}']/text()"
        return name, root.xpath(path.format("ID"))[0], root.xpath(path.format("TypeCode"))[0]
    number = root.xpath("/*/*[local-name()='ID']/text()")[0]
    return name, number, root.xpath("/*/*[local-name()='CustomizationID']/text()")[0]


def embedded(pdf: bytes) -> bytes:
    """The CII XML inside a Factur-X PDF (checked against the Factur-X XSD as it is read)."""
    assert pdf.startswith(b"%PDF-")
    name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml"
    return xml


def menu(page: str) -> dict[str, tuple[str, str, str]]:
    """The E-invoice menu of a page: format -> (URL, label, what the file is)."""
    block = page[page.index('<details class="einvoice-menu" id="einvoice-menu">') :]
    block = block[: block.index("</details>")]
    links = MENU_LINK.findall(block)
    assert links, "no links in the E-invoice menu"
    return {fmt: (unescape(url), label, " ".join(kind.split())) for url, fmt, label, kind in links}


def disposition(response) -> str:
    return response.headers["Content-Disposition"]


def events_of(invoice: Invoice) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(InvoiceEvent.invoice_id == invoice.id)
    )


def test_the_invoice_menu_downloads_each_format(app, demo, admin_client):
    invoice = demo["RE-0021"]  # Verhaegen Logistics NV: PDF and Peppol XML by email
    before = events_of(invoice)
    page = admin_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    links = menu(page)
    assert list(links) == ["facturx", "peppol", "xrechnung", "cii"]
    assert links["peppol"][1:] == ("Peppol BIS 3.0 XML", "UBL 2.1; emailed to this customer")
    assert links["facturx"][1:] == (
        "Factur-X / ZUGFeRD PDF",
        "PDF with the EN 16931 CII XML inside",
    )
    assert [fmt for fmt, (_, _, kind) in links.items() if "emailed" in kind] == ["peppol"]
    downloads = {fmt: admin_client.get(url) for fmt, (url, _, _) in links.items()}
    for fmt, response in downloads.items():
        assert response.status_code == 200, (fmt, squeeze(response)[:300])
        assert links[fmt][0] == f"/invoices/{invoice.id}/einvoice/{fmt}"

    pdf = downloads.pop("facturx")
    assert pdf.mimetype == "application/pdf"
    assert disposition(pdf) == 'attachment; filename="RE-0021.pdf"'
    assert document(embedded(pdf.data)) == ("CrossIndustryInvoice", "RE-0021", "380")
    for fmt in ("peppol", "xrechnung"):
        response = downloads[fmt]
        assert response.mimetype == "application/xml"
        assert disposition(response) == f'attachment; filename="RE-0021-{fmt}.xml"'
        assert document(response.data) == ("Invoice", "RE-0021", UBL_CUSTOMIZATION[fmt])
    cii = downloads["cii"]
    assert cii.mimetype == "application/xml"
    assert disposition(cii) == 'attachment; filename="RE-0021-cii.xml"'
    assert document(cii.data) == ("CrossIndustryInvoice", "RE-0021", "380")
    assert "private" in cii.headers["Cache-Control"]

    # A technician allowed to see billing downloads the same file; the invoice is untouched.
    technician = make_user(Role.TECHNICIAN, name="Tess Tech")
    technician.can_see_billing = True
    reader = log_in(app.test_client(), technician)
    again = reader.get(links["cii"][0])
    assert again.status_code == 200 and document(again.data) == document(cii.data)
    assert fresh(invoice).status == InvoiceStatus.DRAFT and events_of(invoice) == before


def test_the_credit_note_menu_downloads_each_format(demo, admin_client):
    credit_note = db.session.scalar(sa.select(CreditNote).where(CreditNote.number == "GS-0001"))
    assert credit_note.customer.einvoice_format == "facturx"
    invoice_number = credit_note.invoice.number
    page = admin_client.get(f"/credit-notes/{credit_note.id}").get_data(as_text=True)
    links = menu(page)
    assert list(links) == ["facturx", "peppol", "xrechnung", "cii"]
    assert [fmt for fmt, (_, _, kind) in links.items() if "emailed" in kind] == ["facturx"]
    for fmt, (url, _, _) in links.items():
        assert url == f"/credit-notes/{credit_note.id}/einvoice/{fmt}"
        response = admin_client.get(url)
        assert response.status_code == 200, (fmt, squeeze(response)[:300])
        if fmt == "facturx":
            assert response.mimetype == "application/pdf"
            assert disposition(response) == 'attachment; filename="GS-0001.pdf"'
            xml = embedded(response.data)
        else:
            assert response.mimetype == "application/xml"
            assert disposition(response) == f'attachment; filename="GS-0001-{fmt}.xml"'
            xml = response.data
        root, number, kind = document(xml)
        assert number == "GS-0001", fmt
        if fmt in ("facturx", "cii"):
            assert (root, kind) == ("CrossIndustryInvoice", "381")  # a credit note
        else:
            assert (root, kind) == ("CreditNote", UBL_CUSTOMIZATION[fmt])
        assert invoice_number.encode() in xml  # refers to its invoice (BG-3)


def test_an_unknown_format_is_404(demo, admin_client):
    invoice = demo["RE-0021"]
    credit_note = db.session.scalar(sa.select(CreditNote))
    for url in (
        f"/invoices/{invoice.id}/einvoice/ubl",
        f"/credit-notes/{credit_note.id}/einvoice/FACTURX",
        f"/invoices/{invoice.id}/einvoice/pdf",
    ):
        response = admin_client.get(url)
        assert response.status_code == 404, url
        assert "There is no e-invoice format" in squeeze(response)
        assert "Content-Disposition" not in response.headers
    assert admin_client.get("/invoices/999999/einvoice/peppol").status_code == 404


def test_downloads_need_a_login_and_billing(app, client, technician):
    invoice = make_invoice(number="INV-0001")
    urls = [f"/invoices/{invoice.id}/einvoice/peppol", "/credit-notes/1/einvoice/cii"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.location.startswith("/auth/login")
    tech = log_in(client, technician)  # no billing: as for the invoice's PDF
    assert tech.get(f"/invoices/{invoice.id}/pdf").status_code == 403
    for url in urls:
        response = tech.get(url)
        assert response.status_code == 403, url
        assert "Billing (invoices, batches and their amounts) is not open to you" in squeeze(
            response
        )
        assert "Content-Disposition" not in response.headers
    response = tech.post("/invoices/bulk/einvoices", data={"ids": [str(invoice.id)]})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BulkJob)) == 0


def us_invoice(**fields) -> Invoice:
    """INV-0007, a Draft (unless ``fields`` say otherwise) of a US seller with neither VAT
    number nor tax registration (its issuer read from the settings), to Acme Dental, a
    customer emailed Peppol XML beside the PDF."""
    settings = get_settings()
    settings.vat_id = settings.tax_registration = ""
    customer = db.session.scalar(sa.select(Customer).where(Customer.name == "Acme Dental"))
    customer = customer or make_customer(
        name="Acme Dental", country="US", einvoice_format="pdf_xml", endpoint_id="0471159286",
        endpoint_scheme="0208", billing_emails="ap@acme.example.com",
    )  # fmt: skip
    lines = [make_line("Support hours", 6000, 5)]
    values = {"number": "INV-0007", "bill_to_emails": customer.billing_emails, **fields}
    return make_invoice(customer, lines, **values)


def test_a_seller_without_a_vat_number_is_told_where_to_fill_it_in(app, admin_client):
    invoice = us_invoice()
    for fmt in ("peppol", "cii", "facturx"):
        response = admin_client.get(f"/invoices/{invoice.id}/einvoice/{fmt}")
        assert response.status_code == 409, fmt
        assert "Content-Disposition" not in response.headers
        page = squeeze(response)
        assert "Seller VAT identifier (BT-31)" in page
        assert "Admin > Settings > E-invoicing" in page and "nothing was made" in page
    assert fresh(invoice).status == InvoiceStatus.DRAFT and events_of(invoice) == 0


def test_peppol_without_the_customers_electronic_address_names_bt_49(demo, admin_client):
    invoice = demo["RE-0012"]  # Verhaegen Logistics NV, Sent
    customer = db.session.get(Customer, invoice.customer_id)
    customer.endpoint_id = customer.endpoint_scheme = ""
    db.session.commit()
    before = events_of(invoice)
    for fmt in ("peppol", "xrechnung"):
        response = admin_client.get(f"/invoices/{invoice.id}/einvoice/{fmt}")
        assert response.status_code == 409, fmt
        page = squeeze(response)
        assert "Buyer electronic address (BT-49)" in page
        assert "enter them on the customer's page" in page and "Nothing was made." in page
    # CII needs no electronic address: it is still made.
    assert admin_client.get(f"/invoices/{invoice.id}/einvoice/cii").status_code == 200
    assert fresh(invoice).status == InvoiceStatus.SENT and events_of(invoice) == before


def zip_names(response) -> dict[str, bytes]:
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert disposition(response) == 'attachment; filename="e-invoices.zip"'
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def run_job(client, ids: list[int], **form) -> tuple[str, str]:
    """Post the bulk e-invoices with ``ids`` and ``form``; work the job as htmx does (a chunk
    per request) until it is done: ``(the job's URL, its finished page)``."""
    response = client.post("/invoices/bulk/einvoices", data={"ids": [str(i) for i in ids], **form})
    assert response.status_code == 303, squeeze(response)[:300]
    job_url = response.location
    assert re.fullmatch(r"/invoices/bulk/jobs/[0-9a-f]{32}", job_url)
    page = client.get(job_url).get_data(as_text=True)
    assert f"E-invoices of {len(ids)} invoices" in page and f'hx-post="{job_url}/next"' in page
    for _ in range(20):
        fragment = client.post(f"{job_url}/next", headers=HTMX)
        assert fragment.status_code == 200
        if "hx-post" not in fragment.get_data(as_text=True):
            return job_url, client.get(job_url).get_data(as_text=True)
    raise AssertionError("the job never finished")


def test_the_bulk_zip_holds_each_customers_own_format(app, demo, admin_client):
    app.config["BULK_CHUNK_SIZE"] = 2
    us = make_customer(name="Acme Dental", country="US", einvoice_format="pdf")
    pdf_only = make_invoice(us, [make_line("Support hours", 6000, 5)], number="INV-0007")
    chosen = [demo[number] for number in OWN_FORMAT] + [pdf_only]
    job_url, page = run_job(
        admin_client, [invoice.id for invoice in chosen], einvoice_format="customer"
    )
    words = unescape(page)
    assert "4 e-invoices ready." in words and "1 could not be made." in words
    assert f'href="{job_url}/invoices.zip"' in page and "Download e-invoices.zip" in page
    row = re.search(rf'<tr id="bulk-{pdf_only.id}" data-ok="false">(.*?)</tr>', words, re.S)
    assert row, "the PDF-only invoice is not listed as not made"
    assert "INV-0007" in row.group(1)
    assert "Failed: Acme Dental is emailed PDFs only: choose its e-invoice format" in row.group(1)
    files = zip_names(admin_client.get(f"{job_url}/invoices.zip"))
    assert list(files) == list(OWN_FORMAT.values())  # in number order; the PDF-only one left out
    for number, name in OWN_FORMAT.items():
        if name.endswith(".pdf"):
            assert document(embedded(files[name]))[:2] == ("CrossIndustryInvoice", number)
        else:
            fmt = name.removesuffix(".xml").rpartition("-")[2]
            assert document(files[name]) == ("Invoice", number, UBL_CUSTOMIZATION[fmt])
    # The zip holds what each invoice's own download gives.
    single = admin_client.get(f"/invoices/{demo['RE-0021'].id}/einvoice/peppol")
    assert files["RE-0021-peppol.xml"] == single.data
    assert fresh(demo["RE-0021"]).status == InvoiceStatus.DRAFT

    # One format chosen for all: CII for each; the PDF-only invoice's untaxed line cannot be.
    ids = [invoice.id for invoice in chosen]
    job_url, page = run_job(admin_client, ids, einvoice_format="cii")
    words = unescape(page)
    assert "4 e-invoices ready." in words and "1 could not be made." in words
    row = re.search(rf'<tr id="bulk-{pdf_only.id}" data-ok="false">(.*?)</tr>', words, re.S)
    assert "Failed: Line 1 (Support hours) has no tax rate" in row.group(1)
    assert "VAT category (BT-151)" in row.group(1)
    files = zip_names(admin_client.get(f"{job_url}/invoices.zip"))
    assert list(files) == [f"{number}-cii.xml" for number in OWN_FORMAT]
    for number in OWN_FORMAT:
        assert document(files[f"{number}-cii.xml"]) == ("CrossIndustryInvoice", number, "380")


def test_a_bulk_zip_of_an_unknown_format_is_refused(app, admin_client):
    invoice = make_invoice(number="INV-0001")
    data = {"ids": [str(invoice.id)], "einvoice_format": "ubl"}
    response = admin_client.post("/invoices/bulk/einvoices", data=data)
    assert response.status_code == 422
    assert "Choose an e-invoice format." in squeeze(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BulkJob)) == 0


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_the_bulk_zip_needs_the_csrf_token(app, admin_client, app_config):
    invoice = make_invoice(number="INV-0001")
    data = {"ids": [str(invoice.id)], "einvoice_format": "customer"}
    response = admin_client.post("/invoices/bulk/einvoices", data=data)
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BulkJob)) == 0
    billing = admin_client.get("/billing").get_data(as_text=True)
    assert 'formaction="/invoices/bulk/einvoices"' in billing
    assert '<option value="customer">E-invoices in each customer\'s format</option>' in unescape(
        billing
    )
    token = re.search(r'name="csrf_token" value="([^"]+)"', billing).group(1)
    response = admin_client.post("/invoices/bulk/einvoices", data={**data, "csrf_token": token})
    assert response.status_code == 303 and "/invoices/bulk/jobs/" in response.location


def test_the_cli_writes_an_e_invoice(demo, runner, tmp_path):
    out = tmp_path / "RE-0021.xml"
    result = runner.invoke(
        args=["invoices", "xml", "RE-0021", "--format", "peppol", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote {out} (" in result.output
    assert document(out.read_bytes()) == ("Invoice", "RE-0021", UBL_CUSTOMIZATION["peppol"])

    pdf = tmp_path / "RE-0015.pdf"
    args = ["invoices", "xml", "RE-0015", "--format", "facturx", "--out", str(pdf)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert document(embedded(pdf.read_bytes()))[:2] == ("CrossIndustryInvoice", "RE-0015")

    missing = tmp_path / "missing.xml"
    args = ["invoices", "xml", "RE-9999", "--format", "cii", "--out", str(missing)]
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and "There is no invoice RE-9999." in result.output
    assert not missing.exists()

    customer = db.session.get(Customer, demo["RE-0021"].customer_id)
    customer.endpoint_id = customer.endpoint_scheme = ""
    db.session.commit()
    refused = tmp_path / "refused.xml"
    args = ["invoices", "xml", "RE-0021", "--format", "peppol", "--out", str(refused)]
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "Buyer electronic address (BT-49)" in result.output
    assert not refused.exists()
