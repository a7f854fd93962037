"""The credit note list of the Billing page's "Credit notes" tab: newest first, 50 a page,
searched by number or customer, each page one statement whatever its length."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import select

from billing.invoices.listing import contains_text
from models import CreditNote, Customer, Invoice, db

PAGE_SIZE = 50
SEARCH_MAX = 100

# Only what a row shows, as plain rows: no ORM objects for a read-only list.
LIST_COLUMNS = (
    CreditNote.id,
    CreditNote.number,
    CreditNote.issue_date,
    CreditNote.currency,
    CreditNote.total_minor,
    CreditNote.reason,
    CreditNote.invoice_id,
    Invoice.number.label("invoice_number"),
    Customer.name.label("customer_name"),
)


@dataclass(frozen=True)
class CreditNotePage:
    """One page of credit notes; whether a next one exists is known without counting them."""

    rows: list[sa.Row]  # of LIST_COLUMNS
    number: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        """Whether a page comes before this one."""
        return self.number > 1


def credit_note_page(search: str, number: int) -> CreditNotePage:
    """Page ``number`` (from 1) of the credit notes whose number or customer name contains
    ``search`` (any case; "" for all), newest issue date first.

    Reads one row past the page to know whether another page follows.
    """
    query = (
        select(*LIST_COLUMNS)
        .select_from(CreditNote)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .join(Customer, Customer.id == CreditNote.customer_id)
    )
    text = search.strip()[:SEARCH_MAX]
    if text:
        customers = select(Customer.id).where(contains_text(Customer.name, text))
        query = query.where(
            sa.or_(contains_text(CreditNote.number, text), CreditNote.customer_id.in_(customers))
        )
    query = query.order_by(CreditNote.issue_date.desc(), CreditNote.id.desc())
    rows = db.session.execute(query.limit(PAGE_SIZE + 1).offset((number - 1) * PAGE_SIZE)).all()
    return CreditNotePage(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE)
