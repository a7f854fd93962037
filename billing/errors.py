"""Domain errors raised by ``billing`` and mapped to HTTP statuses by the views."""


class BillingError(Exception):
    """Base class: a rule of the domain refused the operation."""

    status_code = 409


class ValidationFailed(BillingError):
    """Input that cannot be stored; ``field`` names the form field it belongs beside."""

    status_code = 422

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class ForbiddenChange(ValidationFailed):
    """A well-formed change that the data's state forbids (a customer's currency once it has
    invoices...), told beside the field it concerns: 409, not 422."""

    status_code = 409


class Conflict(BillingError):
    """The change is forbidden by the state of the data (billed, sent, in use...)."""

    status_code = 409


class NotYours(BillingError):
    """Someone else's record that this user's role may not change (a technician and another
    technician's time entry)."""

    status_code = 403


class NotFound(BillingError):
    """The record asked for does not exist (or no longer does)."""

    status_code = 404
