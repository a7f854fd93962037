"""Forms shared across blueprints."""

from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """A button-only POST (log out, delete, mark sent): just the CSRF token."""
