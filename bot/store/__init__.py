"""Persistence: SQLAlchemy 2 async Core over SQLite (default) or PostgreSQL."""

from bot.store.store import Store

__all__ = ["Store"]
