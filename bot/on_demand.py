"""On-demand builds of past days, for `/hot D` and `hotpapers digest D` (through
`bot.core.Core.stored_or_built`): the day is built by `bot.digest.build_digest` under
the rules of `bot.provenance` and saved in the core's store."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import aiohttp

from bot.arxiv.pacing import ArxivPacer
from bot.digest import Builder, build_digest, used_line
from bot.models import BuildResult
from bot.provenance import retry_due
from bot.retry import RetryNotice
from bot.settings import Settings
from bot.signals.registry import HISTORY_SOURCES, make_sources
from bot.store import Store


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def on_demand_builder(
    settings: Settings, *, notice: RetryNotice | None = None,
    clock: Callable[[], dt.datetime] = _utc_now,
) -> tuple[Builder, aiohttp.ClientSession]:
    """A builder of past days, and the session it uses (the caller closes it). A day
    never stored is built from the sources with history (HN, Hugging Face, arXiv); a
    partial day whose retry time has come is built again from the sources it asked.
    Builds of the same date wait for each other; each build saves its digest in the
    store it is given (the core's), by the rules of `bot.provenance`. `notice` gets
    every retry of a request as one line; `clock` is "now" (tests move it)."""
    session = aiohttp.ClientSession()
    pacer = ArxivPacer(session, min_interval=settings.arxiv_min_interval,
                       user_agent=settings.user_agent, notice=notice)
    locks: dict[dt.date, asyncio.Lock] = {}

    async def build(store: Store, date: dt.date) -> BuildResult:
        async with locks.setdefault(date, asyncio.Lock()):
            stored = await store.get_digest(date)
            now = clock()
            if stored is not None and not retry_due(stored, now):
                return BuildResult(stored, (), stored=False)  # built meanwhile
            if stored is not None:  # a partial day, due: the sources it asked
                sources, _ = make_sources(settings, session, stored.asked or HISTORY_SOURCES,
                                          notice=notice)
                why = "built again: the stored digest was partial"
            else:
                found, _ = make_sources(settings, session, HISTORY_SOURCES, notice=notice)
                sources = [s for s in found if s.has_history]
                why = ("built on demand from {used} (the sources with history; X and "
                       "Bluesky keep no history for past days)")
            result = await build_digest(date, settings=settings, session=session,
                                        store=store, sources=sources, pacer=pacer, now=now,
                                        notice=notice)
        if not result.stored:
            return result
        note = why.format(used=used_line(result.digest))
        return BuildResult(result.digest, (note, *result.notes[1:]))

    return build, session
