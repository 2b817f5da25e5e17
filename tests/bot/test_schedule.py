"""The daily schedule, driven by a controllable clock (no sleeping through real hours)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.errors import ConfigurationError
from bot.models import Digest, Subscription
from bot.publish import PublishReport, publish
from bot.schedule import Scheduler, time_zone
from bot.settings import Settings
from bot.store import Store
from tests.fakes.clock import FakeClock
from tests.fakes.digests import make_digest
from tests.fakes.memory_chat import MemoryChatAdapter, SimulatedCrash

UTC = dt.UTC
# arXiv announced Mon-Fri digests; 2021-08-11 is made a "holiday" (no announcement)
# to show that the data decides, not the weekday.
ANNOUNCED = {d: make_digest(d, 3) for d in (
    dt.date(2021, 8, 5), dt.date(2021, 8, 6), dt.date(2021, 8, 9), dt.date(2021, 8, 10),
    dt.date(2021, 8, 12), dt.date(2021, 8, 13),
)}


def at(day: int, hour: int = 9, minute: int = 0, month: int = 8) -> dt.datetime:
    return dt.datetime(2021, month, day, hour, minute, tzinfo=UTC)


class World:
    """A store with two subscribed channels, a memory chat platform and a build table."""

    def __init__(self, store: Store, clock: FakeClock, **settings: object) -> None:
        self.store, self.clock = store, clock
        self.chat = MemoryChatAdapter()
        self.settings = Settings(database_url="sqlite+aiosqlite://", **settings)  # type: ignore[arg-type]
        self.builds: list[dt.date] = []
        self.fail_builds = 0

    async def build(self, date: dt.date) -> Digest | None:
        self.builds.append(date)
        if self.fail_builds:
            self.fail_builds -= 1
            raise RuntimeError("arXiv answered 503 three times")
        digest = ANNOUNCED.get(date)
        if digest is not None:
            await self.store.save_digest(digest)
        return digest

    async def publish(self, digest: Digest, subs: list[Subscription]) -> PublishReport:
        return await publish(self.store, {"memory": self.chat}, digest, subs, backoff=0,
                             retries=1)

    def scheduler(self) -> Scheduler:
        return Scheduler(self.store, self.settings, build=self.build, publish=self.publish,
                         clock=self.clock, retry_interval=dt.timedelta(minutes=10))

    def posted(self, channel: str = "A") -> list[str]:
        """Digest titles of the parents the channel got, in order."""
        return [m.text.split(":")[0].removeprefix("Hot Papers ")
                for m in self.chat.messages.get(channel, ()) if m.rank == 0]


@pytest.fixture
async def world(sqlite_store: Store) -> AsyncIterator[World]:
    for ch in ("A", "B"):
        await sqlite_store.save_subscription(Subscription("memory", ch))
    yield World(sqlite_store, FakeClock(at(6, 8, 59)))


async def test_posts_daily_at_post_time_following_the_announcements(world: World) -> None:
    sched = world.scheduler()
    task = asyncio.create_task(sched.run_forever())
    try:
        await asyncio.wait_for(world.clock.sleeping.wait(), 5)
        assert world.posted() == []  # 08:59: not yet
        assert world.clock.sleeps[-1] == at(6)
        await world.clock.advance_to(at(6, 9, 0))
        assert world.posted() == ["2021-08-05"]
        for day in range(7, 15):  # Sat .. Sat, a minute after nine each morning
            await world.clock.advance_to(at(day, 9, 1))
        # run days Sun/Mon (Sat/Sun digests) and the holiday post nothing
        assert world.posted() == ["2021-08-05", "2021-08-06", "2021-08-09", "2021-08-10",
                                  "2021-08-12", "2021-08-13"]
        assert world.posted("B") == world.posted()
        assert world.chat.ranks("A") == [0, 1, 2, 3] * 6
        statuses = [(h.digest_date.day, h.status) for h in await sched.history()]
        assert (7, "no-announcement") in statuses and (11, "no-announcement") in statuses
        assert world.clock.sleeps[-1] == at(15)
    finally:
        task.cancel()


async def test_first_start_after_post_time_posts_today_only(world: World) -> None:
    world.clock.set(at(10, 15))
    outcomes = await world.scheduler().run_due()
    assert [o.digest_date for o in outcomes] == [dt.date(2021, 8, 9)]
    assert world.posted() == ["2021-08-09"]


async def test_catch_up_after_downtime_posts_each_missed_day_once_in_order(world: World) -> None:
    world.clock.set(at(6, 9, 30))
    await world.scheduler().run_due()
    world.clock.set(at(13, 12))  # down for a week
    outcomes = await world.scheduler().run_due()
    assert [o.day.day for o in outcomes] == list(range(7, 14))
    assert world.posted() == ["2021-08-05", "2021-08-06", "2021-08-09", "2021-08-10",
                              "2021-08-12"]
    assert await world.scheduler().run_due() == []
    assert world.chat.total() == 2 * 5 * 4


async def test_catch_up_off_skips_missed_days(sqlite_store: Store) -> None:
    world = World(sqlite_store, FakeClock(at(6, 9, 30)), catch_up=False)
    await sqlite_store.save_subscription(Subscription("memory", "A"))
    await world.scheduler().run_due()
    world.clock.set(at(13, 12))
    outcomes = await world.scheduler().run_due()
    assert [o.status for o in outcomes] == ["skipped"] * 6 + ["posted"]
    assert world.posted() == ["2021-08-05", "2021-08-12"]
    assert world.builds == [dt.date(2021, 8, 5), dt.date(2021, 8, 12)]


async def test_restart_at_any_moment_never_posts_again(world: World) -> None:
    world.clock.set(at(10, 9, 5))
    await world.scheduler().run_due()
    for minute in (6, 30, 59):  # restarts later that day
        world.clock.set(at(10, 9, minute))
        assert await world.scheduler().run_due() == []
    assert world.posted() == ["2021-08-09"] and world.chat.total() == 8


@pytest.mark.parametrize("crash_after", [1, 3, 4, 6, 8])
async def test_crash_in_the_fan_out_then_restart_finishes_exactly(
    world: World, crash_after: int
) -> None:
    world.clock.set(at(10, 9, 5))
    world.chat.crash_after = crash_after
    crashed = False
    try:
        await world.scheduler().run_due()
    except* SimulatedCrash:
        crashed = True
    assert crashed
    ANNOUNCED_BACKUP = ANNOUNCED[dt.date(2021, 8, 9)]
    ANNOUNCED[dt.date(2021, 8, 9)] = make_digest(dt.date(2021, 8, 9), 3, tag=" rebuilt")
    try:
        world.clock.set(at(10, 9, 7))
        await world.scheduler().run_due()  # the restarted worker
    finally:
        ANNOUNCED[dt.date(2021, 8, 9)] = ANNOUNCED_BACKUP
    for ch in "AB":
        assert world.chat.ranks(ch) == [0, 1, 2, 3]
        # the restart finished the digest it had started, not a rebuilt one
        assert not any("rebuilt" in m.text for m in world.chat.messages[ch])
    assert await world.scheduler().run_due() == []


async def test_time_zone_and_post_time(sqlite_store: Store) -> None:
    world = World(sqlite_store, FakeClock(at(10, 12)), timezone="America/New_York",
                  post_time=dt.time(9, 0))
    await sqlite_store.save_subscription(Subscription("memory", "A"))
    sched = world.scheduler()
    assert await sched.next_run() == at(10, 13)  # 09:00 EDT
    assert await sched.run_due() == []
    world.clock.set(at(10, 13, 0))
    assert [o.digest_date.day for o in await sched.run_due()] == [9]
    assert await sched.next_run() == at(11, 13)


async def test_bad_time_zone_is_one_clear_line(sqlite_store: Store) -> None:
    from bot.settings import get_settings

    with pytest.raises(ConfigurationError, match="HOTPAPERS_TIMEZONE"):
        get_settings(timezone="Mars/Olympus")  # refused when the settings are read
    with pytest.raises(ConfigurationError, match="HOTPAPERS_TIMEZONE"):
        time_zone("Mars/Olympus")  # and by the scheduler for settings built otherwise


async def test_build_failure_is_retried_later_keeping_order(world: World) -> None:
    world.clock.set(at(10, 9, 1))
    await world.scheduler().run_due()
    world.fail_builds = 1
    world.clock.set(at(11, 9, 1))
    sched = world.scheduler()
    assert await sched.run_due() == []
    assert await sched.last_day() == dt.date(2021, 8, 10)
    world.clock.set(at(11, 9, 11))
    assert [o.status for o in await sched.run_due()] == ["posted"]
    assert world.posted() == ["2021-08-09", "2021-08-10"]


async def test_transient_failures_are_finished_by_a_later_run(world: World) -> None:
    world.clock.set(at(10, 9, 1))
    world.chat.flaky["B"] = 2  # two attempts fail (retries=1): B is left unfinished
    sched = world.scheduler()
    outcomes = await sched.run_due()
    assert outcomes[0].status == "unfinished"
    assert await sched.unfinished() == {"2021-08-09": ["memory:B"]}
    assert await sched.next_wake() == at(10, 9, 11)
    await world.store.save_subscription(Subscription("memory", "NEW"))  # subscribed since
    world.clock.set(at(10, 9, 11))
    retried = await sched.run_due()
    assert [o.status for o in retried] == ["retried"]
    assert await sched.unfinished() == {}
    assert world.chat.ranks("B") == world.chat.ranks("A") == [0, 1, 2, 3]
    assert "NEW" not in world.chat.messages  # retries only touch the failed channels


async def test_observe_runs_on_wake_ups_at_most_hourly_and_failures_are_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[dt.datetime] = []
    failing = [True]

    async def observe() -> None:
        seen.append(world.clock.now())
        if failing[0]:
            raise RuntimeError("rss.arxiv.org answered 503\nmore")

    plain = world.scheduler()
    assert await plain.next_wake() == at(6)  # without observe: the post time only
    sched = Scheduler(world.store, world.settings, build=world.build, publish=world.publish,
                      clock=world.clock, observe=observe)
    task = asyncio.create_task(sched.run_forever())
    try:
        await asyncio.wait_for(world.clock.sleeping.wait(), 5)  # 08:59: read, failed
        assert world.clock.sleeps[-1] == at(6)  # the post first (in a minute)
        await world.clock.advance_to(at(6, 9, 0))
        assert world.posted() == ["2021-08-05"]  # the failure did not stop the post
        assert seen == [at(6, 8, 59)]  # not again within the hour
        assert world.clock.sleeps[-1] == at(6, 9, 59)  # the next reading
        failing[0] = False
        for hour in range(10, 14):
            await world.clock.advance_to(at(6, hour, 0))
        assert seen == [at(6, 8, 59), at(6, 10), at(6, 11), at(6, 12), at(6, 13)]
    finally:
        task.cancel()
    assert [r.getMessage() for r in caplog.records if "arXiv feed" in r.getMessage()] == [
        "could not read the arXiv feed (rss.arxiv.org answered 503); trying again in 1:00:00"]
