"""`Core`: the one object adapters and the CLI talk to. It owns the store, the settings
and (optionally) the on-demand digest builder, and answers neutral `Command`s (through
`bot.commands`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.commands import handle
from bot.errors import BuildError, HotpapersError
from bot.guard import CommandLimits, RecentThreads
from bot.models import Answer, BuildResult, Command, Digest
from bot.provenance import failed_build, retry_due
from bot.settings import Settings, get_settings
from bot.store import Store

if TYPE_CHECKING:
    from bot.digest import Builder
    from bot.fleet import Fleet

__all__ = ["BuildResult", "Core"]

log = logging.getLogger("hotpapers.core")
SORRY = "Sorry, that failed on my side; try again in a minute, or type /hot help."


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Core:
    def __init__(self, settings: Settings, store: Store, builder: Builder | None = None,
                 *, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self.settings = settings
        self.store = store
        self.builder = builder
        self.clock = clock
        self.limits = CommandLimits(settings)
        self.recent = RecentThreads(settings.repeat_window)
        # This process in the fleet (`hotpapers run` sets it for its whole life; None
        # elsewhere): live workers, their roles, named leases (Discord shards).
        self.fleet: Fleet | None = None

    @classmethod
    async def open(cls, settings: Settings | None = None, *, builder: Builder | None = None
                   ) -> Core:
        """Open the store (migrating it). A fresh store holds no digest: the bundled
        sample is demo data for `hotpapers digest`, never written into a store."""
        settings = settings or get_settings()
        store = await Store.open(settings.database_url)
        return cls(settings, store, builder)

    async def close(self) -> None:
        await self.store.close()

    async def stored_or_built(self, date: dt.date) -> tuple[Digest | None, tuple[str, ...]]:
        """The stored digest of `date`; without one, build it when a builder is set and
        the day is over. A partial digest whose retry time has come is built again first
        (the better of the two is answered); a day whose last build failed is tried
        again only once its retry time has passed (`BuildError` before that, naming
        it). Returns the digest (or None) and notes for the user."""
        digest = await self.store.get_digest(date)
        now = self.clock()
        if digest is not None:
            if self.builder is None or not retry_due(digest, now):
                return digest, ()
            try:
                result = await self.builder(self.store, date)
            except Exception as exc:  # the partial digest is still the best there is
                reason = exc.one_line() if isinstance(exc, HotpapersError) else \
                    (str(exc).splitlines() or [type(exc).__name__])[0]
                return digest, (f"building it again failed ({reason}); this is the "
                                "partial digest",)
            return result.digest, result.notes
        if self.builder is None or date > now.date():
            return None, ()
        failed = await failed_build(self.store, date)
        if failed is not None and failed.retry_at > now:
            raise BuildError(f"{date.isoformat()}: {failed.line()}")
        result = await self.builder(self.store, date)
        return result.digest, result.notes

    async def answer_or_apologise(self, command: Command) -> Answer:
        """`answer`, but a bug on our side is logged and becomes a one-line apology (an
        adapter must answer the platform whatever happens)."""
        try:
            return await self.answer(command)
        except Exception:
            log.exception("command %s failed", command.name)
            return Answer(text=SORRY, ephemeral=True, is_error=True)

    async def answer(self, command: Command) -> Answer:
        return await handle(self, command)

    def thread_posted(self, answer: Answer, link: str) -> None:
        """An adapter posted `answer`'s digest; `link` points at its thread."""
        self.recent.posted(answer.view_key, link)

    def thread_failed(self, answer: Answer) -> None:
        """Posting `answer`'s digest failed: the same view may be asked again at once."""
        self.recent.failed(answer.view_key)
