"""The web and command-line surface of MSP Billing, one package per area."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every blueprint, the template helpers and the login gate."""
    from blueprints import (
        admin,
        auth,
        batches,
        cli,
        credit_notes,
        errors,
        input_guard,
        invoices,
        main,
        reports,
        templating,
        webhooks,
        work,
    )
    from blueprints.cli.batches import batches_cli
    from blueprints.cli.bench import bench_cli
    from blueprints.cli.credit_notes import credit_notes_cli
    from blueprints.cli.invoices import invoices_cli
    from blueprints.cli.ledgers import ledgers_cli
    from blueprints.cli.payments import payments_cli
    from blueprints.cli.reminders import reminders_cli
    from blueprints.cli.reports import reports_cli
    from blueprints.params import IdConverter

    # Before any route is added: every <int:...> id is bounded by the id columns (else a 404).
    app.url_map.converters["int"] = IdConverter
    web = (
        auth.bp, errors.bp, main.bp, work.bp, batches.bp, invoices.bp, credit_notes.bp,
        reports.bp, admin.bp, webhooks.bp,
    )  # fmt: skip
    clis = (
        cli.users_cli, cli.demo_cli, batches_cli, invoices_cli, payments_cli, reminders_cli,
        credit_notes_cli, reports_cli, bench_cli, ledgers_cli,
    )  # fmt: skip
    for bp in (*web, *clis):
        app.register_blueprint(bp)
    templating.init_app(app)
    input_guard.init_app(app)
