"""Forms shared across blueprints, and putting a domain error beside its field."""

from flask_wtf import FlaskForm

from billing.errors import BillingError


class ActionForm(FlaskForm):
    """A button-only POST (log out, delete, mark sent): just the CSRF token."""


def show_error(form: FlaskForm, error: BillingError) -> None:
    """Put ``error`` beside the form field it names, or above the form if it names none."""
    name = getattr(error, "field", None)
    field = form._fields.get(name) if name else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors = [*form.form_errors, str(error)]
