"""The European demo: a Berlin MSP in EUR whose customers get every e-invoice format.

It is the US demo's seeder (``demo.build``) over other content (``demo.content_eu``), plus
what e-invoices need: the seller's details, the tax rates' VAT categories and the customers'
e-invoicing details, each stored through the check the forms use, so the demo holds to the
forms' rules. Two more differences: a reverse-charge customer's expenses are billed at the
reverse-charge rate (not its products' German VAT), and the projects' tasks are all done in
the last whole month, which is left to bill, so that billing it gives every contract type.
"""

from dataclasses import fields
from datetime import date, timedelta

from sqlalchemy import select

from billing.einvoice.buyer import BuyerDetails, check_buyer, xml_format
from billing.einvoice.categories import vat_treatment
from billing.einvoice.seller import SellerDetails, update_seller
from billing.settings import get_settings
from clock import utcnow
from demo import content_eu
from demo.build import Seeder, month_start, seed_with
from models import Contract, Customer, Ticket, TicketStatus, db

REVERSE_CHARGE = "rc"  # the key of content_eu.TAX_RATES billed to customers abroad
# How many days after it was opened a project task is done.
TASK_DAYS = [0, 0, 1, 1, 2]


def seed_demo_eu(today: date | None = None) -> str:
    """Fill an empty database with the European demo's last three months; return a summary
    line. Deterministic for a given ``today``; nothing is committed (the caller commits).

    :raise ValidationFailed: the settings were already filled in without what e-invoices
        need of the seller (its VAT number, contact or IBAN); nothing is then worth keeping.
    """
    return seed_with(EuSeeder(today or utcnow().date()))


class EuSeeder(Seeder):
    """The US seeder over the European content, with the e-invoicing details checked."""

    data = content_eu

    def company(self) -> None:
        """As the US demo, plus the seller's e-invoicing details (when the settings were
        untouched) and each tax rate's VAT category, checked as their forms check them."""
        untouched = not get_settings().company_name
        super().company()
        if untouched:
            update_seller(get_settings(), SellerDetails(**self.data.SELLER))
        for key, (category, reason, code) in self.data.VAT.items():
            tax = self.taxes[key]
            treatment = vat_treatment(category, tax.percent, reason, code)
            tax.vat_category, tax.exemption_reason, tax.exemption_code = treatment
        db.session.flush()

    def customers(self) -> list[Contract]:
        """As the US demo, with each customer's e-invoicing details stored as checked."""
        contracts = super().customers()
        settings = get_settings()
        for customer in dict.fromkeys(contract.customer for contract in contracts):
            details = BuyerDetails(
                **{f.name: getattr(customer, f.name) for f in fields(BuyerDetails)}
            )
            checked = check_buyer(details, settings)
            for f in fields(checked):
                setattr(customer, f.name, getattr(checked, f.name))
        db.session.flush()
        return contracts

    def tickets(self) -> list[Ticket]:
        """As the US demo, plus the projects' tasks; a reverse-charge customer's expenses
        are billed at the reverse-charge rate."""
        tickets = super().tickets() + self._project_tasks()
        reverse = {
            contract.customer_id
            for contract, terms in self.contracts
            if terms.get("tax") == REVERSE_CHARGE
        }
        rate = self.taxes[REVERSE_CHARGE]
        for ticket in tickets:
            if ticket.customer_id in reverse:
                for expense in ticket.expenses:
                    expense.tax_rate = rate
        db.session.flush()
        return tickets

    def _project_tasks(self) -> list[Ticket]:
        """One ticket per project task, opened on a weekday of the last whole month and
        closed within it, with its time and maybe an expense."""
        first, after = month_start(self.today, 1), month_start(self.today, 0)
        last = after - timedelta(days=1)
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        weekdays = [day for day in days if day.weekday() < 5]
        rng, made = self.rng, []
        for contract, terms in self.contracts:
            tasks = terms.get("tasks", [])
            for title, day in zip(tasks, sorted(rng.sample(weekdays, len(tasks))), strict=True):
                done = min(day + timedelta(days=rng.choice(TASK_DAYS)), last)
                ticket = Ticket(
                    customer=contract.customer,
                    contract=contract,
                    title=title,
                    description=rng.choice(self.data.TICKET_SOURCES),
                    created_at=self.at(day, rng.randint(7, 10)),
                    status=TicketStatus.CLOSED,
                )
                ticket.closed_at = self.at(done, 23)  # after the day's work
                self._time_entries(ticket, contract, day, done)
                if rng.random() < 0.3:
                    ticket.expenses.append(self._expense(contract.customer, day, done))
                made.append(ticket)
        db.session.add_all(made)
        db.session.flush()
        return made


def einvoice_summary() -> str:
    """One line naming how many customers get each e-invoice format."""
    counts: dict[str, int] = {}
    for customer in db.session.scalars(select(Customer).order_by(Customer.id)):
        target = xml_format(customer) or "pdf"
        counts[target] = counts.get(target, 0) + 1
    names = {"cii": "Factur-X", "peppol": "Peppol", "xrechnung": "XRechnung", "pdf": "PDF only"}
    parts = [f"{counts[key]} {names[key]}" for key in names if key in counts]
    return f"E-invoicing customers: {', '.join(parts)}."
