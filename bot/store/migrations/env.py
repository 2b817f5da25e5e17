"""Alembic environment: migrations run on the connection `bot.store.migrate` hands in."""

from alembic import context

from bot.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through bot.store.migrate
    raise RuntimeError("run migrations with `hotpapers db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
