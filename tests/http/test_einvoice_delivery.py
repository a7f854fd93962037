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
    r'<a href="([^"]+)" download data-format="([^"]+)">([^<]+)</a>\s*'
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
    reader = log_in(app.test_client(), make_user(Role.TECHNICIAN, name="Tess Tech"))
    reader_user = db.session.scalars(sa.select(type(admin_client)._user_cls())).first() if False else None  # noqa: E501
    assert reader_user is None
