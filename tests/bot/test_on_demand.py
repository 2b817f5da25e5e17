"""On-demand builds through the core (`/hot D`, `hotpapers digest D`) against the fake
arXiv and social servers, with a clock the test moves: a failed day is tried again only
once its retry time has passed, a partial day is built again when due, and the better
digest is the one answered."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.core import Core
from bot.errors import BuildError, NothingBuilt
from bot.on_demand import on_demand_builder
from bot.provenance import failed_build
from bot.store import Store
from tests.fakes.build_world import DAY, NOW, World

FIRST_RETRY = dt.timedelta(seconds=900)  # the default HOTPAPERS_BUILD_RETRY_AFTER


@dataclass
class Clock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
async def core(world: World) -> AsyncIterator[tuple[Core, Clock]]:
    settings = world.settings.model_copy(update={"source_attempts": 1})
    clock = Clock(NOW)
    build, session = await on_demand_builder(settings, clock=clock)
    store = await Store.open(settings.database_url)
    try:
        yield Core(settings, store, build, clock=clock), clock
    finally:
        await store.close()
        await session.close()


def social_requests(world: World) -> int:
    return len(world.social.log)


async def test_a_day_never_stored_is_built_from_the_sources_with_history(
    world: World, core: tuple[Core, Clock]
) -> None:
    c, _ = core
    digest, notes = await c.stored_or_built(DAY)
    assert digest is not None and digest.sources == ("hn", "hf")
    assert digest.status == "complete" and digest.asked == ("hn", "hf")
    assert notes[0].startswith(
        "built on demand from arXiv, Hacker News, Hugging Face (the sources with history")
    again, notes = await c.stored_or_built(DAY)  # stored now: not built twice
    assert again == digest and notes == ()
    assert [r.path for r in world.arxiv.log] == ["/rss/cs+stat.ML", "/api/query"]  # once
    assert not [e for e in world.social.log if e.source in ("x", "bluesky")]


async def test_a_failed_day_is_not_cached_and_waits_for_its_retry_time(
    world: World, core: tuple[Core, Clock]
) -> None:
    c, clock = core
    world.social.fail("hn", 503, times=1)
    world.social.fail("hf", 503, times=1)
    with pytest.raises(NothingBuilt, match=r"^2021-08-06: nothing stored: hn failed, hf failed"):
        await c.stored_or_built(DAY)
    assert await c.store.get_digest(DAY) is None
    failed = await failed_build(c.store, DAY)
    assert failed is not None and failed.attempts == 1 and failed.retry_at == NOW + FIRST_RETRY

    clock.now = NOW + dt.timedelta(minutes=5)  # the sources are back; not due yet
    before = social_requests(world)
    with pytest.raises(BuildError, match=r"building it failed at .* next try after"):
        await c.stored_or_built(DAY)
    assert social_requests(world) == before  # no request sent

    clock.now = NOW + FIRST_RETRY + dt.timedelta(seconds=1)
    digest, _ = await c.stored_or_built(DAY)
    assert digest is not None and digest.status == "complete" and len(digest.papers) > 0
    assert await failed_build(c.store, DAY) is None  # a usable build clears the record


async def test_a_partial_day_is_built_again_when_due_and_the_better_one_kept(
    world: World, core: tuple[Core, Clock]
) -> None:
    c, clock = core
    world.social.fail("hn", 503, times=1)
    partial, _ = await c.stored_or_built(DAY)
    assert partial is not None and partial.status == "partial"
    assert partial.sources == ("hf",) and partial.failed_sources == ("hn",)
    assert partial.retry_at == NOW + FIRST_RETRY and partial.attempts == 1

    clock.now = NOW + dt.timedelta(minutes=1)
    before = social_requests(world)
    same, notes = await c.stored_or_built(DAY)
    assert same == partial and notes == () and social_requests(world) == before

    # due, but every source fails again: the partial digest is answered, the retry pushed
    clock.now = NOW + FIRST_RETRY
    world.social.fail("hn", 503, times=1)
    world.social.fail("hf", 503, times=1)
    kept, notes = await c.stored_or_built(DAY)
    assert kept is not None and kept.papers == partial.papers
    assert notes and notes[0].startswith("building it again failed (2021-08-06 kept: the "
                                         "stored digest (")
    stored = await c.store.get_digest(DAY)
    assert stored is not None and stored.attempts == 2
    assert stored.retry_at == clock.now + 2 * FIRST_RETRY  # doubled

    clock.now = stored.retry_at
    complete, notes = await c.stored_or_built(DAY)
    assert complete is not None and complete.status == "complete"
    assert complete.sources == ("hn", "hf") and complete.retry_at is None
    assert notes[0] == "built again: the stored digest was partial"
    assert await c.store.get_digest(DAY) == complete
