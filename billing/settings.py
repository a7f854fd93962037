"""The company settings row and what derives from it."""

from babel import Locale

from billing.money import currency_for_country, locale_for_country
from models import Settings, db

DEFAULT_EMAIL_SUBJECT = "Invoice {number} from {company}"
DEFAULT_EMAIL_BODY = (
    "Hello {customer},\n\nPlease find attached invoice {number} for {total}, "
    "due on {due_date}.\n\nThank you for your business,\n{company}"
)


def get_settings() -> Settings:
    """The settings row, created with defaults the first time it is asked for."""
    settings = db.session.get(Settings, 1)
    if settings is None:
        settings = Settings(
            id=1,
            company_name="",
            email_subject=DEFAULT_EMAIL_SUBJECT,
            email_body=DEFAULT_EMAIL_BODY,
        )
        db.session.add(settings)
        db.session.flush()
    return settings


def default_currency(settings: Settings) -> str:
    """The billing currency: the admin's override, else the country's currency."""
    return settings.currency_override or currency_for_country(settings.country)


def company_locale(settings: Settings) -> Locale:
    """The locale numbers and dates are formatted in."""
    return locale_for_country(settings.country)
