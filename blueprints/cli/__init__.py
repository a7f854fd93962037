"""Command-line commands: ``flask --app app users create``, ``seed-demo [--region us|eu]``,
``bootstrap``."""

import secrets

import click
from flask import Blueprint
from sqlalchemy import func, select

from billing.errors import ValidationFailed
from clock import today
from models import Customer, Product, Rate, Role, TaxRate, Ticket, User, db

users_cli = Blueprint("users", __name__, cli_group="users")
demo_cli = Blueprint("demo", __name__, cli_group=None)

DEMO_ADMIN_EMAIL = "admin@example.com"
# What the demo creates: any of them present means the database is in use.
DEMO_TABLES = (Customer, TaxRate, Rate, Product, Ticket)
# The demos seed-demo knows: "us" (the default) and "eu" (demo.eu, e-invoicing customers).
REGIONS = ("us", "eu")


@users_cli.cli.command("create")
@click.option("--email", required=True, help="Login email.")
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.TECHNICIAN.value)
@click.option("--name", default="", help="Display name (defaults to the email's local part).")
@click.option(
    "--sees-billing",
    is_flag=True,
    help="A technician who may see billing (invoices, batches, amounts), read-only.",
)
def create_user_command(
    email: str, password: str, role: str, name: str, sees_billing: bool
) -> None:
    """Create a user who can log in."""
    from billing.users import create_user

    try:
        user = create_user(email, password, role, name, can_see_billing=sees_billing)
    except ValidationFailed as error:
        raise click.BadParameter(str(error), param_hint=f"--{error.field}") from None
    db.session.commit()
    billing = " who sees billing" if user.sees_billing and not user.is_admin else ""
    click.echo(f"Created {user.role.value} {user.email}{billing}.")


@users_cli.cli.command("set-password")
@click.option("--email", required=True)
@click.option("--password", required=True)
def set_password_command(email: str, password: str) -> None:
    """Set a user's password (for a forgotten admin password)."""
    from billing.users import check_password_strength

    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None:
        raise click.BadParameter("No user has this email.", param_hint="--email")
    try:
        check_password_strength(password)
    except ValidationFailed as error:
        raise click.BadParameter(str(error), param_hint="--password") from None
    user.set_password(password)
    db.session.commit()
    click.echo(f"Password changed for {user.email}.")


@demo_cli.cli.command("seed-demo")
@click.option(
    "--region",
    type=click.Choice(REGIONS, case_sensitive=False),
    default="us",
    show_default=True,
    help="us: a Texas MSP in USD; eu: a Berlin MSP in EUR whose customers get e-invoices "
    "(Factur-X, Peppol, XRechnung).",
)
def seed_demo_command(region: str) -> None:
    """Fill an empty database with a believable MSP's last three months."""
    from demo.receivables import seed_receivables

    filled = [m.__tablename__ for m in DEMO_TABLES if db.session.scalar(select(func.count(m.id)))]
    if filled:
        raise click.ClickException(
            f"seed-demo needs an empty database; it has {', '.join(filled)} already."
        )
    try:
        summary = _seed(region.lower())
    except ValidationFailed as error:
        db.session.rollback()
        raise click.ClickException(f"seed-demo --region {region}: {error}") from None
    billed = seed_receivables(today())
    db.session.commit()
    click.echo(summary)
    click.echo(billed.summary())
    if region.lower() == "eu":
        from demo.eu import einvoice_summary

        click.echo(einvoice_summary())


def _seed(region: str) -> str:
    """Seed the demo of ``region`` (one of :data:`REGIONS`); its summary line."""
    if region == "eu":
        from demo.eu import seed_demo_eu

        return seed_demo_eu(today())
    from demo.build import seed_demo

    return seed_demo(today())


@demo_cli.cli.command("bootstrap")
def bootstrap_command() -> None:
    """On a new database: create an admin (printing its login) and seed the demo data."""
    from billing.users import create_user
    from demo.build import seed_demo
    from demo.receivables import seed_receivables

    if db.session.scalar(select(func.count(User.id))):
        click.echo("Existing database: nothing to set up. Log in with your account.")
        return
    password = secrets.token_urlsafe(12)
    create_user(DEMO_ADMIN_EMAIL, password, Role.ADMIN, "Demo Admin")
    summary = seed_demo(today())
    billed = seed_receivables(today())
    db.session.commit()
    click.echo(summary)
    click.echo(billed.summary())
    click.secho("\n  Log in at http://127.0.0.1:5000", bold=True)
    click.secho(f"  Email:    {DEMO_ADMIN_EMAIL}", bold=True)
    click.secho(f"  Password: {password}\n", bold=True)
