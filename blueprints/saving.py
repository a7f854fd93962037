"""Saving a posted form: commit what the rules did, or undo it and show why beside the field."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask_wtf import FlaskForm

from billing.errors import BillingError, ValidationFailed
from blueprints.forms import show_error
from models import db


@dataclass
class Saved:
    """What :func:`saving` did: ``ok`` once committed; ``error`` the refusal it showed."""

    ok: bool = False
    error: BillingError | None = None

    @property
    def status(self) -> int:
        """The status to draw the form again with: the refusal's (422 for a broken rule)."""
        return self.error.status_code if self.error is not None else 422


@contextmanager
def saving(
    form: FlaskForm,
    *,
    refused: type[BillingError] | tuple[type[BillingError], ...] = ValidationFailed,
    show: Callable[[FlaskForm, BillingError], None] = show_error,
) -> Iterator[Saved]:
    """Run the block's changes and commit them; when a rule refuses (``refused``), roll back
    and put the reason beside its field (``show``). Other errors go on to the error handlers.

    ``with saving(form) as saved: save_x(...)``, then ``saved.ok`` (redirect) or draw the form
    again with ``saved.status``.
    """
    saved = Saved()
    try:
        yield saved
        db.session.commit()
    except refused as error:
        db.session.rollback()
        show(form, error)
        saved.error = error
    else:
        saved.ok = True
