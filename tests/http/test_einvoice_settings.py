"""Admin > Settings, the e-invoicing section (issue #17, item 1): the seller's EN 16931 data is
stored compact, each refused value is told beside its field with nothing saved, hostile input
is never a 500, and only admins reach it."""

import pytest

from billing.einvoice.seller import SellerDetails, check_seller, max_length, seller_legal_name
from billing.errors import ValidationFailed
from billing.settings import get_settings
from models import Settings, db
from tests.http.test_admin_settings import valid_form
from tests.pages import error_beside, text

SELLER = {
    "legal_name": "Acme IT GmbH",
    "vat_id": "de 123 456 788",
    "tax_registration": "123/456/78901",
    "registration_number": "HRB 12345, Amtsgericht München",
    "endpoint_id": "DE123456788",
    "endpoint_scheme": "9930",
    "iban": "DE89 3704 0044 0532 0130 00",
    "bic": "cobadeffxxx",
    "payment_terms_text": "Net 30 days, 2% discount within 10 days",
    "contact_name": "Ada Admin",
    "contact_phone": "+49 30 1234567",
    "contact_email": "Billing@Acme-IT.de",
}
STORED = {
    **SELLER,
    "vat_id": "DE123456788",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "contact_email": "billing@acme-it.de",
}


def seller_form(**overrides) -> dict:
    """A complete, valid Settings post with every e-invoicing field filled in."""
    return valid_form(**{**SELLER, **overrides})


def stored() -> Settings:
    db.session.expire_all()
    return get_settings()


def seller_values() -> dict:
    settings = stored()
    return {name: getattr(settings, name) for name in SELLER}


@pytest.fixture
def saved(admin_client):
    """The full valid set, saved once: what a refused post must leave alone."""
    assert admin_client.post("/admin/settings", data=seller_form()).status_code == 302
    return seller_values()


def test_a_full_valid_set_is_stored_compact(admin_client, saved):
    assert saved == STORED
    page = text(admin_client.get("/admin/settings"))
    assert "E-invoicing (EN 16931)" in page and "Settings saved." in page
    assert 'value="DE123456788"' in page and 'value="DE89370400440532013000"' in page
    assert '<option selected value="9930">9930 – German VAT number</option>' in page
    assert '<option value="">None</option>' in page
    assert "Net 30 days, 2% discount within 10 days" in page


def test_everything_is_optional_and_empties_are_stored_empty(admin_client, saved):
    blank = dict.fromkeys(SELLER, "")
    assert admin_client.post("/admin/settings", data=valid_form(**blank)).status_code == 302
    assert seller_values() == blank
    assert seller_legal_name(stored()) == "Acme IT"  # empty legal name: the company name


def test_a_leitweg_id_address_is_kept(admin_client):
    address = {"endpoint_id": "04011000-1234512345-06", "endpoint_scheme": "0204"}
    assert admin_client.post("/admin/settings", data=seller_form(**address)).status_code == 302
    assert stored().endpoint_id == "04011000-1234512345-06"
    assert stored().endpoint_scheme == "0204"


REFUSED = [
    ("iban", {"iban": "DE88 3704 0044 0532 0130 00"}, "BT-84"),  # wrong check digits
    ("bic", {"bic": "COBADEFFX"}, "BT-86"),  # 9 characters
    ("vat_id", {"vat_id": "DE123456789"}, "BT-31"),  # wrong check digit
    ("endpoint_id", {"endpoint_id": "", "endpoint_scheme": "9930"}, "enter the electronic"),
    ("endpoint_scheme", {"endpoint_scheme": ""}, "choose the scheme"),
    (
        "endpoint_id",
        {"endpoint_id": "04011000-1234512345-07", "endpoint_scheme": "0204"},
        "not a valid Leitweg-ID",
    ),
    ("contact_email", {"contact_email": "billing at acme"}, "BT-43"),
    ("contact_phone", {"contact_phone": "call us"}, "BT-42"),
    ("legal_name", {"legal_name": "x" * 201}, "at most 200"),
    ("endpoint_scheme", {"endpoint_scheme": "9999"}, "Not a valid choice"),
]


@pytest.mark.parametrize(("field", "values", "message"), REFUSED)
def test_a_refused_value_is_told_beside_its_field_and_nothing_is_saved(
    admin_client, saved, field, values, message
):
    changed = {"legal_name": "Changed GmbH", "contact_name": "Someone Else", **values}
    response = admin_client.post(
        "/admin/settings", data=seller_form(company_name="Not saved", **changed)
    )
    assert response.status_code == 422
    assert message in error_beside(response, field)
    assert stored().company_name == "Acme IT" and seller_values() == saved


def test_every_refused_value_is_shown_at_once(admin_client):
    response = admin_client.post(
        "/admin/settings",
        data=seller_form(iban="DE00 0000", bic="X", vat_id="FR1", endpoint_scheme=""),
    )
    assert response.status_code == 422
    for field in ("iban", "bic", "vat_id", "endpoint_scheme"):
        assert error_beside(response, field)


HOSTILE = ["x" * 10_000, "1e309", "١٢٣٤٥", "<script>alert(1)</script>", "DE\u200b123456788", "\x00"]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("field", [*SELLER])
def test_hostile_values_are_never_a_500(admin_client, field, value):
    response = admin_client.post("/admin/settings", data=seller_form(**{field: value}))
    assert response.status_code in (302, 422)
    assert "<script>alert(1)" not in response.get_data(as_text=True)
    if response.status_code == 302:
        settings = stored()
        assert all(len(getattr(settings, name)) <= max_length(name) for name in SELLER)


def test_a_technician_may_not_see_or_change_the_settings(tech_client):
    assert tech_client.get("/admin/settings").status_code == 403
    response = tech_client.post("/admin/settings", data=seller_form())
    assert response.status_code == 403
    assert stored().vat_id == ""


def test_the_rules_refuse_without_the_form_too(app):
    """What saves without the form (a seed, a command) gets the same rules and compact values."""
    assert check_seller(SellerDetails(**SELLER)) == SellerDetails(**STORED)
    with pytest.raises(ValidationFailed) as refused:
        check_seller(SellerDetails(endpoint_id="DE123456788"))
    assert refused.value.field == "endpoint_scheme"
    with pytest.raises(ValidationFailed) as refused:
        check_seller(SellerDetails(contact_name="x" * 121))
    assert refused.value.field == "contact_name" and "at most 120" in str(refused.value)
