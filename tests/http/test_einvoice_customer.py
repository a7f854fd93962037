"""The customer form's e-invoicing section: the buyer's details (BT-10, BT-48, BT-49, BT-55),
what each emailed format needs, and which XML a customer gets (issue #17)."""

import pytest
from sqlalchemy import func, select

from billing.einvoice.buyer import BuyerDetails, xml_format
from billing.settings import get_settings
from models import Customer, db
from tests.factories import make_customer
from tests.pages import error_beside, squeeze, text

LEITWEG = "04011000-1234512345-06"


def customers() -> int:
    return db.session.scalar(select(func.count(Customer.id)))


def by_name(name: str) -> Customer:
    db.session.expire_all()
    return db.session.scalar(select(Customer).where(Customer.name == name))


def seller(vat_id: str = "DE136695976", tax_registration: str = "", contact: bool = True) -> None:
    settings = get_settings()
    settings.vat_id, settings.tax_registration = vat_id, tax_registration
    settings.address = "Friedrichstraße 123\n10117 Berlin"
    if contact:  # what XRechnung needs of the seller besides (BG-6, BT-84)
        settings.contact_name, settings.contact_phone = "Eva Beispiel", "+49 30 1234567"
        settings.contact_email, settings.iban = "rechnung@msp.example", "DE89370400440532013000"
    db.session.commit()


def belgian(**overrides) -> dict:
    data = {
        "name": "Brussels Dental",
        "billing_emails": "ap@dental.example",
        "address": "Rue Neuve 1\n1000 Bruxelles",
        "currency": "EUR",
        "active": "y",
        "country": "BE",
        "vat_id": "be 0123.456.749",
        "endpoint_scheme": "0208",
        "endpoint_id": "0123456749",
        "buyer_reference": "",
        "einvoice_format": "pdf_xml",
    }
    return {**data, **overrides}


def public_body(**overrides) -> dict:
    data = {
        "name": "Stadt Musterhausen",
        "billing_emails": "rechnung@musterhausen.example",
        "address": "Marktplatz 1\n12345 Musterhausen",
        "currency": "EUR",
        "active": "y",
        "country": "DE",
        "vat_id": "",
        "endpoint_scheme": "0204",
        "endpoint_id": LEITWEG,
        "buyer_reference": LEITWEG,
        "einvoice_format": "pdf_xml",
    }
    return {**data, **overrides}


def refused(response, field: str, *words: str) -> str:
    assert response.status_code == 422, response.status_code
    message = error_beside(response, field)
    for word in words:
        assert word in message, message
    return message


def test_a_belgian_peppol_customer_is_saved_compact_and_gets_peppol(admin_client):
    seller()
    response = admin_client.post("/customers/new", data=belgian())
    assert response.status_code == 302, squeeze(response)
    saved = by_name("Brussels Dental")
    assert (saved.country, saved.vat_id) == ("BE", "BE0123456749")
    assert (saved.endpoint_scheme, saved.endpoint_id) == ("0208", "0123456749")
    assert saved.einvoice_format == "pdf_xml" and xml_format(saved) == "peppol"
    page = text(admin_client.get(f"/customers/{saved.id}/edit"))
    assert 'value="BE0123456749"' in page and '<option selected value="BE">' in page


def test_a_german_public_body_with_a_leitweg_id_gets_xrechnung(admin_client):
    seller(vat_id="", tax_registration="12/345/67890")  # a Steuernummer (BT-32) is enough
    response = admin_client.post("/customers/new", data=public_body())
    assert response.status_code == 302, squeeze(response)
    saved = by_name("Stadt Musterhausen")
    assert (saved.buyer_reference, saved.endpoint_scheme) == (LEITWEG, "0204")
    assert xml_format(saved) == "xrechnung"


def test_xrechnung_is_refused_while_the_seller_lacks_a_contact_or_an_iban(admin_client):
    seller(contact=False)
    response = admin_client.post("/customers/new", data=public_body())
    refused(response, "einvoice_format", "Seller contact (BG-6)", "Admin > Settings")
    settings = get_settings()
    settings.contact_name, settings.contact_phone = "Eva Beispiel", "+49 30 1234567"
    settings.contact_email = "rechnung@msp.example"
    db.session.commit()
    response = admin_client.post("/customers/new", data=public_body())
    refused(response, "einvoice_format", "Payment account identifier (BT-84)", "IBAN")
    assert customers() == 0


def test_which_xml_each_format_gets():
    assert xml_format(BuyerDetails(einvoice_format="pdf", buyer_reference=LEITWEG)) is None
    assert (
        xml_format(BuyerDetails(einvoice_format="pdf_xml", buyer_reference="PO 4711")) == "peppol"
    )
    assert xml_format(BuyerDetails(einvoice_format="facturx")) == "cii"
    assert xml_format(BuyerDetails(einvoice_format="facturx", buyer_reference=LEITWEG)) == (
        "xrechnung"
    )


def test_an_e_invoice_format_is_refused_while_the_seller_has_no_vat_number(admin_client):
    # Issue #17's acceptance: a missing VAT ID is refused at the form, not at generation.
    seller(vat_id="", tax_registration="")
    for chosen in ("pdf_xml", "facturx"):
        response = admin_client.post("/customers/new", data=belgian(einvoice_format=chosen))
        message = refused(response, "einvoice_format", "Seller VAT identifier (BT-31)")
        assert "Admin > Settings" in message
    assert customers() == 0


def test_a_pdf_customer_leaves_every_e_invoicing_detail_empty(admin_client):
    seller(vat_id="")
    empty = dict.fromkeys(("country", "vat_id", "endpoint_scheme", "endpoint_id"), "")
    response = admin_client.post("/customers/new", data=belgian(einvoice_format="pdf", **empty))
    assert response.status_code == 302, squeeze(response)
    saved = by_name("Brussels Dental")
    assert (saved.country, saved.vat_id, saved.endpoint_id) == ("", "", "")
    assert xml_format(saved) is None


def test_peppol_needs_the_buyer_electronic_address(admin_client):
    seller()
    response = admin_client.post("/customers/new", data=belgian(endpoint_id="", endpoint_scheme=""))
    refused(response, "endpoint_id", "Buyer electronic address (BT-49)", "PEPPOL-EN16931-R010")
    assert customers() == 0


def test_xrechnung_needs_post_codes_on_both_addresses(admin_client):
    seller()
    response = admin_client.post("/customers/new", data=public_body(address="Marktplatz 1"))
    refused(response, "address", "Buyer post code (BT-53)", "BR-DE-8")
    settings = get_settings()
    settings.address = "Friedrichstraße 123, Berlin"
    db.session.commit()
    response = admin_client.post("/customers/new", data=public_body())
    refused(response, "einvoice_format", "Seller post code (BT-38)", "Admin > Settings")
    assert customers() == 0


def test_xrechnung_needs_the_buyer_electronic_address_too(admin_client):
    seller()
    response = admin_client.post(
        "/customers/new", data=public_body(endpoint_id="", endpoint_scheme="")
    )
    refused(response, "endpoint_id", "Buyer electronic address (BT-49)", "XRechnung")
    assert customers() == 0


def test_factur_x_needs_the_country_and_the_address(admin_client):
    seller()
    data = belgian(einvoice_format="facturx", country="", address="")
    response = admin_client.post("/customers/new", data=data)
    refused(response, "country", "Buyer country (BT-55)")
    refused(response, "address", "Buyer postal address (BG-8)")
    assert customers() == 0


def test_a_bad_vat_number_is_refused_beside_it(admin_client):
    seller()
    response = admin_client.post("/customers/new", data=belgian(vat_id="BE0123456789"))
    refused(response, "vat_id", "Buyer VAT identifier (BT-48)")
    assert customers() == 0


def test_a_bad_leitweg_id_is_refused_beside_the_buyer_reference(admin_client):
    seller()
    bad = "04011000-1234512345-07"  # check digits wrong
    response = admin_client.post("/customers/new", data=public_body(buyer_reference=bad))
    refused(response, "buyer_reference", "Buyer reference (BT-10)", "Leitweg-ID")
    assert customers() == 0


def test_an_edit_that_breaks_a_rule_changes_nothing(admin_client):
    seller()
    customer = make_customer(name="Brussels Dental", currency="EUR")
    response = admin_client.post(
        f"/customers/{customer.id}/edit", data=belgian(vat_id="BE0123456789")
    )
    refused(response, "vat_id", "BT-48")
    saved = by_name("Brussels Dental")
    assert (saved.vat_id, saved.einvoice_format) == ("", "pdf")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("country", "ZZ"),
        ("country", "X" * 10_000),
        ("country", "1e309"),
        ("country", "٣٣"),
        ("einvoice_format", "xml"),
        ("einvoice_format", ""),
        ("einvoice_format", "٣" * 10_000),
        ("endpoint_scheme", "9999"),
        ("vat_id", "BE" + "٣" * 10),
        ("vat_id", "1e309" * 2_000),
        ("buyer_reference", "R" * 10_000),
    ],
)
def test_a_hostile_value_is_refused_not_a_server_error(admin_client, field, value):
    seller()
    response = admin_client.post("/customers/new", data=belgian(**{field: value}))
    beside = "endpoint_id" if field == "endpoint_scheme" else field
    refused(response, beside)
    assert customers() == 0


def test_the_country_list_is_in_the_company_language(admin_client):
    settings = get_settings()
    settings.country = "DE"
    db.session.commit()
    page = squeeze(admin_client.get("/customers/new"))
    assert "E-invoicing" in page and "Belgien" in page and "Österreich" in page
    assert "Leitweg-ID" in page and "Factur-X (PDF with the XML inside)" in page
    assert '<option selected value="DE">' in text(admin_client.get("/customers/new"))
