"""`Core`: the one object adapters and the CLI talk to. It owns the store, the settings
and (optionally) the on-demand digest builder, and answers neutral `Command`s (through
`bot.commands`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from bot.archive.bundled import ensure_sample
from bot.commands import handle
from bot.guard import CommandLimits, RecentThreads
from bot.models import Answer, BuildResult, Command, Digest
from bot.settings import Settings, get_settings
from bot.store import Store

if TYPE_CHECKING:
    from bot.digest import Builder

__all__ = ["BuildResult", "Core"]


class Core:
    def __init__(self, settings: Settings, store: Store, builder: Builder | None = None) -> None:
        self.settings = settings
        self.store = store
        self.builder = builder
        self.limits = CommandLimits(settings)
        self.recent = RecentThreads(settings.repeat_window)

    @classmethod
    async def open(
        cls, settings: Settings | None = None, *, builder: Builder | None = None,
        load_sample: bool = True,
    ) -> Core:
        """Open the store (migrating it) and load the bundled sample into an empty one."""
        settings = settings or get_settings()
        store = await Store.open(settings.database_url)
        if load_sample:
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
        return await handle(self, command)

    def thread_posted(self, answer: Answer, link: str) -> None:
        """An adapter posted `answer`'s digest; `link` points at its thread."""
        self.recent.posted(answer.view_key, link)

    def thread_failed(self, answer: Answer) -> None:
        """Posting `answer`'s digest failed: the same view may be asked again at once."""
        self.recent.failed(answer.view_key)
