"""Admin > Accounting: connect QuickBooks Online or Xero (OAuth 2.0), pick a tenant, disconnect."""

import requests
from authlib.integrations.base_client.errors import OAuthError
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from billing.accounting import connection_for, disconnect, store_connection
from billing.ledger_mapping import missing_mappings
from blueprints.admin import bp
from blueprints.forms import ActionForm
from integrations.oauth import oauth_client, provider_config
from models import Provider, db

TIMEOUT = 15


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
    return render_template("admin/accounting.html", ledgers=ledgers, form=ActionForm())


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
        flash(f"{provider.label} did not connect: {request.args['error']}.", "error")
        return redirect(url_for("admin.accounting"))
    try:
        token = oauth_client(provider.value).authorize_access_token()
    except OAuthError as error:
        flash(f"{provider.label} did not connect: {error.description or error.error}.", "error")
        return redirect(url_for("admin.accounting"))
    if provider == Provider.QUICKBOOKS:
        # Authlib ignores realmId; QuickBooks sends the company id only here.
        realm = request.args.get("realmId", "")
        store_connection(provider, realm, f"Company {realm}", token, current_user)
        db.session.commit()
        flash("QuickBooks Online is connected.", "success")
        return redirect(url_for("admin.accounting"))
    tenants = _xero_tenants(token["access_token"])
    company = tenants[0]["tenantName"] if len(tenants) == 1 else ""
    tenant_id = tenants[0]["tenantId"] if len(tenants) == 1 else ""
    store_connection(provider, tenant_id, company, token, current_user)
    db.session.commit()
    if len(tenants) != 1:
        return redirect(url_for("admin.accounting_tenant"))
    flash(f"Xero is connected to {company}.", "success")
    return redirect(url_for("admin.accounting"))


def _xero_tenants(access_token: str) -> list[dict]:
    response = requests.get(
        provider_config("xero").connections_url,
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    return [t for t in response.json() if t.get("tenantType", "ORGANISATION") == "ORGANISATION"]


@bp.route("/accounting/xero/tenant", methods=["GET", "POST"])
def accounting_tenant():
    """Pick which Xero organisation to export to, when the login has several."""
    connection = connection_for(Provider.XERO)
    if connection is None:
        abort(404)
    tenants = _xero_tenants(connection.access_token)
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
