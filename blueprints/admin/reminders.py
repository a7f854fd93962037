"""Admin > Reminders: the overdue-reminder schedule, its steps added, edited and deleted, and
"Use the usual schedule" (7, 14 and 30 days past due) to start from.

Each step's subject and body are checked when saved: an unknown placeholder is 422 beside its
field, nothing saved. A step that has sent reminders cannot be deleted (409): made inactive.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from billing.errors import Conflict
from billing.reminders.schedule import (
    MAX_BODY,
    MAX_DAYS,
    MAX_SUBJECT,
    REMINDER_PLACEHOLDERS,
    check_reminder_template,
    delete_step,
    list_steps,
    save_step,
    sent_counts,
    use_usual_schedule,
)
from billing.reminders.send import step_label
from blueprints.admin import bp
from blueprints.forms import ActionForm, WholeNumberField, rule, strip
from blueprints.saving import saving
from models import ReminderStep, db


class ReminderStepForm(FlaskForm):
    """A step of the schedule; field names match the ``field`` of the rules' errors."""

    days_overdue = WholeNumberField(
        "Days past due",
        [
            InputRequired(message="Enter a number of days, e.g. 7."),
            NumberRange(1, MAX_DAYS, message=f"Enter a number of days from 1 to {MAX_DAYS}."),
        ],
    )
    subject = StringField(
        "Subject",
        [
            DataRequired(message="Enter a subject."),
            Length(max=MAX_SUBJECT),
            rule(check_reminder_template, field="subject"),
        ],
        filters=[strip],
    )
    body = TextAreaField(
        "Message",
        [
            DataRequired(message="Enter a message."),
            Length(max=MAX_BODY),
            rule(check_reminder_template, field="body"),
        ],
    )
    active = BooleanField("Active (sent by the schedule and by Send reminder now)", default=True)


@bp.route("/reminders")
def reminders():
    """The schedule: its steps, fewest days first, with how many reminders each has sent."""
    return _list_page()


def _list_page(status: int = 200, refusal: str | None = None):
    page = render_template(
        "admin/reminders.html",
        steps=list_steps(),
        sent=sent_counts(),
        action=ActionForm(),
        placeholders=REMINDER_PLACEHOLDERS,
        refusal=refusal,
    )
    return page, status


@bp.route("/reminders/usual", methods=["POST"])
def reminders_usual():
    """Create the usual steps (7, 14 and 30 days) with default texts.

    :raise 409: steps exist already (the list again, with the reason).
    """
    try:
        use_usual_schedule()
        db.session.commit()
    except Conflict as error:
        db.session.rollback()
        return _list_page(409, str(error))
    flash("The usual schedule is set: 7, 14 and 30 days past due. Check the texts.", "success")
    return redirect(url_for("admin.reminders"))


@bp.route("/reminders/new", methods=["GET", "POST"])
def reminder_new():
    """Add a step."""
    return _edit(
        None,
        ReminderStepForm(data={"active": True}) if request.method == "GET" else ReminderStepForm(),
    )


@bp.route("/reminders/<int:step_id>", methods=["GET", "POST"])
def reminder_edit(step_id: int):
    """Change a step (days, subject, message, active).

    :raise 404: no such step.
    """
    step = db.get_or_404(ReminderStep, step_id)
    form = (
        ReminderStepForm(formdata=None, obj=step) if request.method == "GET" else ReminderStepForm()
    )
    return _edit(step, form)


def _edit(step: ReminderStep | None, form: ReminderStepForm):
    if request.method == "GET":
        return _form_page(step, form)
    if form.validate_on_submit():
        with saving(form) as outcome:
            saved = save_step(
                step, form.days_overdue.data, form.subject.data, form.body.data, form.active.data
            )
        if outcome.ok:
            flash(f"Reminder step {step_label(saved)} saved.", "success")
            return redirect(url_for("admin.reminders"))
    return _form_page(step, form), 422


def _form_page(step: ReminderStep | None, form: ReminderStepForm, **context):
    return render_template(
        "admin/reminder_form.html",
        step=step,
        form=form,
        action=ActionForm(),
        placeholders=REMINDER_PLACEHOLDERS,
        sent=sent_counts().get(step.id, 0) if step else 0,
        **context,
    )


@bp.route("/reminders/<int:step_id>/delete", methods=["POST"])
def reminder_delete(step_id: int):
    """Delete a step that has sent nothing.

    :raise 404: no such step. :raise 409: it has sent reminders (make it inactive instead).
    """
    step = db.get_or_404(ReminderStep, step_id)
    label = step_label(step)
    try:
        delete_step(step)
        db.session.commit()
    except Conflict as error:
        db.session.rollback()
        step = db.get_or_404(ReminderStep, step_id)
        form = ReminderStepForm(formdata=None, obj=step)
        return _form_page(step, form, refusal=str(error)), 409
    flash(f"Reminder step {label} deleted.", "success")
    return redirect(url_for("admin.reminders"))
