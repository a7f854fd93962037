"""Alembic environment for Flask-Migrate: the app's engine and the models' metadata."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from integrations.secrets import EncryptedText
from models import ScaledDecimal

config = context.config
fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
options = current_app.extensions["migrate"].configure_args


def render_item(type_, obj, autogen_context):
    """Render our column types as the plain types they store (no import of models needed)."""
    if type_ == "type" and isinstance(obj, ScaledDecimal):
        return "sa.BigInteger()"
    if type_ == "type" and isinstance(obj, EncryptedText):
        return "sa.Text()"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=db.engine.url.render_as_string(hide_password=False),
        target_metadata=db.metadata,
        literal_binds=True,
        render_item=render_item,
        **options,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def skip_empty(context_, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            render_item=render_item,
            process_revision_directives=skip_empty,
            **options,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
