"""The invoice PDF: its content (read back with pypdf), pagination, the download and the zip."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pypdf
import pytest
from PIL import Image

from billing.invoices.pdf import render_invoice_pdf
from billing.invoices.snapshot import issuer_snapshot, recompute_totals
from billing.money import format_money
from billing.settings import company_locale, get_settings
from models import Invoice, InvoiceLine, InvoiceStatus, LineKind, db
from tests.factories import make_customer, make_tax_rate

LINES = [
    # description, quantity, unit price, discount, tax: None, "sales" or "reduced"
    ("Managed IT, October", Decimal(1), 90000, 0, "sales"),
    ("Server reboot (ticket #12)", Decimal("1.5"), 12500, 0, "sales"),
    ("Patch cable", Decimal(3), 1500, 500, "reduced"),
    ("Travel (not taxed)", Decimal(1), 4000, 0, None),
]


def make_invoice(
    number: str = "INV-0001",
    lines=LINES,
    status: InvoiceStatus = InvoiceStatus.DRAFT,
    customer=None,
    **fields,
) -> Invoice:
    """A committed invoice with ``lines``, its issuer snapshot and totals."""
    settings = get_settings()
    if not settings.company_name:
        settings.company_name = "Bright IT LLC"
        settings.address = "500 Market St\nSan Francisco, CA 94105"
        settings.tax_id = "EIN 12-3456789"
        settings.bank_details = "Bank of Example, routing 123456789, account 987654321"
        settings.invoice_footer = "Thank you for your business."
    customer = customer or make_customer(
        name=f"Acme Dental {number}", billing_emails="ap@acme.example.com, boss@acme.example.com"
    )
    taxes = {
        "sales": make_tax_rate(name=f"Sales tax {number}", percent=Decimal("8.25")),
        "reduced": make_tax_rate(name=f"Reduced {number}", percent=Decimal(5)),
    }
    values = dict(
        number=number,
        customer=customer,
        issue_date=date(2026, 10, 31),
        due_date=date(2026, 11, 30),
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        currency=customer.currency,
        bill_to_name=customer.name,
        bill_to_address=customer.address,
        bill_to_emails=customer.billing_emails,
        issuer=issuer_snapshot(settings),
        status=status,
        notes="PO 4711",
    )
    invoice = Invoice(**{**values, **fields})
    for position, (description, quantity, unit, discount, tax) in enumerate(lines):
        rate = taxes.get(tax)
        invoice.lines.append(
            InvoiceLine(
                position=position,
                kind=LineKind.CUSTOM,
                description=description,
                quantity=quantity,
                unit_price_minor=unit,
                discount_minor=discount,
                amount_minor=int(quantity * unit) - discount,
                tax_rate_id=rate.id if rate else None,
                tax_name=rate.name if rate else "",
                tax_percent=rate.percent if rate else Decimal(0),
            )
        )
    db.session.add(invoice)
    recompute_totals(invoice)
    db.session.commit()
    return invoice


def pdf_pages(data: bytes) -> list[str]:
    """Each page's text, whitespace collapsed (a wrapped description reads as one line)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def money(minor: int, currency: str = "USD") -> str:
    return format_money(minor, currency, company_locale(get_settings()))


def test_the_pdf_holds_the_whole_invoice(app, billing_tech_client):
    invoice = make_invoice()
    response = billing_tech_client.get(f"/invoices/{invoice.id}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    (text,) = pdf_pages(response.data)
    for expected in (
        "INV-0001",
        "Acme Dental INV-0001",
        "Bright IT LLC",
        "EIN 12-3456789",
        "500 Market St",
        "Oct 31, 2026",
        "Oct 1, 2026 – Oct 31, 2026",
        "Payment due within 30 days, by Nov 30, 2026.",
        "Bank of Example, routing 123456789",
        "PO 4711",
        "Thank you for your business.",
        "Page 1 of 1",
    ):
        assert expected in text, expected
    for line in invoice.lines:
        assert line.description in text
        assert money(line.amount_minor) in text
    assert money(500) in text  # the discount column shows when a line has one
    totals = recompute_totals(invoice)
    assert f"Subtotal {money(totals.subtotal_minor)}" in text
    for tax in totals.taxes:
        percent = f"{tax.tax.percent.normalize():f}"
        assert (
            f"{tax.tax.name} ({percent} %) on {money(tax.base_minor)} {money(tax.tax_minor)}"
            in text
        )
    assert f"Total USD {money(invoice.total_minor)}" in text
    assert money(invoice.total_minor) == "$1,259.22"  # 1,167.50 + 8.25% of 1,087.50 + 5% of 40


def test_a_tax_named_with_its_rate_prints_the_rate_once(app):
    invoice = make_invoice(number="INV-0065", lines=[("Router", Decimal(1), 20000, 0, "sales")])
    line = invoice.lines[0]
    line.tax_name, line.tax_percent = "Hardware tax 6.5%", Decimal("6.5")
    recompute_totals(invoice)
    db.session.commit()
    (text,) = pdf_pages(render_invoice_pdf(invoice))
    assert "Hardware tax 6.5% on $200.00 $13.00" in text
    assert "(6.5 %)" not in text and text.count("6.5%") == 2  # the total's label, the line's rate


def test_download_name_inline_and_deterministic(admin_client, app):
    invoice = make_invoice(number="INV/2026/7")
    first = admin_client.get(f"/invoices/{invoice.id}/pdf")
    assert first.headers["Content-Disposition"] == 'attachment; filename="INV-2026-7.pdf"'
    inline = admin_client.get(f"/invoices/{invoice.id}/pdf?inline=1")
    assert inline.headers["Content-Disposition"] == 'inline; filename="INV-2026-7.pdf"'
    assert "private" in first.headers["Cache-Control"]
    # No timestamp or random /ID: the same invoice gives the same bytes.
    assert inline.data == first.data


def test_pdf_needs_a_login_and_an_invoice(client, admin_client, app):
    assert admin_client.get("/invoices/999/pdf").status_code == 404
    admin_client.post("/auth/logout")
    response = client.get("/invoices/1/pdf")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("size", "fmt", "shown"),
    [((120, 40), "PNG", (120, 40)), ((1500, 500), "GIF", (600, 200)), ((90, 30), "GIF", (90, 30))],
)
def test_issuer_is_the_snapshot_and_the_logo_the_current_one(app, size, fmt, shown):
    invoice = make_invoice()
    settings = get_settings()
    settings.company_name = "New Name Inc"
    buffer = io.BytesIO()
    Image.new("RGB", size, (31, 95, 191)).save(buffer, fmt)
    settings.logo, settings.logo_mimetype = buffer.getvalue(), f"image/{fmt.lower()}"
    db.session.commit()
    data = render_invoice_pdf(invoice)
    (text,) = pdf_pages(data)
    assert "Bright IT LLC" in text and "New Name Inc" not in text
    (logo,) = pypdf.PdfReader(io.BytesIO(data)).pages[0].images
    assert logo.image.size == shown  # a large upload is shrunk to what the PDF shows


def test_euro_and_narrow_spaces_render(app):
    settings = get_settings()
    settings.country = "FR"
    customer = make_customer(name="Dupont SARL", currency="EUR")
    invoice = make_invoice(customer=customer, lines=[("Maintenance", Decimal(1), 123456, 0, None)])
    data = render_invoice_pdf(invoice)
    (text,) = pdf_pages(data)
    assert "€" in text and "1 234,56" in text.replace("\u202f", " ").replace("\xa0", " ")
    fonts = pypdf.PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"]
    names = {str(font.get_object()["/BaseFont"]) for font in fonts.values()}
    assert any("DejaVuSans" in name for name in names), names


def test_three_hundred_lines_paginate_with_the_header_on_every_page(app):
    lines = [
        (f"Workstation maintenance for seat {i:03d}", Decimal(1), 2500 + i, 0, "sales")
        for i in range(300)
    ]
    invoice = make_invoice(lines=lines)
    pages = pdf_pages(render_invoice_pdf(invoice))
    assert len(pages) > 3
    for number, text in enumerate(pages, start=1):
        assert "DESCRIPTION QTY UNIT PRICE TAX AMOUNT" in text, number
        assert f"Page {number} of {len(pages)}" in text
    assert "Page 2 of" in pages[1]
    everything = " ".join(pages)
    for description, *_ in lines:
        assert everything.count(description) == 1, description  # none lost, none twice
    assert f"Total USD {money(invoice.total_minor)}" in pages[-1]


@pytest.mark.parametrize("user", ["admin_client", "billing_tech_client"])
def test_bulk_pdf_zips_each_invoice(request, app, user):
    http = request.getfixturevalue(user)
    invoices = [make_invoice(number=f"INV-00{n}") for n in (7, 8)]
    response = http.post("/invoices/bulk/pdf", data={"ids": [i.id for i in invoices]})
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == 'attachment; filename="invoices.zip"'
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.namelist() == ["INV-007.pdf", "INV-008.pdf"]
        for invoice in invoices:
            pdf = archive.read(f"{invoice.number}.pdf")
            assert pdf == render_invoice_pdf(invoice)
            assert invoice.number in pdf_pages(pdf)[0]


@pytest.mark.parametrize(
    ("ids", "status"), [([], 422), (["x"], 422), (["12345"], 404)], ids=["none", "text", "unknown"]
)
def test_bulk_pdf_refuses_a_bad_selection(admin_client, app, ids, status):
    assert admin_client.post("/invoices/bulk/pdf", data={"ids": ids}).status_code == status


def test_without_dejavu_the_pdf_falls_back_to_helvetica(app, monkeypatch, tmp_path):
    monkeypatch.setattr("billing.invoices.pdf.DEJAVU_DIR", tmp_path / "no-fonts")
    customer = make_customer(name="Dupont SARL", currency="EUR")
    data = render_invoice_pdf(make_invoice(customer=customer))
    assert "€" in pdf_pages(data)[0]
    fonts = pypdf.PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"]
    names = {str(font.get_object()["/BaseFont"]) for font in fonts.values()}
    assert names and all("Helvetica" in name for name in names), names


def footer_runs(data: bytes) -> list[list[tuple[str, float, float, float]]]:
    """Per page, the footer's text runs: (text, x where it starts, baseline y, font size)."""
    pages = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        runs = []

        def visit(text, cm, tm, font, size, runs=runs):
            x, y = cm[4] + tm[4] * cm[0], cm[5] + tm[5] * cm[3]
            if text.strip() and y < 2.2 * 72 / 2.54:  # inside the bottom margin
                runs.append((text.strip(), x, y, size))

        page.extract_text(visitor_text=visit)
        pages.append(runs)
    return pages


@pytest.mark.parametrize(("country", "width"), [("US", 612), ("FR", 595.28)])
def test_every_page_has_its_footer_in_the_bottom_margin(app, country, width):
    get_settings().country = country
    lines = [(f"Seat {i:03d}", Decimal(1), 2500, 0, "sales") for i in range(80)]
    data = render_invoice_pdf(make_invoice(lines=lines))
    pages = footer_runs(data)
    assert len(pages) >= 2
    for number, runs in enumerate(pages, start=1):
        texts = [text for text, *_ in runs]
        assert texts == ["Bright IT LLC · Invoice INV-0001", f"Page {number} of {len(pages)}"]
        (_, left, y, size), (right_text, right, y2, _) = runs
        assert size == 7.5 and y == pytest.approx(y2)
        assert left == pytest.approx(1.5 * 72 / 2.54, abs=0.1)  # the page's left margin
        assert right > width / 2  # flush right, not after the company's name


def test_a_long_invoice_is_the_same_bytes_every_time(app):
    lines = [(f"Seat {i:03d}", Decimal(1), 2500 + i, 0, "sales") for i in range(120)]
    invoice = make_invoice(lines=lines)
    first = render_invoice_pdf(invoice)
    assert len(pdf_pages(first)) > 1
    assert render_invoice_pdf(invoice) == first


def test_the_body_is_laid_out_once(app, monkeypatch):
    # "of Y" used to come from <pdf:pagecount>, which makes xhtml2pdf lay everything out twice.
    from reportlab.platypus.doctemplate import BaseDocTemplate

    passes = []
    build = BaseDocTemplate.build

    def counting_build(self, *args, **kwargs):
        passes.append(self)
        return build(self, *args, **kwargs)

    monkeypatch.setattr(BaseDocTemplate, "build", counting_build)
    lines = [(f"Seat {i:03d}", Decimal(1), 2500, 0, "sales") for i in range(80)]
    data = render_invoice_pdf(make_invoice(lines=lines))
    assert len(passes) == 1
    assert "Page 2 of" in pdf_pages(data)[1]


def test_the_footer_is_in_dejavu_on_every_page(app):
    get_settings().company_name = "Ürün Bilişim A.Ş."
    lines = [(f"Seat {i:03d}", Decimal(1), 2500, 0, None) for i in range(80)]
    data = render_invoice_pdf(make_invoice(lines=lines))
    for page, text in zip(pypdf.PdfReader(io.BytesIO(data)).pages, pdf_pages(data), strict=True):
        assert "Ürün Bilişim A.Ş. · Invoice INV-0001" in text
        fonts = page["/Resources"]["/Font"]
        names = {str(font.get_object()["/BaseFont"]) for font in fonts.values()}
        assert any("DejaVuSans" in name for name in names), names
