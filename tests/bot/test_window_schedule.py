"""Weekly and monthly subscriptions, driven by the controllable clock: the previous ISO
week goes out once on Monday at the post time, the previous month on the first
announcement day of the next one, only to the channels of that cadence; daily-only
channels get no window and weekly-only channels no daily post; a worker down on Monday
catches up once; the grammar (`/hot subscribe cs.LG weekly`)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.core import Core
from bot.models import Command, Digest, Subscription
from bot.publish import ChannelReport, PublishReport, publish
from bot.schedule import Scheduler
from bot.settings import Settings
from bot.store import Store
from bot.window_schedule import WindowSchedule, first_announcement_day
from tests.fakes.clock import FakeClock
from tests.fakes.digests import make_digest
from tests.fakes.memory_chat import MemoryChatAdapter

UTC = dt.UTC
DAYS = [dt.date(2021, 7, d) for d in (26, 27, 28, 29, 30)] + \
    [dt.date(2021, 8, d) for d in (2, 3, 4, 5, 6, 9, 10)]


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2021, month, day, hour, minute, tzinfo=UTC)


class World:
    def __init__(self, store: Store, clock: FakeClock) -> None:
        self.store, self.clock = store, clock
        self.settings = Settings(database_url="sqlite+aiosqlite://")
        self.daily: list[tuple[dt.date, list[str]]] = []
        self.windows: list[tuple[str, list[str], Digest]] = []

    async def build(self, date: dt.date) -> Digest | None:
        return await self.store.get_digest(date)

    async def publish(self, digest: Digest, subs: list[Subscription]) -> PublishReport:
        self.daily.append((digest.date, sorted(s.channel for s in subs)))
        return PublishReport(digest.date, tuple(ChannelReport(s.platform, s.channel, "done")
                                                for s in subs))

    async def publish_window(self, digest: Digest, subs: list[Subscription]) -> PublishReport:
        self.windows.append((digest.key, sorted(s.channel for s in subs), digest))
        return PublishReport(digest.date, tuple(ChannelReport(s.platform, s.channel, "done")
                                                for s in subs))

    def scheduler(self) -> Scheduler:
        return Scheduler(self.store, self.settings, build=self.build, publish=self.publish,
                         publish_window=self.publish_window, clock=self.clock)

    def window_keys(self) -> list[str]:
        return [k for k, _, _ in self.windows]


@pytest.fixture
async def world(sqlite_store: Store) -> AsyncIterator[World]:
    for day in DAYS:
        await sqlite_store.save_digest(make_digest(day, 4))
    for channel, cadences in (("daily", ("daily",)), ("weekly", ("weekly",)),
                              ("both", ("daily", "weekly")), ("monthly", ("monthly",))):
        await sqlite_store.save_subscription(Subscription("memory", channel, cadences=cadences))
    await sqlite_store.set_value("schedule.last_day", "2021-08-05")
    await sqlite_store.set_value("schedule.windows",
                                 '{"monthly": "2021-07", "weekly": "2021-W30"}')
    yield World(sqlite_store, FakeClock(at(8, 6, 8, 59)))


async def test_the_week_goes_out_once_on_monday_to_weekly_channels(world: World) -> None:
    sched = world.scheduler()
    task = asyncio.create_task(sched.run_forever())
    try:
        await asyncio.wait_for(world.clock.sleeping.wait(), 5)
        await world.clock.advance_to(at(8, 6, 9))  # Friday: the daily post only
        assert world.daily == [(dt.date(2021, 8, 5), ["both", "daily"])]
        assert world.windows == []
        await world.clock.advance_to(at(8, 9, 8, 59))  # Monday before the post time
        assert world.window_keys() == []
        await world.clock.advance_to(at(8, 9, 9))  # Monday at the post time
        assert world.window_keys() == ["2021-W31"]
        _, channels, digest = world.windows[0]
        assert channels == ["both", "weekly"]
        assert digest.heading == "Hot Papers of the week 2021-W31"
        assert {p.listed_on for p in digest.papers} <= set(DAYS[5:10])
        assert len(digest.papers) == 4  # the same 4 ids each day: each once, its best day
        await world.clock.advance_to(at(8, 10, 9))  # Tuesday: no second weekly post
        await world.clock.advance_to(at(8, 16, 9))  # next Monday: the next week
        assert world.window_keys() == ["2021-W31", "2021-W32"]
        assert all(channels == ["both", "daily"] for _, channels in world.daily)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_restart_on_monday_does_not_post_the_week_again(world: World) -> None:
    world.clock.set(at(8, 9, 9, 30))
    assert [o.status for o in await world.scheduler().run_due()].count("weekly posted") == 1
    again = await world.scheduler().run_due()  # a new process, the same store
    assert not [o for o in again if o.status.startswith("weekly")]
    assert world.window_keys() == ["2021-W31"]


async def test_a_worker_down_on_monday_posts_the_week_when_it_is_back(world: World) -> None:
    world.clock.set(at(8, 11, 14))  # Wednesday
    outcomes = await world.scheduler().run_due()
    assert world.window_keys() == ["2021-W31"]
    assert "weekly posted" in [o.status for o in outcomes]


async def test_the_month_goes_out_on_the_first_announcement_day(world: World) -> None:
    assert first_announcement_day(2021, 8) == dt.date(2021, 8, 2)  # Aug 1st was a Sunday
    assert first_announcement_day(2021, 5) == dt.date(2021, 5, 3)
    await world.store.set_value("schedule.windows", '{"monthly": "2021-06", "weekly": "2021-W30"}')
    world.clock.set(at(8, 2, 8, 59))
    await world.scheduler().run_due()
    assert [k for k in world.window_keys() if not k.startswith("2021-W")] == []
    world.clock.set(at(8, 2, 9))
    await world.scheduler().run_due()
    monthly = [(k, c) for k, c, _ in world.windows if not k.startswith("2021-W")]
    assert monthly == [("2021-07", ["monthly"])]
    _, _, digest = next(w for w in world.windows if w[0] == "2021-07")
    assert digest.heading == "Hot Papers of July 2021"
    assert {p.listed_on for p in digest.papers} <= set(DAYS[:5])


async def test_without_a_window_publisher_due_windows_wait(world: World) -> None:
    world.clock.set(at(8, 9, 9))
    sched = Scheduler(world.store, world.settings, build=world.build, publish=world.publish,
                      clock=world.clock)
    outcomes = await sched.run_due()
    assert not [o for o in outcomes if o.status.startswith("weekly")]
    due = await sched.windows.due(world.clock.now())
    assert [(c, w.key) for c, w in due] == [("weekly", "2021-W31")]  # still due, not lost


async def test_a_first_start_posts_only_a_window_due_that_day(world: World) -> None:
    await world.store.set_value("schedule.windows", "{}")
    world.clock.set(at(8, 10, 9))  # Tuesday: W31 was due yesterday, before this worker
    assert await world.scheduler().windows.due(world.clock.now()) == []
    world.clock.set(at(8, 16, 9, 5))  # the next Monday
    assert [w.key for _, w in await world.scheduler().windows.due(world.clock.now())] == [
        "2021-W32"]


def test_next_due_times() -> None:
    s = WindowSchedule.__new__(WindowSchedule)
    s.settings, s.tz = Settings(), dt.UTC
    assert s.next_due("weekly", at(8, 9, 9)) == at(8, 16, 9)
    assert s.next_due("monthly", at(8, 9, 9)) == at(9, 1, 9)  # Wednesday 2021-09-01
    window, when = s.latest_due("monthly", at(8, 1, 12))  # a Sunday: July's not due yet
    assert window.key == "2021-06" and when == at(7, 1, 9)


async def test_subscribe_weekly_and_monthly_in_chat(sqlite_store: Store) -> None:
    core = Core(Settings(), sqlite_store)

    async def say(text: str) -> str:
        return (await core.answer(Command("hot", tuple(text.split()), "slack", "C1",
                                          can_manage_channel=True))).text

    assert await say("subscribe cs.LG weekly") == \
        "This channel now gets the weekly Hot Papers for cs.LG."
    sub = await sqlite_store.get_subscription("slack", "C1")
    assert sub is not None and sub.cadences == ("weekly",) and sub.categories == ("cs.LG",)
    assert await say("subscribe daily monthly") == \
        "This channel now gets the daily and monthly Hot Papers for cs.LG."
    assert await say("subscribe stat.ML") == \
        "This channel now gets the daily and monthly Hot Papers for cs.LG, stat.ML."
    assert await say("unsubscribe monthly") == \
        "This channel now gets the daily Hot Papers for cs.LG, stat.ML."
    assert (await say("unsubscribe weekly")).startswith("This channel doesn't get the weekly")
    assert await say("subscriptions") == \
        "This channel gets the daily Hot Papers for cs.LG, stat.ML."
    assert await say("unsubscribe") == "This channel no longer gets the daily Hot Papers."


async def test_the_weekly_thread_goes_through_the_real_publisher_apart_from_the_daily(
        sqlite_store: Store, memory_chat: MemoryChatAdapter) -> None:
    """The worker's wiring: the daily post and the weekly post through `bot.publish`
    with the same ledger. A worker back on Monday catches up the daily thread of Friday
    2021-08-06 and posts the weekly one (2021-W31), each planned and keyed by its own
    digest key, each once; a restart posts neither again."""
    for day in DAYS:
        await sqlite_store.save_digest(make_digest(day, 4))
    await sqlite_store.save_subscription(Subscription("memory", "lab",
                                                      cadences=("daily", "weekly")))
    await sqlite_store.set_value("schedule.last_day", "2021-08-06")  # run day: Friday's
    await sqlite_store.set_value("schedule.windows", '{"weekly": "2021-W30"}')
    settings = Settings(database_url="sqlite+aiosqlite://")

    async def post(digest: Digest, subs: list[Subscription]) -> PublishReport:
        return await publish(sqlite_store, {"memory": memory_chat}, digest, subs,
                             sleep=lambda _s: asyncio.sleep(0))

    async def build(date: dt.date) -> Digest | None:
        return await sqlite_store.get_digest(date)

    for _ in range(2):  # the second run is a restart: nothing is due any more
        sched = Scheduler(sqlite_store, settings, build=build, publish=post,
                          publish_window=post, clock=FakeClock(at(8, 9, 9, 5)))
        await sched.run_due()
    parents = [m for m in memory_chat.messages["lab"] if m.rank == 0]
    assert [m.text.split(":")[0] for m in parents] == ["Hot Papers 2021-08-06",
                                                       "Hot Papers of the week 2021-W31"]
    assert memory_chat.ranks("lab") == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
    keys = {d.digest_key for d in await sqlite_store.deliveries()}
    assert keys == {"2021-08-06", "2021-W31"}
    assert {p.digest_key for p in await sqlite_store.thread_plans("2021-W31", "memory",
                                                                   "lab")} == {"2021-W31"}
