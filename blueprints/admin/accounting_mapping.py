"""Admin > Accounting > Mapping: our items, rates, contract types and taxes -> the ledger's.

The dropdowns list what the connected ledger has right now; saving checks each choice is
still offered, and stores all rows or none.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from billing.ledgers.choices import LedgerChoices, ledger_choices
from billing.ledgers.connections import ReconnectNeeded, connection_for
from billing.ledgers.mapping import MappingRow, mapping_rows, mappings_of, save_mappings
from billing.ledgers.tax import LABELS as TAX_MODEL_LABELS
from blueprints.admin import bp
from integrations.ledger_errors import LedgerError
from models import AccountingConnection, LedgerMapping, Provider, db

GROUPS = ("Income", "Taxes", "Payments", "Contract types", "Rates", "Products", "Customers")


def field_name(key: str) -> str:
    """A form field name for a mapping key (``tax:3`` -> ``tax__3``)."""
    return key.replace(":", "__")


def _form(rows: list[MappingRow], choices: LedgerChoices, connection: AccountingConnection):
    stored = {f"{m.kind}:{m.local_key}": m for m in connection.mappings}

    class MappingForm(FlaskForm):
        pass

    for row in rows:
        options = list(getattr(choices, row.target))
        current: LedgerMapping | None = stored.get(row.key)
        if current is not None and current.external_id not in dict(options):
            gone = f"{current.external_name or current.external_id} (no longer in the ledger)"
            options.append((current.external_id, gone))
        blank = "Choose..." if row.required else "Use the default"
        if row.target == "item_code":
            blank = "No item code"
        elif row.target == "customer":
            blank = "Find by exact name, or create"
        elif row.target == "bank":
            blank = (
                "Undeposited Funds (refunds wait for an account)"
                if connection.provider == Provider.QUICKBOOKS
                else "None: payments and refunds wait for one"
            )
        field = SelectField(
            row.label,
            choices=[SelectChoice(value, text) for value, text in [("", blank), *options]],
            default=current.external_id if current else "",
            validate_choice=False,  # checked in _errors, with a message that says why
        )
        setattr(MappingForm, field_name(row.key), field)
    return MappingForm()


def _errors(form, rows: list[MappingRow], choices: LedgerChoices, label: str) -> bool:
    ok = True
    for row in rows:
        field = form[field_name(row.key)]
        value = field.data or ""
        if not value and row.required:
            field.errors = [f"Choose what {label} should use: every export needs it."]
            ok = False
        elif value and choices.name_of(row.target, value) is None:
            field.errors = [f"{label} no longer offers this; choose another."]
            ok = False
    return ok


def _table(rows: list[MappingRow], form) -> list[tuple[str, list[tuple]]]:
    """Rows grouped for the page: ``(group, [(row, field, item-code field or None)])``; a
    product's Xero item code sits beside its account rather than on a row of its own."""
    groups = []
    for group in GROUPS:
        entries = [
            (row, form[field_name(row.key)], _code_field(form, row))
            for row in rows
            if row.group == group and row.target != "item_code"
        ]
        if entries:
            groups.append((group, entries))
    return groups


def _code_field(form, row: MappingRow):
    if not row.key.startswith("product:"):
        return None
    name = field_name("item_code:" + row.key.split(":", 1)[1])
    return getattr(form, name, None)


def _page(connection, rows=(), form=None, error: str | None = None):
    mapped = mappings_of(connection)
    return render_template(
        "admin/accounting_mapping.html",
        connection=connection,
        provider=connection.provider,
        groups=_table(list(rows), form) if form is not None else [],
        form=form,
        error=error,
        customers=sum(1 for key in mapped if key.startswith("customer:")),
        tax_model=TAX_MODEL_LABELS.get(connection.tax_model, ""),
    )


@bp.route("/accounting/<name>/mapping", methods=["GET", "POST"])
def accounting_mapping(name: str):
    """Show and save the mapping; the ledger's own lists fill the dropdowns."""
    try:
        provider = Provider(name)
    except ValueError:
        abort(404)
    connection = connection_for(provider)
    if connection is None or not connection.tenant_id:
        flash(f"Connect {provider.label} first; then map.", "error")
        return redirect(url_for("admin.accounting"))
    try:
        choices = ledger_choices(connection)
    except ReconnectNeeded as error:
        return _page(connection, error=str(error)), 409
    except LedgerError as error:
        message = f"{provider.label} did not list its items and taxes: {error.text}"
        return _page(connection, error=message), 502
    db.session.commit()  # a QuickBooks company's tax model, read again with the lists
    rows = mapping_rows(provider, choices.tax_model)
    form = _form(rows, choices, connection)
    if not form.validate_on_submit():
        return _page(connection, rows, form), 422 if form.is_submitted() else 200
    if not _errors(form, rows, choices, provider.label):
        return _page(connection, rows, form), 422
    save_mappings(
        connection,
        {
            row.key: (value, choices.name_of(row.target, value) or "")
            for row in rows
            for value in [form[field_name(row.key)].data or ""]
        },
    )
    db.session.commit()
    flash(f"The {provider.label} mapping is saved.", "success")
    return redirect(url_for("admin.accounting"))
