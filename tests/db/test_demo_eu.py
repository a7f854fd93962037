"""The European demo (``seed-demo --region eu``): a German MSP in EUR whose customers get each
e-invoice format, valid by the forms' rules, and a last month that bills every contract type
with a VAT category on every line (every backend)."""

import re
from dataclasses import fields
from datetime import date, timedelta

from sqlalchemy import func, select

from billing.batches.preview import BatchRequest
from billing.batches.store import save_batch
from billing.einvoice.buyer import BuyerDetails, buyer_problems, xml_format
from billing.einvoice.categories import problems as vat_problems
from billing.einvoice.seller import SellerDetails, check_seller
from billing.settings import default_currency
from demo.build import month_start
from demo.eu import seed_demo_eu
from demo.receivables import seed_receivables
from models import (
    Contract,
    ContractType,
    Customer,
    Expense,
    Invoice,
    LineKind,
    Settings,
    TaxRate,
    Ticket,
    TicketStatus,
    db,
)

DAY = date(2026, 12, 3)
LAST_MONTH = (date(2026, 11, 1), date(2026, 11, 30))
SUMMARY = (
    r"Demo data: 5 customers, \d+ contracts, \d+ tickets, \d+ time entries, \d+ expenses\.\n"
    r"Billed: \d+ invoices, \d+ payments, 1 credit note\.\n"
    r"E-invoicing customers: 3 Factur-X, 1 Peppol, 1 XRechnung\."
)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _seeded(app) -> None:
    app.config["BILLING_TODAY"] = DAY.isoformat()
    seed_demo_eu(DAY)
    seed_receivables(DAY)
    db.session.commit()


def _customer(name_part: str) -> Customer:
    return db.session.scalar(select(Customer).where(Customer.name.contains(name_part)))


def _bill_last_month() -> list[Invoice]:
    batch = save_batch(BatchRequest(*LAST_MONTH), None, LAST_MONTH[1] + timedelta(days=1))
    db.session.commit()
    return batch.invoices


def _projects() -> tuple[ContractType, ...]:
    return (ContractType.PROJECT_FIXED, ContractType.PROJECT_HOURLY)


def test_the_command_seeds_an_empty_database_once(app, runner):
    result = runner.invoke(args=["seed-demo", "--region", "eu"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(SUMMARY, result.output.strip()), result.output
    db.session.expire_all()
    assert _count(Customer) == 5 and _count(Customer, Customer.currency != "EUR") == 0
    tickets = _count(Ticket)
    again = runner.invoke(args=["seed-demo", "--region", "eu"])
    assert again.exit_code != 0 and "needs an empty database" in again.output
    assert _count(Customer) == 5 and _count(Ticket) == tickets


def test_an_unknown_region_is_refused_and_nothing_is_seeded(app, runner):
    result = runner.invoke(args=["seed-demo", "--region", "xx"])
    assert result.exit_code != 0
    assert "Invalid value for '--region'" in result.output and "'us'" in result.output
    assert "'eu'" in result.output
    assert _count(Customer) == 0 and _count(TaxRate) == 0


def test_the_us_demo_stays_the_default(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Demo data: 12 customers, ")
    assert "E-invoicing" not in result.output
    settings = db.session.get(Settings, 1)
    assert settings.country == "US" and default_currency(settings) == "USD"
    assert settings.vat_id == "" and _count(Customer, Customer.einvoice_format != "pdf") == 0


def test_settings_filled_without_a_vat_number_are_refused_clearly(app, runner):
    settings = db.session.get(Settings, 1) or Settings(id=1)
    settings.company_name = "My Own MSP"
    db.session.add(settings)
    db.session.commit()
    result = runner.invoke(args=["seed-demo", "--region", "eu"])
    assert result.exit_code != 0
    assert "seed-demo --region eu: Seller VAT identifier (BT-31)" in result.output
    assert _count(Customer) == 0 and _count(TaxRate) == 0


def test_the_seller_is_a_german_msp_valid_by_the_settings_form(app):
    _seeded(app)
    settings = db.session.get(Settings, 1)
    assert settings.country == "DE" and default_currency(settings) == "EUR"
    assert settings.address.splitlines()[-1] == "10117 Berlin"
    stored = SellerDetails(**{f.name: getattr(settings, f.name) for f in fields(SellerDetails)})
    assert check_seller(stored) == stored  # stored as the form stores it
    assert stored.vat_id == "DE136695976" and stored.tax_registration
    assert stored.registration_number.startswith("HRB ")
    assert (stored.endpoint_scheme, stored.endpoint_id) == ("9930", "DE136695976")
    assert (stored.iban, stored.bic) == ("DE02120300000000202051", "BYLADEM1001")
    assert stored.payment_terms_text and stored.contact_name and stored.contact_email
    assert sum(ch.isdigit() for ch in stored.contact_phone) >= 3


def test_tax_rates_carry_their_vat_category(app):
    _seeded(app)
    rates = {r.name: r for r in db.session.scalars(select(TaxRate))}
    standard = rates["USt 19 %"]
    assert standard.is_default and standard.percent == 19 and standard.vat_category == "S"
    reverse = rates["Reverse charge"]
    assert (reverse.percent, reverse.vat_category) == (0, "AE")
    assert (reverse.exemption_code, reverse.exemption_reason) == ("VATEX-EU-AE", "Reverse charge")
    for rate in rates.values():
        found = vat_problems(
            rate.vat_category, rate.percent, rate.exemption_reason, rate.exemption_code
        )
        assert found == [], rate.name


def test_customers_pass_the_customer_form_and_get_each_format(app):
    _seeded(app)
    settings = db.session.get(Settings, 1)
    customers = db.session.scalars(select(Customer)).all()
    for customer in customers:
        stored = BuyerDetails(**{f.name: getattr(customer, f.name) for f in fields(BuyerDetails)})
        checked, found = buyer_problems(stored, settings)
        assert found == [] and checked == stored, customer.name
        assert re.fullmatch(r"\d{4,5} \S.*", customer.address.splitlines()[-1]), customer.name
    belgian = _customer("Verhaegen")
    assert xml_format(belgian) == "peppol" and belgian.country == "BE"
    assert (belgian.endpoint_scheme, belgian.endpoint_id) == ("0208", "0471159286")
    assert belgian.vat_id == "BE0471159286" and belgian.buyer_reference
    public = _customer("Weserhafen")
    assert xml_format(public) == "xrechnung" and public.country == "DE"
    assert public.buyer_reference == "04011000-12345-03"
    assert (public.endpoint_scheme, public.endpoint_id) == ("0204", "04011000-12345-03")
    german = [c for c in customers if c not in (belgian, public)]
    assert len(german) == 3
    for customer in german:
        assert xml_format(customer) == "cii" and customer.country == "DE"
        assert customer.vat_id.startswith("DE")


def test_the_belgian_customer_is_billed_reverse_charge(app):
    _seeded(app)
    belgian = _customer("Verhaegen")
    categories = {c.tax_rate.vat_category for c in belgian.contracts if c.taxable}
    assert categories == {"AE"} and all(c.taxable for c in belgian.contracts)
    expenses = db.session.scalars(
        select(Expense).join(Ticket).where(Ticket.customer_id == belgian.id)
    ).all()
    assert expenses and {e.tax_rate.vat_category for e in expenses} == {"AE"}


def test_three_months_of_work_and_the_last_month_left_to_bill(app):
    _seeded(app)
    assert {c.type for c in db.session.scalars(select(Contract))} == set(ContractType)
    days = db.session.scalars(select(Ticket.created_at)).all()
    assert min(days).date() >= month_start(DAY, 3) and max(days).date() <= DAY
    billed = db.session.scalars(select(Invoice.period_end)).all()
    assert billed and max(billed) < LAST_MONTH[0]  # the last month is left for the user
    projects = db.session.scalars(
        select(Ticket).join(Contract).where(Contract.type.in_(_projects()))
    ).all()
    assert len(projects) >= 8
    for ticket in projects:
        assert ticket.status == TicketStatus.CLOSED
        assert LAST_MONTH[0] <= ticket.created_at.date() <= ticket.closed_at.date()
        assert ticket.closed_at.date() <= LAST_MONTH[1]


def test_billing_last_month_gives_every_contract_type_with_a_vat_category_on_its_lines(app):
    _seeded(app)
    invoices = _bill_last_month()
    assert {invoice.contract.type for invoice in invoices} == set(ContractType)
    assert {invoice.currency for invoice in invoices} == {"EUR"}
    lines = [line for invoice in invoices for line in invoice.lines]
    assert len(lines) > len(invoices)
    categories = {}
    for line in lines:
        if line.tax_rate_id is None:  # a ticket listed at no charge (included in a block...)
            assert line.kind == LineKind.TICKET and line.amount_minor == 0, line.description
            continue
        rate = db.session.get(TaxRate, line.tax_rate_id)
        assert rate.vat_category in ("S", "AE") and line.tax_name == rate.name
        categories.setdefault(line.invoice.customer.name, set()).add(rate.vat_category)
    assert categories.pop("Verhaegen Logistics NV") == {"AE"}
    assert len(categories) == 4 and all(found == {"S"} for found in categories.values())
    for invoice in invoices:
        assert any(line.tax_rate_id for line in invoice.lines), invoice.number
        reverse = invoice.customer.country == "BE"
        assert (invoice.tax_minor == 0) == reverse, invoice.number
        assert invoice.total_minor == invoice.subtotal_minor + invoice.tax_minor


def test_the_same_day_gives_the_same_demo(app):
    first = seed_demo_eu(DAY)
    rows = _fingerprint()
    db.session.rollback()
    assert _count(Customer) == 0
    assert seed_demo_eu(DAY) == first and _fingerprint() == rows


def _fingerprint() -> list[tuple]:
    tickets = db.session.scalars(select(Ticket).order_by(Ticket.id))
    return [
        (
            t.title,
            t.created_at,
            t.closed_at,
            [(e.work_date, e.minutes, e.rate and e.rate.name) for e in t.time_entries],
            [(x.description, x.quantity, x.tax_rate and x.tax_rate.name) for x in t.expenses],
        )
        for t in tickets
    ]
