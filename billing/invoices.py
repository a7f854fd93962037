"""Invoices: the snapshot of issuer and bill-to taken when an invoice is created."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from billing.settings import get_settings
from models import Customer, Settings


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
