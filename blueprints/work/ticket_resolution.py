"""Setting a ticket's resolved date (admins), which decides the period that bills its work."""

from datetime import date

from flask import flash, redirect, request, url_for
from flask_login import current_user

from billing.batches.ticket_resolution import set_resolved_date
from billing.errors import ValidationFailed
from blueprints.auth.access import admin_required
from blueprints.work import bp
from blueprints.work.tickets import get_ticket_or_404, ticket_page
from clock import today
from models import db


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        raise ValidationFailed("Enter a date as YYYY-MM-DD.", "resolved_on") from None


@bp.route("/tickets/<int:ticket_id>/resolved-date", methods=["POST"])
@admin_required
def ticket_resolved_date(ticket_id: int):
    """Set the day the ticket was resolved (audited); a 422 beside the field when refused.

    :raise 404: no such ticket.
    :raise 409: the ticket is billed.
    """
    ticket = get_ticket_or_404(ticket_id, for_update=True)
    try:
        set_resolved_date(ticket, _day(request.form.get("resolved_on", "")), current_user, today())
    except ValidationFailed as error:
        db.session.rollback()
        return ticket_page(get_ticket_or_404(ticket_id), status=422, resolved_error=str(error))
    db.session.commit()
    flash(f"Ticket #{ticket.id} is resolved on {ticket.closed_at.date():%d %b %Y}.", "success")
    return redirect(url_for("work.ticket", ticket_id=ticket.id))
