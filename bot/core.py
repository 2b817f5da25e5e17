"""`Core`: the one object adapters and the CLI talk to. It owns the store, the settings
and (optionally) the on-demand digest builder, and answers neutral `Command`s."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.models import Answer, Command, Digest
from bot.settings import Settings, get_settings
from bot.store import Store


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What an on-demand build produced, with one-line notes (sources used, failures)."""

    digest: Digest
    notes: tuple[str, ...] = ()


# Builds the digest of one past day from the sources with history and saves it in the store.
Builder = Callable[[Store, dt.date], Awaitable[BuildResult]]


class Core:
    def __init__(self, settings: Settings, store: Store, builder: Builder | None = None) -> None:
        self.settings = settings
        self.store = store
        self.builder = builder

    @classmethod
    async def open(
        cls, settings: Settings | None = None, *, builder: Builder | None = None,
        load_sample: bool = True,
    ) -> Core:
        """Open the store (migrating it) and load the bundled sample into an empty one."""
        settings = settings or get_settings()
        store = await Store.open(settings.database_url)
        if load_sample:
            from bot.archive.bundled import ensure_sample

            await ensure_sample(store)
        return cls(settings, store, builder)

    async def close(self) -> None:
        await self.store.close()

    async def stored_or_built(self, date: dt.date) -> tuple[Digest | None, tuple[str, ...]]:
        """The stored digest of `date`; without one, build it when a builder is set
        and the day is over. Returns the digest (or None) and notes for the user."""
        digest = await self.store.get_digest(date)
        if digest is not None:
            return digest, ()
        if self.builder is None or date > dt.datetime.now(dt.UTC).date():
            return None, ()
        result = await self.builder(self.store, date)
        return result.digest, result.notes

    async def answer(self, command: Command) -> Answer:
        from bot.commands import handle

        return await handle(self, command)
