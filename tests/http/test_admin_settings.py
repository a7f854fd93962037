"""Admin > Settings: the page, saving, every validation rule, the logo, and who may see it."""

import html
import os
from datetime import date
from io import BytesIO

import pytest
from PIL import Image

from billing.settings import MAX_LOGO_BYTES, default_currency, get_settings
from models import Customer, Role, Settings, db
from tests.factories import make_invoice, make_user


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (4, 3)) -> bytes:
    """A real, tiny image made with Pillow."""
    buffer = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def valid_form(**overrides) -> dict:
    """A complete, valid Settings form post."""
    data = {
        "company_name": "Acme IT",
        "address": "1 Main Street\nSpringfield",
        "country": "DE",
        "currency_override": "",
        "tax_id": "DE123456789",
        "payment_terms_days": "14",
        "bank_details": "IBAN DE02 1203 0000 0000 2020 51",
        "invoice_prefix": "ACME-",
        "next_invoice_number": "100",
        "credit_note_prefix": "CN-",
        "next_credit_note_number": "1",
        "email_subject": "Invoice {number} from {company}",
        "email_body": "Hello {customer}, {total} is due on {due_date}. {{Thanks}}",
        "invoice_footer": "Thank you for your business.",
    }
    data.update(overrides)
    return data


def stored() -> Settings:
    db.session.expire_all()
    return get_settings()


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_page_shows_the_current_settings(admin_client):
    settings = get_settings()
    settings.company_name, settings.country, settings.tax_id = "Acme IT", "FR", "FR-42"
    db.session.commit()
    page = text(admin_client.get("/admin/settings"))
    assert 'value="Acme IT"' in page and 'value="FR-42"' in page
    assert '<option selected value="FR">France</option>' in page
    assert "Follow the country (EUR)" in page and "Billing in EUR" in page
    assert "{number}" in page and "{due_date}" in page  # the placeholders are listed
    assert 'enctype="multipart/form-data"' in page
    assert 'aria-current="page">Settings</a>' in page  # the admin sub-nav


def test_saving_stores_everything_and_the_currency_follows_the_country(admin_client):
    response = admin_client.post("/admin/settings", data=valid_form())
    assert response.status_code == 302 and response.location == "/admin/settings"
    settings = stored()
    assert settings.company_name == "Acme IT" and settings.country == "DE"
    assert settings.currency_override is None and default_currency(settings) == "EUR"
    assert settings.payment_terms_days == 14 and settings.next_invoice_number == 100
    assert settings.invoice_prefix == "ACME-" and settings.tax_id == "DE123456789"
    assert settings.email_body.endswith("{{Thanks}}")
    page = text(admin_client.get("/admin/settings"))
    assert "Settings saved." in page and "Billing in EUR" in page


def test_currency_list_holds_current_currencies_and_the_one_stored(admin_client):
    page = text(admin_client.get("/admin/settings"))
    assert '<option value="CHF">CHF – Swiss Franc</option>' in page
    for historic in ("DEM", "XEU", "HRK", "XAU"):
        assert f'value="{historic}"' not in page, historic
    get_settings().currency_override = "HRK"  # stored before the list was trimmed
    db.session.commit()
    page = text(admin_client.get("/admin/settings"))
    assert '<option selected value="HRK">HRK – Croatian Kuna</option>' in page
    saved = admin_client.post("/admin/settings", data=valid_form(currency_override="HRK"))
    assert saved.status_code == 302 and stored().currency_override == "HRK"


def test_currency_override_and_back_to_following_the_country(admin_client):
    admin_client.post("/admin/settings", data=valid_form(currency_override="CHF"))
    settings = stored()
    assert settings.currency_override == "CHF" and default_currency(settings) == "CHF"
    assert "Billing in CHF" in text(admin_client.get("/admin/settings"))
    admin_client.post("/admin/settings", data=valid_form(currency_override=""))
    assert stored().currency_override is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("payment_terms_days", "366", "Enter 0 to 365 days."),
        ("payment_terms_days", "-1", "Enter 0 to 365 days."),
        ("payment_terms_days", "soon", "Enter a whole number such as 30: “soon” is not one."),
        ("invoice_prefix", "INV 2025", 'Use at most 20 letters, digits, "-", "/" or "_"'),
        ("invoice_prefix", "INV#", 'Use at most 20 letters, digits, "-", "/" or "_"'),
        ("invoice_prefix", "A" * 21, 'Use at most 20 letters, digits, "-", "/" or "_"'),
        ("next_invoice_number", "0", "Enter 1 or more."),
        ("email_subject", "Invoice {nummer}", "Unknown placeholder {nummer}. Use only {number}"),
        ("email_body", "Hello {customer", 'A "{" or "}" is not matched.'),
        ("email_body", "Hi } there", 'A "{" or "}" is not matched.'),
        ("email_body", "{total:>10} {foo} {}", "Unknown placeholders {total:>10}, {foo}, {}."),
        ("email_subject", "{company.__class__}", "Unknown placeholder {company.__class__}"),
        ("country", "XX", "Not a valid choice"),
        ("currency_override", "XYZ", "Not a valid choice"),
        ("currency_override", "DEM", "Not a valid choice"),  # historic: no longer offered
    ],
)
def test_invalid_input_is_refused_beside_its_field_and_nothing_is_saved(
    admin_client, field, value, message
):
    response = admin_client.post(
        "/admin/settings", data=valid_form(company_name="Not saved", **{field: value})
    )
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert f'class="field has-error" id="field-{field}"' in page
    assert 'value="Not saved"' in page  # the form keeps what was typed
    assert stored().company_name == ""


def test_several_errors_are_shown_at_once(admin_client):
    data = valid_form(
        invoice_prefix="bad prefix",
        email_subject="{oops}",
        payment_terms_days="",
        logo=(BytesIO(b"not an image"), "logo.png"),
    )
    response = admin_client.post("/admin/settings", data=data)
    assert response.status_code == 422
    page = text(response)
    assert "Use at most 20 letters" in page and "Unknown placeholder {oops}" in page
    assert "This field is required." in page and "Upload a PNG, JPEG, GIF or WebP" in page
    assert page.count('class="field has-error"') == 4


def test_next_number_may_go_down_while_no_invoice_exists(admin_client):
    admin_client.post("/admin/settings", data=valid_form(next_invoice_number="50"))
    response = admin_client.post("/admin/settings", data=valid_form(next_invoice_number="3"))
    assert response.status_code == 302
    assert stored().next_invoice_number == 3


def test_next_number_never_goes_below_its_value_once_invoices_exist(admin_client):
    admin_client.post("/admin/settings", data=valid_form(next_invoice_number="10"))
    customer = Customer(name="Customer ACME-9", currency="USD")  # its number is used now
    make_invoice(customer, number="ACME-9", issue_date=date(2025, 1, 1), due_date=date(2025, 1, 31))
    lower = admin_client.post(
        "/admin/settings", data=valid_form(next_invoice_number="5", company_name="Not saved")
    )
    assert lower.status_code == 422
    page = text(lower)
    assert "cannot go below 10: numbers are never reused" in page
    assert 'class="field has-error" id="field-next_invoice_number"' in page
    settings = stored()
    assert settings.next_invoice_number == 10 and settings.company_name == "Acme IT"
    assert (
        admin_client.post("/admin/settings", data=valid_form(next_invoice_number="10")).status_code
        == 302
    )
    assert (
        admin_client.post("/admin/settings", data=valid_form(next_invoice_number="25")).status_code
        == 302
    )
    assert stored().next_invoice_number == 25


@pytest.mark.parametrize(("fmt", "mimetype"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_logo_upload_is_judged_by_content_stored_and_served(admin_client, fmt, mimetype):
    logo = image_bytes(fmt)
    # The file name says nothing: a JPEG called .txt is still a JPEG.
    data = valid_form(logo=(BytesIO(logo), "logo.txt"))
    response = admin_client.post("/admin/settings", data=data)
    assert response.status_code == 302
    settings = stored()
    assert settings.logo == logo and settings.logo_mimetype == mimetype
    served = admin_client.get("/admin/settings/logo")
    assert served.status_code == 200 and served.data == logo
    assert served.mimetype == mimetype
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    page = text(admin_client.get("/admin/settings"))
    assert 'alt="Company logo"' in page and "Remove the logo" in page


def test_saving_without_a_file_keeps_the_logo_and_remove_forgets_it(admin_client):
    logo = image_bytes()
    admin_client.post("/admin/settings", data=valid_form(logo=(BytesIO(logo), "logo.png")))
    admin_client.post("/admin/settings", data=valid_form(company_name="Renamed"))
    assert stored().logo == logo
    response = admin_client.post("/admin/settings", data=valid_form(remove_logo="y"))
    assert response.status_code == 302
    settings = stored()
    assert settings.logo is None and settings.logo_mimetype is None
    assert admin_client.get("/admin/settings/logo").status_code == 404


def _upload_refused(admin_client, content: bytes, filename: str, message: str) -> None:
    data = valid_form(company_name="Not saved", logo=(BytesIO(content), filename))
    response = admin_client.post("/admin/settings", data=data)
    assert response.status_code == 422
    page = text(response)
    assert message in page and 'class="field has-error" id="field-logo"' in page
    settings = stored()
    assert settings.logo is None and settings.company_name == ""


def test_text_file_named_png_is_refused(admin_client):
    _upload_refused(
        admin_client, b"just some text, not a PNG\n", "logo.png", "Upload a PNG, JPEG, GIF or WebP"
    )


def test_image_in_another_format_is_refused(admin_client):
    _upload_refused(admin_client, image_bytes("BMP"), "logo.png", "Upload a PNG, JPEG, GIF or WebP")


def test_logo_over_one_megabyte_is_refused(admin_client):
    noise = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    buffer = BytesIO()
    noise.save(buffer, "PNG")
    big = buffer.getvalue()
    assert len(big) > MAX_LOGO_BYTES  # a real PNG, refused for its size alone
    _upload_refused(admin_client, big, "big.png", "The logo may be at most 1 MB.")


def test_logo_is_404_while_there_is_none(admin_client):
    assert admin_client.get("/admin/settings/logo").status_code == 404


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_post_without_csrf_token_saves_nothing(admin_client, app_config):
    response = admin_client.post("/admin/settings", data=valid_form())
    assert response.status_code == 400
    assert stored().company_name == ""


def test_technicians_may_neither_see_nor_change_settings(tech_client):
    assert tech_client.get("/admin/settings").status_code == 403
    assert tech_client.post("/admin/settings", data=valid_form()).status_code == 403
    assert tech_client.get("/admin/settings/logo").status_code == 403
    assert stored().company_name == ""


def test_admin_overview_links_every_area(admin_client):
    get_settings().company_name = "Acme IT"
    db.session.commit()
    page = text(admin_client.get("/admin/"))
    for href in ("/admin/settings", "/admin/taxes", "/admin/rates", "/admin/products"):
        assert f'href="{href}"' in page
    assert 'href="/admin/users"' in page and "Acme IT" in page
    assert "1 active, of whom 1 admin" in page


def test_admin_overview_shows_the_next_number_as_printed_and_counts_in_words(admin_client):
    settings = get_settings()
    settings.invoice_prefix, settings.next_invoice_number = "INV-", 55
    make_user(Role.ADMIN)
    make_user(Role.TECHNICIAN)
    page = text(admin_client.get("/admin/"))
    assert "next invoice INV-0055" in page and "INV-55" not in page
    assert "3 active, of whom 2 admins" in page
