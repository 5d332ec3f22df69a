"""How Alembic reaches GinChat's database: through the Flask app's
Flask-SQLAlchemy engine, or through the connection ginchat/schema.py passes
in (it holds the lock that keeps several starting nodes from migrating at once)."""

from alembic import context
from flask import current_app

from ginchat.models.search import in_models

config = context.config
target_db = current_app.extensions["migrate"].db


def run_migrations_offline():
    """``flask db upgrade --sql``: print the SQL instead of running it."""
    url = target_db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=target_db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("render_as_batch", True)  # SQLite alters tables by rebuilding them
    options.setdefault("include_name", in_models)  # the full-text engines' own tables and indexes
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_db.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    with target_db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_db.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
