"""Admin > Taxes: each rate's VAT category (BT-118) and exemption (BT-120/121), refused at the
form when the category does not fit the rate (issue #17: "an unknown category is refused at the
form, not at generation")."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from billing.catalog import save_tax_rate
from billing.einvoice.categories import vat_treatment
from billing.errors import ValidationFailed
from models import TaxRate, db
from tests.pages import count, error_beside, text


def post(client, url="/admin/taxes/new", **fields):
    data = {"name": "VAT", "percent": "19", "vat_category": "S", "active": "y"} | fields
    return client.post(url, data=data)


def stored(name: str = "VAT") -> TaxRate:
    db.session.expire_all()
    return db.session.scalar(select(TaxRate).where(TaxRate.name == name))


@pytest.mark.parametrize(
    ("fields", "category", "reason", "code"),
    [
        ({"percent": "19", "vat_category": "S"}, "S", "", ""),
        ({"percent": "0", "vat_category": "Z"}, "Z", "", ""),
        # The code's usual text becomes the reason when none is typed; codes are upper-cased.
        (
            {"percent": "0", "vat_category": "ae", "exemption_code": "vatex-eu-ae"},
            "AE",
            "Reverse charge",
            "VATEX-EU-AE",
        ),
        (
            {
                "percent": "0",
                "vat_category": "E",
                "exemption_reason": " Kleinunternehmer, § 19 UStG ",
            },
            "E",
            "Kleinunternehmer, § 19 UStG",
            "",
        ),
        (
            {"percent": "0", "vat_category": "G", "exemption_code": "VATEX-EU-G"},
            "G",
            "Export outside the EU",
            "VATEX-EU-G",
        ),
    ],
)
def test_rate_saved_with_its_category(admin_client, fields, category, reason, code):
    response = post(admin_client, **fields)
    assert response.status_code == 302 and response.location == "/admin/taxes"
    tax = stored()
    assert (tax.vat_category, tax.exemption_reason, tax.exemption_code) == (category, reason, code)
    page = text(admin_client.get("/admin/taxes"))
    assert "VAT category" in page and f"({category})" in page


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"vat_category": "XX"}, "vat_category", "VAT category (BT-118): “XX” is not"),
        ({"vat_category": "S' OR 1=1 --"}, "vat_category", "is not a VAT category"),
        ({"vat_category": "Ä" * 10_000}, "vat_category", "is not a VAT category"),
        ({"vat_category": "1e309"}, "vat_category", "is not a VAT category"),
        ({"vat_category": ""}, "vat_category", "choose the VAT category"),
        ({"exemption_code": "VATEX-XX"}, "exemption_code", "Exemption code (BT-121)"),
        ({"percent": "0", "vat_category": "S"}, "percent", "above 0 (BR-S-05)"),
        (
            {"percent": "19", "vat_category": "AE", "exemption_code": "VATEX-EU-AE"},
            "percent",
            "0 % (BR-AE-05)",
        ),
        ({"percent": "0", "vat_category": "AE"}, "exemption_reason", "(BR-AE-10)"),
        ({"percent": "0", "vat_category": "O"}, "exemption_reason", "(BR-O-10)"),
        (
            {"percent": "0", "vat_category": "E", "exemption_code": "VATEX-EU-G"},
            "exemption_code",
            "VATEX-EU-G is for Export outside the EU (G), not Exempt from VAT (E) "
            "(PEPPOL-EN16931-P0104)",
        ),
        (
            {"percent": "0", "vat_category": "K", "exemption_code": "VATEX-EU-AE"},
            "exemption_code",
            "PEPPOL-EN16931-P0107",
        ),
        (
            {"vat_category": "S", "exemption_reason": "Reverse charge"},
            "exemption_reason",
            "(BR-S-10)",
        ),
        (
            {"percent": "0", "vat_category": "Z", "exemption_code": "VATEX-EU-O"},
            "exemption_code",
            "(BR-Z-10)",
        ),
        ({"exemption_reason": "x" * 10_000}, "exemption_reason", "at most 200 characters"),
        ({"exemption_reason": "a\nb"}, "exemption_reason", "on one line"),
    ],
)
def test_category_that_does_not_fit_is_refused_beside_its_field(admin_client, fields, field, words):
    response = post(admin_client, **fields)
    assert response.status_code == 422
    assert words in error_beside(response, field)
    assert count(TaxRate) == 0


def test_a_hostile_category_is_quoted_back_escaped_and_short(admin_client):
    response = post(admin_client, vat_category="<script>alert(1)</script>" * 500)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page
    assert len(page) < 30_000 and count(TaxRate) == 0


def test_every_broken_rule_shows_at_once(admin_client):
    response = post(admin_client, percent="19", vat_category="AE", exemption_code="VATEX-EU-G")
    assert response.status_code == 422
    assert "(BR-AE-05)" in error_beside(response, "percent")
    assert "(PEPPOL-EN16931-P0104)" in error_beside(response, "exemption_code")


def test_edit_shows_the_stored_category_and_a_refused_change_keeps_it(admin_client):
    tax = TaxRate(
        name="Reverse",
        percent=Decimal(0),
        vat_category="AE",
        exemption_reason="Reverse charge",
        exemption_code="VATEX-EU-AE",
    )
    db.session.add(tax)
    db.session.commit()
    page = text(admin_client.get(f"/admin/taxes/{tax.id}"))
    assert '<option selected value="AE">' in page
    assert '<option selected value="VATEX-EU-AE">' in page and 'value="Reverse charge"' in page
    url = f"/admin/taxes/{tax.id}"
    response = post(admin_client, url, name="Reverse", percent="0", vat_category="S")
    assert response.status_code == 422 and "(BR-S-05)" in error_beside(response, "percent")
    assert stored("Reverse").vat_category == "AE"
    response = post(admin_client, url, name="Reverse", percent="0", vat_category="O")
    assert "(BR-O-10)" in error_beside(response, "exemption_reason")
    response = post(
        admin_client,
        url,
        name="Reverse",
        percent="0",
        vat_category="O",
        exemption_code="VATEX-EU-O",
    )
    assert response.status_code == 302
    tax = stored("Reverse")
    assert (tax.vat_category, tax.exemption_reason, tax.exemption_code) == (
        "O",
        "Not subject to VAT",
        "VATEX-EU-O",
    )


def test_a_form_without_the_category_saves_a_standard_rate(admin_client):
    response = admin_client.post("/admin/taxes/new", data={"name": "NY", "percent": "8.875"})
    assert response.status_code == 302 and stored("NY").vat_category == "S"


def test_technician_cannot_change_tax_rates(tech_client):
    assert tech_client.get("/admin/taxes/new").status_code == 403
    assert post(tech_client, percent="0", vat_category="Z").status_code == 403
    assert count(TaxRate) == 0


def test_the_rule_lives_in_billing(app):
    with pytest.raises(ValidationFailed) as refused:
        save_tax_rate(None, name="X", percent="0", is_default=False, active=True)
    assert refused.value.field == "percent"
    assert vat_treatment("k", Decimal(0), "", "vatex-eu-ic") == (
        "K",
        "Intra-community supply",
        "VATEX-EU-IC",
    )
    db.session.rollback()
