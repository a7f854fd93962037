"""Template filters and globals: money and dates in the company's locale, durations, taxes,
counted nouns, the settings, the layout's links."""

from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Flask, current_app, g, request, url_for

from billing.catalog import percent_text, tax_label
from billing.einvoice.outputs import FORMATS as EINVOICE_FORMATS
from billing.einvoice.outputs import emailed_files, emailed_formats
from billing.ledgers.export_text import ledger_amount_text
from billing.money import format_money, from_minor
from billing.process_cache import SettingsView, settings_view
from billing.settings import company_locale
from billing.wording import counted, noun, overdue_text
from billing.work.durations import format_duration
from models import Provider

LAYOUT_URLS = "layout_urls"  # in app.extensions
LAYOUT_URLS_KEPT = 256


def current_settings() -> SettingsView:
    """The settings as pages show them (read-only), kept per worker while current."""
    if "settings" not in g:
        g.settings = settings_view()
    return g.settings


def layout_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)``, built once per worker: for the links every page's layout
    repeats (the navigation, the stylesheet and scripts), which never change while it runs."""
    # A relative URL depends on the endpoint, its values and the script root only.
    key = (request.script_root, endpoint, *sorted(values.items()))
    urls = current_app.extensions.setdefault(LAYOUT_URLS, {})
    url = urls.get(key)
    if url is None:
        if len(urls) >= LAYOUT_URLS_KEPT:
            urls.clear()
        url = urls[key] = url_for(endpoint, **values)
    return url


def money(minor: int | None, currency: str) -> str:
    """``{{ invoice.total_minor | money(invoice.currency) }}``."""
    if minor is None:
        return ""
    return format_money(minor, currency, company_locale(current_settings()))


def ledger_amount(amount: Decimal | None, currency: str) -> str:
    """An amount as a ledger booked it, every decimal it kept, in the company's locale."""
    return (
        ""
        if amount is None
        else ledger_amount_text(amount, currency, company_locale(current_settings()))
    )


def human_date(value: date | None, fmt: str = "medium") -> str:
    """``{{ invoice.due_date | date }}`` in the company's locale."""
    if value is None:
        return ""
    return format_date(value, format=fmt, locale=company_locale(current_settings()))


def quantity(value: Decimal | int | None) -> str:
    """``{{ line.quantity | quantity }}``: 10 -> "10", 1.500 -> "1.5", in the company's locale."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.###", locale=company_locale(current_settings()))


def init_app(app: Flask) -> None:
    """Register the filters and the ``settings`` template global."""
    app.add_template_filter(money)
    app.add_template_filter(human_date, "date")
    app.add_template_filter(percent_text, "percent")
    app.add_template_filter(quantity)
    app.add_template_filter(ledger_amount)
    app.add_template_filter(from_minor)  # {{ minor | from_minor(currency) }}: a Decimal
    app.add_template_filter(format_duration, "duration")  # {{ entry.minutes | duration }}
    app.add_template_filter(tax_label)  # {{ tax.name | tax_label(tax.percent) }}
    app.add_template_filter(counted)  # {{ n | counted("invoice") }} -> "2 invoices"
    app.add_template_filter(noun)  # {{ n | noun("invoice") }} -> "invoices"
    app.add_template_filter(overdue_text)  # {{ invoice.days_overdue(today) | overdue_text }}

    app.add_template_global(layout_url)
    # Who did what a sync brought from a ledger, on an invoice's History.
    app.add_template_global({p.value: p.label for p in Provider}, "ledger_names")
    # The e-invoice formats offered on invoice and credit note pages: {format: (label, kind)}.
    app.add_template_global(EINVOICE_FORMATS, "einvoice_formats")
    app.add_template_global(emailed_formats)
    app.add_template_global(emailed_files)

    @app.context_processor
    def inject_settings() -> dict[str, Any]:
        return {"current_settings": current_settings}
