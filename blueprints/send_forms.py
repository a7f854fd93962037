"""Sending a document by email, shared by invoices, credit notes and statements: the form
(recipients, subject, body) and the view's flow around a ``send`` callable.

GET fills the form with the defaults; POST answers 422 beside the field for bad input and the
error's status (502 when the mail server refuses) with the error above the form; success
flashes the outcome and redirects. Each blueprint keeps its routes, page and rules.
"""

from collections.abc import Callable

from flask import flash, redirect, request
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from billing.errors import BillingError
from billing.mail import SendResult
from billing.users import split_addresses
from blueprints.forms import show_error
from extensions import htmx


class SendForm(FlaskForm):
    """The send dialog. Field names match the ``field`` of the mailer's errors."""

    recipients = TextAreaField(
        "To", validators=[InputRequired("Enter at least one email address.")]
    )
    subject = StringField(
        "Subject", validators=[InputRequired("Enter a subject."), Length(max=200)]
    )
    body = TextAreaField("Message", validators=[InputRequired("Enter a message.")])


def send_view(
    defaults: Callable[[], tuple[list[str], str, str]],
    send: Callable[[list[str], str, str], SendResult],
    page: Callable[[SendForm, int], object],
    done_url: str,
    hx_redirect: bool = False,
):
    """The send dialog's request: GET shows ``page`` with ``defaults()`` (recipients, subject,
    body); POST calls ``send(recipients, subject, body)`` and redirects to ``done_url`` (by
    ``HX-Redirect`` for an htmx request when ``hx_redirect``), or shows ``page`` again with the
    errors and 422 or the error's status."""
    if request.method == "GET":
        recipients, subject, body = defaults()
        data = {"recipients": "\n".join(recipients), "subject": subject, "body": body}
        return page(SendForm(data=data), 200)
    form = SendForm()
    status = 422
    if form.validate_on_submit():
        try:
            result = send(split_addresses(form.recipients.data), form.subject.data, form.body.data)
        except BillingError as error:
            # Whatever the send recorded is committed already; only the page is left to show.
            show_error(form, error)
            status = error.status_code
        else:
            flash(result.message, "success")
            if hx_redirect and htmx:
                return "", 204, {"HX-Redirect": done_url}
            return redirect(done_url)
    return page(form, status)
