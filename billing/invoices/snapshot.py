"""Invoices: the snapshot of issuer and bill-to taken when an invoice is created."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from billing.invoices.lines import ChargeLine, TaxInfo, Totals, totals
from billing.settings import get_settings
from models import SETTLED_STATUSES, Customer, Invoice, InvoiceStatus, Settings

# Exported alone is not sent: the ledger copy may still be a draft there.
SENT_STATUSES = (InvoiceStatus.SENT, *SETTLED_STATUSES)
# The seller's e-invoicing details (issue #17), frozen with the rest; an invoice made before
# them lacks the keys, and its e-invoice reads the settings instead.
EINVOICE_ISSUER_FIELDS = (
    "legal_name",
    "vat_id",
    "tax_registration",
    "registration_number",
    "endpoint_id",
    "endpoint_scheme",
    "iban",
    "bic",
    "payment_terms_text",
    "contact_name",
    "contact_phone",
    "contact_email",
)


def issuer_snapshot(settings: Settings) -> dict[str, Any]:
    """The issuer as it is now, frozen on the invoice (later edits do not rewrite it)."""
    return {
        "company_name": settings.company_name,
        "address": settings.address,
        "country": settings.country,
        "tax_id": settings.tax_id,
        "bank_details": settings.bank_details,
        "invoice_footer": settings.invoice_footer,
        "payment_terms_days": settings.payment_terms_days,
        **{name: getattr(settings, name) for name in EINVOICE_ISSUER_FIELDS},
    }


def invoice_header(customer: Customer, issue_date: date) -> dict[str, Any]:
    """Column values every new invoice of ``customer`` starts with (number aside)."""
    return invoice_headers(issue_date)(customer)


def invoice_headers(issue_date: date) -> Callable[[Customer], dict[str, Any]]:
    """``invoice_header`` for many invoices, reading the settings once."""
    settings = get_settings()
    issuer = issuer_snapshot(settings)
    due = issue_date + timedelta(days=settings.payment_terms_days)
    return lambda customer: {
        "customer_id": customer.id,
        "issue_date": issue_date,
        "due_date": due,
        "currency": customer.currency,
        "bill_to_name": customer.name,
        "bill_to_address": customer.address,
        "bill_to_emails": customer.billing_emails,
        "issuer": issuer,
    }


def recompute_totals(invoice: Invoice) -> Totals:
    """Set the invoice's subtotal, tax and total from its lines (tax once per rate)."""
    result = tax_summary(invoice)
    invoice.subtotal_minor = result.subtotal_minor
    invoice.tax_minor = result.tax_minor
    invoice.total_minor = result.total_minor
    return result


def tax_summary(invoice: Invoice) -> Totals:
    """The invoice's totals with tax per rate, from its stored lines (for pages and PDFs)."""
    return totals(
        ChargeLine(
            line.kind,
            line.description,
            line.quantity,
            line.unit_price_minor,
            line.amount_minor,
            tax=TaxInfo(line.tax_rate_id, line.tax_name, line.tax_percent)
            if line.tax_name or line.tax_rate_id
            else None,
        )
        for line in invoice.lines
    )


def was_sent(invoice: Invoice) -> bool:
    """Whether the customer has had the invoice: emailed from here, or marked Sent or later."""
    return invoice.sent_at is not None or invoice.status in SENT_STATUSES
