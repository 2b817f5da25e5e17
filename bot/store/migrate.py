"""Run the Alembic migrations in `bot/store/migrations` on a live connection."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("bot.store") / "migrations"))
    return cfg


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Bring the database behind `connection` to `revision` (sync, for `run_sync`)."""
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def head() -> str | None:
    """The newest revision the migrations define (what `upgrade` brings a database to)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
