"""The web and command-line surface of MSP Billing, one package per area."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every blueprint, the template helpers and the login gate."""
    from blueprints import admin, auth, cli, errors, main, templating, work

    for bp in (auth.bp, errors.bp, main.bp, work.bp, admin.bp, cli.users_cli, cli.demo_cli):
        app.register_blueprint(bp)
    templating.init_app(app)
