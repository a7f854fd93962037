"""Admin > Accounting: connect QuickBooks Online or Xero (OAuth 2.0), pick a tenant, disconnect."""

from authlib.integrations.base_client.errors import OAuthError
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from billing.errors import Conflict
from billing.ledgers.connections import (
    access_token,
    connected_providers,
    connection_for,
    disconnect,
    store_connection,
)
from billing.ledgers.mapping import missing_mappings
from billing.ledgers.oauth_text import refusal_text
from billing.ledgers.tax import detect_tax_model
from billing.settings import get_settings
from blueprints.admin import bp
from blueprints.forms import ActionForm
from integrations import quickbooks as qbo
from integrations import xero
from integrations.ledger_errors import LedgerError
from integrations.oauth import oauth_client, provider_config
from models import Provider, db


def _provider(name: str) -> Provider:
    try:
        return Provider(name)
    except ValueError:
        abort(404)


@bp.route("/accounting")
def accounting():
    """Each ledger: configured or not, connected company, reconnect warnings, actions."""
    ledgers = [
        {
            "provider": p,
            "label": p.label,
            "config": provider_config(p.value),
            "connection": (connection := connection_for(p)),
            "missing": missing_mappings(connection) if connection else [],
        }
        for p in Provider
    ]
    return render_template(
        "admin/accounting.html",
        ledgers=ledgers,
        form=ActionForm(),
        settings=get_settings(),
        connected=connected_providers(),
    )


@bp.route("/accounting/options", methods=["POST"])
def accounting_options():
    """Whether a saved batch is exported at once, and to which ledger."""
    ActionForm().validate_on_submit()
    settings = get_settings()
    target = request.form.get("export_target", "")
    if target and target not in {p.value for p in Provider}:
        abort(400, "Choose quickbooks or xero.")
    settings.export_on_save = request.form.get("export_on_save") == "1"
    settings.export_target = target
    db.session.commit()
    flash("Saving a batch: " + ("it is exported at once." if settings.export_on_save
                                else "it is not exported; export from the Billing page."),
          "success")  # fmt: skip
    return redirect(url_for("admin.accounting"))


@bp.route("/accounting/<name>/connect", methods=["POST"])
def accounting_connect(name: str):
    """Start the OAuth authorization-code flow (state is checked on the way back)."""
    provider = _provider(name)
    ActionForm().validate_on_submit()
    if not provider_config(provider.value).configured:
        flash(f"Set {provider.value.upper()}_CLIENT_ID and _CLIENT_SECRET first.", "error")
        return redirect(url_for("admin.accounting"))
    callback = url_for("admin.accounting_callback", name=provider.value, _external=True)
    return oauth_client(provider.value).authorize_redirect(callback)


@bp.route("/accounting/<name>/callback")
def accounting_callback(name: str):
    """The ledger sends the admin back here with a code (or an error)."""
    provider = _provider(name)
    if request.args.get("error"):
        flash(refusal_text(provider, request.args["error"], request.args.get("error_description")),
              "error")  # fmt: skip
        return redirect(url_for("admin.accounting"))
    try:
        token = oauth_client(provider.value).authorize_access_token()
    except OAuthError as error:
        flash(refusal_text(provider, error.error, error.description), "error")
        return redirect(url_for("admin.accounting"))
    if provider == Provider.QUICKBOOKS:
        # Authlib ignores realmId; QuickBooks sends the company id only here.
        realm = request.args.get("realmId", "")
        company, tax_model = _quickbooks_company(realm, token["access_token"])
        connection = store_connection(provider, realm, company, token, current_user)
        connection.tax_model = tax_model
        db.session.commit()
        flash(f"QuickBooks Online is connected to {company}.", "success")
        return redirect(url_for("admin.accounting"))
    try:
        tenants = _xero_tenants(token["access_token"])
    except LedgerError as error:
        flash(f"Xero did not list your organisations: {error.text}", "error")
        return redirect(url_for("admin.accounting"))
    company = tenants[0]["tenantName"] if len(tenants) == 1 else ""
    tenant_id = tenants[0]["tenantId"] if len(tenants) == 1 else ""
    store_connection(provider, tenant_id, company, token, current_user)
    db.session.commit()
    if len(tenants) != 1:
        return redirect(url_for("admin.accounting_tenant"))
    flash(f"Xero is connected to {company}.", "success")
    return redirect(url_for("admin.accounting"))


def _quickbooks_company(realm: str, token: str) -> tuple[str, str]:
    """The company's name (its id if QuickBooks does not say) and its tax model ("" when it
    could not be read: the first export or the mapping page reads it again)."""
    config = provider_config("quickbooks")
    client = qbo.QuickBooksClient(config.api_base_url, realm, token)
    try:
        info = client.company_info()
    except LedgerError:
        return f"Company {realm}", ""
    try:
        model = detect_tax_model(info, client.preferences())
    except LedgerError:
        model = ""
    return str(info.get("CompanyName") or f"Company {realm}"), model


def _xero_tenants(token: str) -> list[dict]:
    """The Xero organisations (not practices) this login connected."""
    tenants = xero.connections(provider_config("xero").connections_url, token)
    return [t for t in tenants if t.get("tenantType", "ORGANISATION") == "ORGANISATION"]


@bp.route("/accounting/xero/tenant", methods=["GET", "POST"])
def accounting_tenant():
    """Pick which Xero organisation to export to, when the login has several."""
    connection = connection_for(Provider.XERO)
    if connection is None:
        abort(404)
    try:
        tenants = _xero_tenants(access_token(connection, provider_config("xero")))
    except (LedgerError, Conflict) as error:
        flash(f"Xero did not list your organisations: {error}", "error")
        return redirect(url_for("admin.accounting"))
    if request.method == "POST":
        ActionForm().validate_on_submit()
        chosen = next((t for t in tenants if t["tenantId"] == request.form.get("tenant")), None)
        if chosen is None:
            return render_template(
                "admin/accounting_tenant.html",
                tenants=tenants,
                form=ActionForm(),
                error="Choose one of the organisations.",
            ), 422
        connection.tenant_id = chosen["tenantId"]
        connection.company_name = chosen["tenantName"]
        db.session.commit()
        flash(f"Xero is connected to {chosen['tenantName']}.", "success")
        return redirect(url_for("admin.accounting"))
    return render_template("admin/accounting_tenant.html", tenants=tenants, form=ActionForm())


@bp.route("/accounting/<name>/disconnect", methods=["POST"])
def accounting_disconnect(name: str):
    """Revoke our access at the ledger and forget the tokens."""
    provider = _provider(name)
    ActionForm().validate_on_submit()
    connection = connection_for(provider)
    if connection is None:
        abort(404)
    warning = disconnect(connection, provider_config(provider.value))
    db.session.commit()
    flash(f"{provider.label} is disconnected.", "success")
    if warning:
        flash(warning, "error")
    return redirect(url_for("admin.accounting"))
