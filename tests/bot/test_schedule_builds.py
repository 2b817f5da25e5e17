"""The daily run's builds against the fake arXiv and social servers (the real
`live_build`), with a clock the test moves: an imported digest is posted as it is, never
rebuilt; a day built partial is posted, then built again at its retry time and replaced
by the complete build, without posting twice."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.cli.service_cmds import live_build
from bot.models import Digest, Subscription
from bot.publish import PublishReport, publish
from bot.schedule import LAST_DAY, Scheduler
from bot.settings import Settings
from bot.store import Store
from tests import factories
from tests.fakes.build_world import DAY, World
from tests.fakes.clock import FakeClock
from tests.fakes.digests import store_sample
from tests.fakes.memory_chat import MemoryChatAdapter

RUN_DAY = dt.datetime(2021, 8, 7, 9, 0, tzinfo=dt.UTC)  # posts the digest of 2021-08-06


def scheduler(world: World, store: Store, clock: FakeClock, chat: MemoryChatAdapter,
              posted: list[Digest]) -> Scheduler:
    settings = world.settings.model_copy(update={"source_attempts": 1})

    async def post(digest: Digest, subs: list[Subscription]) -> PublishReport:
        posted.append(digest)
        return await publish(store, {"memory": chat}, digest, subs, backoff=0, retries=1)

    return Scheduler(store, settings, publish=post, clock=clock,
                     build=live_build(settings, store, world.session, clock=clock.now))


async def test_the_daily_run_posts_an_imported_digest_and_never_rebuilds_it(
    world: World, sqlite_store: Store
) -> None:
    imported = await store_sample(sqlite_store)
    await sqlite_store.save_subscription(Subscription("memory", "A"))
    posted: list[Digest] = []
    sched = scheduler(world, sqlite_store, FakeClock(RUN_DAY), MemoryChatAdapter(), posted)
    outcomes = await sched.run_due()
    assert [(o.digest_date, o.status) for o in outcomes] == [(DAY, "posted")]
    assert posted == [imported]
    assert await sqlite_store.get_digest(DAY) == imported  # still the blog's, sources X
    assert world.arxiv.log == [] and world.social.log == []  # nothing was even asked


async def test_a_partial_day_is_posted_then_built_again_and_replaced(
    world: World, sqlite_store: Store
) -> None:
    await sqlite_store.save_subscription(Subscription("memory", "A"))
    clock, chat, posted = FakeClock(RUN_DAY), MemoryChatAdapter(), []
    sched = scheduler(world, sqlite_store, clock, chat, posted)
    world.social.fail("hn", 503, times=1)
    outcomes = await sched.run_due()
    assert [(o.digest_date, o.status) for o in outcomes] == [(DAY, "posted")]
    partial = await sqlite_store.get_digest(DAY)
    assert partial is not None and partial.status == "partial"
    assert partial.failed_sources == ("hn",) and posted == [partial]
    assert partial.retry_at == RUN_DAY + dt.timedelta(minutes=15)
    assert await sched.next_wake() == partial.retry_at  # the worker wakes for it

    clock.set(RUN_DAY + dt.timedelta(minutes=5))
    assert await sched.run_due() == []  # not due yet

    clock.set(RUN_DAY + dt.timedelta(minutes=16))
    outcomes = await sched.run_due()
    assert [(o.digest_date, o.status) for o in outcomes] == [(DAY, "rebuilt")]
    complete = await sqlite_store.get_digest(DAY)
    assert complete is not None and complete.status == "complete"
    assert "hn" in complete.sources and complete.retry_at is None
    assert outcomes[0].detail.startswith("complete: ")
    assert posted == [partial]  # the thread already posted stays as it is: nothing twice
    assert chat.ranks("A") == list(range(len(partial.papers) + 1))
    assert await sched.run_due() == []  # complete: nothing left to build


async def test_a_rebuild_that_breaks_waits_its_backoff_instead_of_looping(
    sqlite_store: Store,
) -> None:
    now = RUN_DAY + dt.timedelta(hours=2)
    partial = dataclasses.replace(factories.digest(DAY), status="partial", sources=("hf",),
                                  failed_sources=("hn",), asked=("hn", "hf"),
                                  retry_at=now - dt.timedelta(minutes=1), attempts=1)
    await sqlite_store.save_digest(partial)
    await sqlite_store.set_value(LAST_DAY, RUN_DAY.date().isoformat())  # today's post: done

    async def broken(_date: dt.date) -> Digest | None:
        raise RuntimeError("database is locked")

    async def no_post(digest: Digest, _subs: list[Subscription]) -> PublishReport:
        raise AssertionError("nothing is posted")

    sched = Scheduler(sqlite_store, Settings(), build=broken, publish=no_post,
                      clock=FakeClock(now))
    outcomes = await sched.run_due()
    assert [(o.status, o.detail) for o in outcomes] == [("rebuild-failed", "database is locked")]
    stored = await sqlite_store.get_digest(DAY)
    assert stored is not None and stored.attempts == 2
    assert stored.retry_at == now + dt.timedelta(minutes=30)
    assert await sched.run_due() == []  # not due again until then
