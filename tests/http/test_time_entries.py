"""Time entries on the ticket page: inline htmx add/edit/delete with the totals refreshing, the
same actions as plain form posts, 422 beside the field, and who may log whose time."""

import html
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from models import ContractType, Role, TimeEntry, db
from tests.conftest import log_in, make_user
from tests.factories import make_contract, make_rate, make_ticket, make_time_entry

HX = {"HX-Request": "true"}
NEW = "time-entry-new-"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def entries() -> int:
    return db.session.scalar(select(func.count()).select_from(TimeEntry))


def form(prefix: str = NEW, **fields) -> dict:
    """Posted fields of a time form (``prefix``: the add form's, or ``time-entry-<id>-``)."""
    values = {"work_date": "2026-03-02", "duration": "1:30", "billable": "y", **fields}
    return {prefix + name: value for name, value in values.items() if value is not None}


def error_beside(page: str, field: str, prefix: str = NEW) -> str:
    """The error text shown beside ``field`` (empty if none)."""
    match = re.search(
        rf'id="field-{prefix}{field}">.*?<small class="error"[^>]*>([^<]*)</small>', page, re.S
    )
    return match.group(1) if match else ""


# --- adding --------------------------------------------------------------------------------------


def test_add_time_inline_with_htmx_refreshes_the_totals(admin_client, admin):
    ticket = make_ticket()
    response = admin_client.post(f"/tickets/{ticket.id}/time", data=form(), headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "ticket-totals-changed"
    assert response.headers["HX-Retarget"] == "#time-entries"
    assert response.headers["HX-Reswap"] == "outerHTML"
    entry = db.session.scalar(select(TimeEntry))
    body = text(response)
    assert body.lstrip().startswith('<section class="card work-section" id="time-entries"')
    assert f'id="time-entry-{entry.id}"' in body and "1:30" in body
    assert f'name="{NEW}duration" placeholder="1:30" type="text" value=""' in body  # blank again
    assert entry.minutes == 90 and entry.user_id == admin.id and entry.billable
    assert entry.rate_id == ticket.contract.rates[0].rate_id  # the primary rate
    totals = text(admin_client.get(f"/tickets/{ticket.id}/totals", headers=HX))
    assert "1:30" in totals and "$187.50" in totals


def test_only_the_add_form_swapped_in_after_an_add_takes_the_focus(admin_client):
    ticket = make_ticket()
    date_input = re.compile(rf'<input[^>]*id="{NEW}work_date"[^>]*>')
    page = text(admin_client.get(f"/tickets/{ticket.id}"))
    assert "autofocus" not in date_input.search(page).group(0)  # a page load keeps its focus
    added = text(admin_client.post(f"/tickets/{ticket.id}/time", data=form(), headers=HX))
    assert "autofocus" in date_input.search(added).group(0)
    assert added.count("autofocus") == 1


def test_add_time_without_javascript_redirects_back(admin_client):
    ticket = make_ticket()
    response = admin_client.post(f"/tickets/{ticket.id}/time", data=form(note="Reboot"))
    assert response.status_code == 302
    assert response.location == f"/tickets/{ticket.id}#time-entries"
    page = text(admin_client.get(response.location))
    assert "Time entry added." in page and "Reboot" in page
    assert entries() == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"duration": "25h"}, "duration", "at most 24 hours"),
        ({"duration": "-1:00"}, "duration", "cannot be negative"),
        ({"duration": "abc"}, "duration", "Enter a duration such as 1:30"),
        ({"duration": "0"}, "duration", "at least one minute"),
        ({"duration": ""}, "duration", "Enter how long the work took"),
        ({"work_date": "2025-12-31"}, "work_date", "runs from 2026-01-01"),
        ({"work_date": "2999-01-01"}, "work_date", "cannot be in the future"),
        ({"work_date": "tomorrow"}, "work_date", "Enter a date such as 2026-01-31."),
        ({"note": "x" * 2001}, "note", "at most 2000"),
    ],
)
def test_invalid_time_is_refused_beside_the_field(admin_client, fields, field, message):
    ticket = make_ticket()
    response = admin_client.post(f"/tickets/{ticket.id}/time", data=form(**fields), headers=HX)
    assert response.status_code == 422
    body = text(response)
    assert body.lstrip().startswith('<form method="post" action=')  # the form fragment
    assert message in error_beside(body, field)
    assert entries() == 0
    # without JavaScript: the whole page, the same message beside the same field
    page = admin_client.post(f"/tickets/{ticket.id}/time", data=form(**fields))
    assert page.status_code == 422 and "<html" in page.get_data(as_text=True)
    assert message in error_beside(text(page), field)
    assert entries() == 0


def test_rate_of_another_contract_is_refused(admin_client):
    ticket = make_ticket()
    foreign = make_contract().rates[0].rate_id
    response = admin_client.post(
        f"/tickets/{ticket.id}/time", data=form(rate_id=foreign), headers=HX
    )
    assert response.status_code == 422
    assert "Choose one of the rates of" in error_beside(text(response), "rate_id")
    assert entries() == 0


def test_rate_select_offers_the_contracts_rates_primary_first(admin_client):
    standard = make_rate(name="Standard", hourly_price_minor=12000)
    weekend = make_rate(name="Weekend", hourly_price_minor=18000)
    ticket = make_ticket(make_contract(rates=[weekend, standard]))  # weekend is primary
    page = text(admin_client.get(f"/tickets/{ticket.id}"))
    select_html = page[page.index(f'name="{NEW}rate_id"') :]
    select_html = select_html[: select_html.index("</select>")]
    assert f'<option selected value="{weekend.id}">Weekend ($180.00/h)' in select_html
    assert select_html.index("Weekend") < select_html.index("Standard")


def test_contracts_without_rates_show_no_rate_field(admin_client):
    ticket = make_ticket(make_contract(type=ContractType.RETAINER))
    page = text(admin_client.get(f"/tickets/{ticket.id}"))
    assert f'name="{NEW}rate_id"' not in page
    response = admin_client.post(f"/tickets/{ticket.id}/time", data=form())
    assert response.status_code == 302
    assert db.session.scalar(select(TimeEntry)).rate_id is None


# --- editing and deleting ------------------------------------------------------------------------


def test_edit_inline_swaps_the_row_for_its_form_and_back(admin_client):
    ticket = make_ticket()
    entry = make_time_entry(ticket, minutes=90)
    prefix = f"time-entry-{entry.id}-"
    edit = admin_client.get(f"/tickets/{ticket.id}/time/{entry.id}/edit", headers=HX)
    assert edit.status_code == 200 and "HX-Request" in edit.headers["Vary"]
    body = text(edit)
    assert body.lstrip().startswith(f'<tr id="time-entry-{entry.id}" class="editing">')
    assert f'name="{prefix}duration" placeholder="1:30" type="text" value="1:30"' in body
    cancel = admin_client.get(f"/tickets/{ticket.id}/time/{entry.id}", headers=HX)
    assert text(cancel).lstrip().startswith(f'<tr id="time-entry-{entry.id}">')
    saved = admin_client.post(
        f"/tickets/{ticket.id}/time/{entry.id}/edit",
        data=form(prefix, duration="45m", technician_id=entry.user_id),
        headers=HX,
    )
    assert saved.status_code == 200
    assert saved.headers["HX-Trigger"] == "ticket-totals-changed"
    row = text(saved)
    assert row.lstrip().startswith(f'<tr id="time-entry-{entry.id}">') and "0:45" in row
    db.session.expire_all()
    assert db.session.get(TimeEntry, entry.id).minutes == 45


def test_invalid_edit_returns_the_row_form_with_the_message(admin_client):
    ticket = make_ticket()
    entry = make_time_entry(ticket, minutes=90)
    prefix = f"time-entry-{entry.id}-"
    response = admin_client.post(
        f"/tickets/{ticket.id}/time/{entry.id}/edit",
        data=form(prefix, duration="25h", technician_id=entry.user_id),
        headers=HX,
    )
    assert response.status_code == 422
    body = text(response)
    assert body.lstrip().startswith(f'<tr id="time-entry-{entry.id}" class="editing">')
    assert "at most 24 hours" in error_beside(body, "duration", prefix)
    db.session.expire_all()
    assert db.session.get(TimeEntry, entry.id).minutes == 90


def test_edit_without_javascript(admin_client):
    ticket = make_ticket()
    entry = make_time_entry(ticket, minutes=90)
    prefix = f"time-entry-{entry.id}-"
    page = text(admin_client.get(f"/tickets/{ticket.id}/time/{entry.id}/edit"))
    assert "<html" in page and f'<tr id="time-entry-{entry.id}" class="editing">' in page
    assert f'id="{NEW}duration"' in page  # the add form is still there, with its own ids
    refused = admin_client.post(
        f"/tickets/{ticket.id}/time/{entry.id}/edit", data=form(prefix, duration="")
    )
    assert refused.status_code == 422 and "<html" in refused.get_data(as_text=True)
    assert "Enter how long" in error_beside(text(refused), "duration", prefix)
    saved = admin_client.post(
        f"/tickets/{ticket.id}/time/{entry.id}/edit",
        data=form(prefix, duration="2h", technician_id=entry.user_id, billable=None),
    )
    assert saved.status_code == 302
    assert saved.location == f"/tickets/{ticket.id}#time-entry-{entry.id}"
    db.session.expire_all()
    entry = db.session.get(TimeEntry, entry.id)
    assert entry.minutes == 120 and entry.billable is False
    assert admin_client.get(f"/tickets/{ticket.id}/time/{entry.id}").status_code == 302


def test_delete_inline_and_without_javascript(admin_client):
    ticket = make_ticket()
    first, second = make_time_entry(ticket), make_time_entry(ticket)
    page = text(admin_client.get(f"/tickets/{ticket.id}"))
    assert 'hx-confirm="Delete this time entry?"' in page
    response = admin_client.post(f"/tickets/{ticket.id}/time/{first.id}/delete", headers=HX)
    assert response.status_code == 200 and response.get_data() == b""
    assert response.headers["HX-Trigger"] == "ticket-totals-changed"
    response = admin_client.post(f"/tickets/{ticket.id}/time/{second.id}/delete")
    assert response.status_code == 302 and response.location == f"/tickets/{ticket.id}#time-entries"
    assert entries() == 0


def test_an_entry_of_another_ticket_is_404(admin_client):
    entry = make_time_entry()
    other = make_ticket()
    assert admin_client.get(f"/tickets/{other.id}/time/{entry.id}/edit").status_code == 404
    assert admin_client.post(f"/tickets/{other.id}/time/{entry.id}/delete").status_code == 404
    assert entries() == 1


# --- who logs whose time -------------------------------------------------------------------------


def test_technician_logs_own_time_and_sees_only_themselves(tech_client, technician):
    colleague = make_user(Role.TECHNICIAN, name="Cora Colleague")
    ticket = make_ticket()
    page = text(tech_client.get(f"/tickets/{ticket.id}"))
    technicians = page[page.index(f'name="{NEW}technician_id"') :]
    technicians = technicians[: technicians.index("</select>")]
    assert f'<option selected value="{technician.id}">Tom Tech' in technicians
    assert "Cora Colleague" not in technicians
    response = tech_client.post(f"/tickets/{ticket.id}/time", data=form(), headers=HX)
    assert response.status_code == 200
    assert db.session.scalar(select(TimeEntry)).user_id == technician.id
    refused = tech_client.post(
        f"/tickets/{ticket.id}/time", data=form(technician_id=colleague.id), headers=HX
    )
    assert refused.status_code == 422
    assert "Technicians record their own time." in error_beside(text(refused), "technician_id")
    assert entries() == 1


def test_admin_logs_time_for_any_active_technician(admin_client):
    tech = make_user(Role.TECHNICIAN, name="Tina Tech")
    make_user(Role.TECHNICIAN, name="Gone Guy").active = False
    db.session.commit()
    ticket = make_ticket()
    page = text(admin_client.get(f"/tickets/{ticket.id}"))
    assert "Tina Tech" in page and "Gone Guy" not in page
    admin_client.post(f"/tickets/{ticket.id}/time", data=form(technician_id=tech.id))
    assert db.session.scalar(select(TimeEntry)).user_id == tech.id


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_csrf_token_from_the_page_header_lets_htmx_add_time(client, app_config):
    user = make_user()
    log_in(client, user)
    ticket = make_ticket()
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    refused = client.post(f"/tickets/{ticket.id}/time", data=form(), headers=HX)
    assert refused.status_code == 400 and entries() == 0
    added = client.post(
        f"/tickets/{ticket.id}/time", data=form(), headers={**HX, "X-CSRFToken": token}
    )
    assert added.status_code == 200 and entries() == 1
    form_token = re.search(r'name="time-entry-new-csrf_token" type="hidden" value="([^"]+)"', page)
    plain = client.post(
        f"/tickets/{ticket.id}/time", data={**form(), "time-entry-new-csrf_token": form_token[1]}
    )
    assert plain.status_code == 302 and entries() == 2


def test_work_date_defaults_to_today(admin_client):
    from clock import today as local_today

    ticket = make_ticket(make_contract(start_date=date(2020, 1, 1)))
    page = text(admin_client.get(f"/tickets/{ticket.id}"))
    assert f'name="{NEW}work_date" type="date" value="{local_today().isoformat()}"' in page
