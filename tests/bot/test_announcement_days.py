"""No post on days arXiv announces nothing, decided by what the feed showed (not by the
calendar): the worker's scheduler with the live build and observe against the fake arXiv
and fake social servers, driven hour by hour by the controllable clock."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from bot.arxiv.days import EASTERN, submission_window
from bot.arxiv.listing import FeedObservation, announced, observed_items, record_observation
from bot.arxiv.pacing import ArxivPacer
from bot.cli.service_cmds import live_build, live_observe
from bot.digest import build_digest, mention_window
from bot.errors import NothingBuilt
from bot.models import Digest, Subscription
from bot.publish import PublishReport, publish
from bot.schedule import Scheduler
from bot.settings import Settings
from bot.store import Store
from tests.fakes.arxiv_server import ArxivFake, FakeArxivPaper, make_day
from tests.fakes.clock import FakeClock
from tests.fakes.memory_chat import MemoryChatAdapter
from tests.fakes.social_corpus import Corpus
from tests.fakes.social_servers import SocialServers

UTC = dt.UTC
MON, TUE, WED, THU, FRI = (dt.date(2021, 8, d) for d in range(9, 14))
HOLIDAY = WED  # a weekday arXiv announced nothing: its feed, dated Wed, is empty


def at(day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2021, 8, day, hour, minute, tzinfo=UTC)


def holiday_papers() -> list[FakeArxivPaper]:
    """Papers submitted in the holiday's regular window, announced the day after: an API
    search for the holiday would find them (and post a digest arXiv never announced)."""
    return [dataclasses.replace(p, announced=THU) for p in make_day(HOLIDAY, 30, seed=7)]


@dataclass
class World:
    arxiv: ArxivFake
    store: Store
    settings: Settings
    session: aiohttp.ClientSession
    chat: MemoryChatAdapter
    clock: FakeClock

    async def publish(self, digest: Digest, subs: list[Subscription]) -> PublishReport:
        return await publish(self.store, {"memory": self.chat}, digest, subs, backoff=0,
                             retries=1)

    def scheduler(self, *, observe: bool = True) -> Scheduler:
        pacer = ArxivPacer(self.session, min_interval=0, user_agent=self.settings.user_agent)
        return Scheduler(
            self.store, self.settings, publish=self.publish, clock=self.clock,
            build=live_build(self.settings, self.store, self.session, pacer),
            observe=live_observe(self.settings, self.store, self.session, pacer)
            if observe else None)

    def follow_the_feed(self) -> None:
        """The fake feed shows what the real one would at the clock's time: the listing
        dated today (US Eastern; it switches at midnight), empty when none was announced."""
        self.arxiv.rss_date = self.clock.now().astimezone(EASTERN).date()

    def window_searched(self, date: dt.date) -> bool:
        start = submission_window(date)[0].astimezone(UTC).strftime("%Y%m%d%H%M")
        return any(f"submittedDate:[{start} TO" in r.params.get("search_query", "")
                   for r in self.arxiv.requests("/api/query"))

    async def statuses(self, sched: Scheduler) -> dict[dt.date, str]:
        return {h.digest_date: h.status for h in await sched.history()}


@pytest.fixture
async def world(sqlite_store: Store) -> AsyncIterator[World]:
    papers = [p for d in (dt.date(2021, 8, 6), MON, TUE, THU, FRI)
              for p in make_day(d, 40, seed=d.day)]
    papers += holiday_papers()
    arxiv = ArxivFake(papers=papers)
    await arxiv.start()
    ids = [p.paper.arxiv_id for p in papers]
    corpus = Corpus.generate(ids, 1500, mention_window(dt.date(2021, 8, 6)).start, at(16),
                             seed=5)
    social = SocialServers(corpus, now=at(16))
    try:
        async with social.running(), aiohttp.ClientSession() as session:
            settings = Settings(
                database_url="sqlite+aiosqlite://", arxiv_min_interval=0.0,
                arxiv_api_url=arxiv.url + "/api/query", arxiv_rss_url=arxiv.url + "/rss/",
                arxiv_oai_url=arxiv.url + "/oai", hn_url=social.url("hn"),
                hf_url=social.url("hf"), min_score=1, min_post_attention=0)
            await sqlite_store.save_subscription(Subscription("memory", "A"))
            yield World(arxiv, sqlite_store, settings, session, MemoryChatAdapter(),
                        FakeClock(at(9, 8)))
    finally:
        await arxiv.close()


async def test_the_feed_decides_hour_by_hour_through_a_week_with_a_holiday(world: World) -> None:
    sched = world.scheduler()
    world.follow_the_feed()
    task = asyncio.create_task(sched.run_forever())
    try:
        await asyncio.wait_for(world.clock.sleeping.wait(), 10)
        hour = at(9, 9)
        while hour <= at(16, 10):  # Mon 09:00 UTC .. the next Monday
            world.clock.set(hour)  # the feed first, then wake the scheduler
            world.follow_the_feed()
            await world.clock.advance_to(hour, limit=30)
            hour += dt.timedelta(hours=1)
    finally:
        task.cancel()
    # every day the feed showed was recorded, hourly wake-ups included
    assert await observed_items(world.store, HOLIDAY) == 0
    assert await observed_items(world.store, dt.date(2021, 8, 14)) == 0  # Saturday
    assert (await observed_items(world.store, THU) or 0) > 0
    statuses = await world.statuses(sched)
    assert statuses == {
        dt.date(2021, 8, 8): "no-announcement", MON: "posted", TUE: "posted",
        HOLIDAY: "no-announcement", THU: "posted", FRI: "posted",
        dt.date(2021, 8, 14): "no-announcement",
        dt.date(2021, 8, 15): "no-announcement"}
    # the holiday was never built: no search of its window, nothing stored
    assert not world.window_searched(HOLIDAY) and world.window_searched(THU)
    assert await world.store.get_digest(HOLIDAY) is None
    parents = [m for m in world.chat.messages["A"] if m.rank == 0]
    assert len(parents) == 4
    assert all(h.status != "build-failed" for h in await sched.history())


async def test_an_observed_non_empty_weekday_is_posted(world: World) -> None:
    world.arxiv.rss_date = TUE
    world.clock.set(at(10, 8))  # Tuesday morning: the feed shows Tuesday
    sched = world.scheduler()
    assert await sched.run_due() == []  # not due yet, but the feed was read
    assert await observed_items(world.store, TUE) == 40 and await announced(world.store, TUE)
    world.arxiv.rss_date = WED
    world.clock.set(at(11, 9, 1))
    outcomes = await sched.run_due()
    assert [(o.digest_date, o.status) for o in outcomes] == [(TUE, "posted")]
    assert world.chat.messages["A"][0].rank == 0


async def test_a_day_never_observed_falls_back_to_the_calendar(world: World) -> None:
    # the worker ran without reading the feed (down while it showed these days)
    world.clock.set(at(7, 9, 1))  # Saturday: Friday's digest
    sched = world.scheduler(observe=False)
    assert [o.status for o in await sched.run_due()] == ["posted"]
    world.arxiv.log.clear()
    world.clock.set(at(9, 9, 1))  # Monday: the digests of Saturday and Sunday
    outcomes = await sched.run_due()
    assert [(o.digest_date.day, o.status) for o in outcomes] == [
        (7, "no-announcement"), (8, "no-announcement")]
    assert world.arxiv.log == []  # the weekday rule: no build, no request
    # a weekday never observed is built; an empty listing means nothing was announced
    world.arxiv.papers = [p for p in world.arxiv.papers if p.announced != MON]
    world.clock.set(at(10, 9, 1))
    assert [o.status for o in await sched.run_due()] == ["no-announcement"]
    assert world.window_searched(MON) and await world.store.get_digest(MON) is None
    # and a weekday holiday never observed cannot be told from the calendar: built
    world.clock.set(at(12, 9, 1))
    statuses = {o.digest_date: o.status for o in await sched.run_due()}
    assert statuses == {TUE: "posted", HOLIDAY: "posted"}


async def test_observation_failures_do_not_break_the_scheduler(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await record_observation(world.store, FeedObservation(HOLIDAY, 0))
    world.clock.set(at(11, 9, 1))
    world.arxiv.fail_next(5, 503)  # every attempt of the feed read (the pacer retries)
    sched = world.scheduler()
    with caplog.at_level(logging.WARNING, "hotpapers.schedule"):
        outcomes = await sched.run_due()
    assert [(o.digest_date, o.status) for o in outcomes] == [(TUE, "posted")]
    assert any("could not read the arXiv feed" in r.getMessage() for r in caplog.records)
    assert await observed_items(world.store, WED) == 0  # untouched by the failure
    rss = len(world.arxiv.requests("/rss/"))
    world.clock.set(at(11, 9, 40))
    assert await sched.run_due() == []
    assert len(world.arxiv.requests("/rss/")) == rss  # at most once an hour
    assert await sched.next_wake() == at(11, 10, 1)  # the next reading

    async def broken() -> None:
        raise RuntimeError("the store is locked")

    sched.observe = broken
    world.clock.set(at(12, 9, 2))
    assert [(o.digest_date, o.status) for o in await sched.run_due()] == [
        (HOLIDAY, "no-announcement")]  # the recorded observation still decides


async def test_build_digest_records_what_the_feed_showed(world: World) -> None:
    world.arxiv.rss_date = TUE
    now = at(10, 15)  # Tuesday afternoon: the feed shows Tuesday
    # no social source asked: nothing usable to store, but what the feed showed is recorded
    with pytest.raises(NothingBuilt, match="no social source was asked"):
        await build_digest(TUE, settings=world.settings, session=world.session,
                           store=world.store, sources=[], now=now)
    assert [r.path for r in world.arxiv.log] == ["/rss/cs+stat.ML"]  # the feed's own day
    assert await observed_items(world.store, TUE) == 40
    world.arxiv.rss_date = HOLIDAY  # Wednesday: the feed is dated Wed, and empty
    with pytest.raises(NothingBuilt):
        await build_digest(HOLIDAY, settings=world.settings, session=world.session,
                           store=world.store, sources=[], now=at(11, 15))
    assert await announced(world.store, HOLIDAY) is False
    # an empty reading never hides a day seen announced (an empty answer may be spurious)
    await record_observation(world.store, FeedObservation(TUE, 0))
    assert await observed_items(world.store, TUE) == 40


def test_status_shows_the_last_feed_seen() -> None:
    import os

    from typer.testing import CliRunner

    from bot.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["status"])
    assert r.exit_code == 0, r.output
    assert "last arXiv feed seen: never" in " ".join(r.output.split())

    async def seed() -> None:
        store = await Store.open(os.environ["HOTPAPERS_DATABASE_URL"])
        await record_observation(store, FeedObservation(HOLIDAY, 0), now=at(11, 6))
        await record_observation(store, FeedObservation(THU, 70), now=at(12, 6))
        await store.close()

    asyncio.run(seed())
    r = runner.invoke(app, ["status"])
    assert r.exit_code == 0, r.output
    assert "last arXiv feed seen: 2021-08-12 (70 new + cross papers) at 2021-08-12T06:00" \
        in " ".join(r.output.split())  # rich wraps long lines
