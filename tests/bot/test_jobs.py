"""The job backends (bot/jobs): the procrastinate one on the local PostgreSQL (its schema
from our migration 0009), driven by a real procrastinate worker run until the queue is
empty; the in-process one; the pieces (connection string, backoff, batches)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from procrastinate.jobs import Job

from bot.errors import UsageError
from bot.jobs import backend_name, open_backend, uses_queue
from bot.jobs.in_process import InProcessQueue
from bot.jobs.pg_queue import MAX_WAIT, Backoff, ProcrastinateJobs, conninfo
from bot.jobs.work import BUILD, REBUILD, JobScheduler, batches
from bot.models import Digest, Subscription
from bot.publish import Mode, PublishReport, publish
from bot.schedule import LAST_DAY
from bot.settings import Settings
from bot.store import Store
from tests.fakes.clock import FakeClock
from tests.fakes.digests import make_digest
from tests.fakes.memory_chat import MemoryChatAdapter


def test_the_connection_string_comes_from_the_database_url() -> None:
    assert conninfo("postgresql+asyncpg://u:p%40ss@db.example:6543/hot?ssl=require") == \
        "postgresql://u:p%40ss@db.example:6543/hot?sslmode=require"
    assert conninfo("postgresql+asyncpg://postgres@127.0.0.1:5432/x") == \
        "postgresql://postgres@127.0.0.1:5432/x"
    assert uses_queue("postgresql+asyncpg://h/x") and not uses_queue("sqlite+aiosqlite:///x")
    assert backend_name("sqlite+aiosqlite:///x") == "in-process"


def test_backoff_doubles_to_a_cap_then_gives_up() -> None:
    policy = Backoff(10.0, attempts=12)

    def wait(attempts: int) -> float | None:
        job = Job(id=1, queue="default", lock=None, queueing_lock=None, task_name="t",
                  attempts=attempts)
        decision = policy.get_retry_decision(exception=RuntimeError("x"), job=job)
        if decision is None:
            return None
        assert decision.retry_at is not None
        return round((decision.retry_at - dt.datetime.now(dt.UTC)).total_seconds())

    assert [wait(a) for a in (0, 1, 2)] == [10, 20, 40]
    assert wait(10) == MAX_WAIT and wait(11) is None  # 12 tries in all


def test_batches_are_small_of_one_platform_and_take_turns() -> None:
    # the platforms take turns, so their limits are spent at once, not one after the other
    assert batches(["s:c", "s:a", "s:b", "s:d", "s:e", "d:1", "d:2"], 2) == [
        ["d:1", "d:2"], ["s:a", "s:b"], ["s:c", "s:d"], ["s:e"]]
    assert batches(["slack:a", "discord:1", "slack:b", "discord:2"], 1) == [
        ["discord:1"], ["slack:a"], ["discord:2"], ["slack:b"]]
    assert batches([], 3) == []


async def test_in_process_queue_is_empty_and_says_why() -> None:
    queue = InProcessQueue()
    assert (await queue.stats()).backend == "in-process" and await queue.jobs() == []
    with pytest.raises(UsageError, match="in-process"):
        await queue.retry("1")


@pytest.mark.postgres
async def test_catch_up_days_go_through_the_queue_built_once_each_in_order(
        pg_url: str) -> None:
    """Three run days due after downtime: each tick queues the next day's build only once
    the posts of the day before are out; the build job runs once per day (a second
    deferral of a queued build is refused by its queueing lock); every channel gets each
    day once, in order."""
    settings = Settings(database_url=pg_url, post_time=dt.time(9), job_batch=2,
                        job_retry_seconds=0.1)
    store = await Store.open(pg_url)
    chat = MemoryChatAdapter()
    built: list[dt.date] = []

    async def build(date: dt.date) -> Digest:
        built.append(date)
        digest = make_digest(date, 3)
        await store.save_digest(digest)
        return digest

    async def publish_all(digest: Digest, subs: list[Subscription]) -> PublishReport:
        return await publish(store, {"memory": chat}, digest, subs, mode=Mode.DAILY,
                             lease_ttl=5.0)

    try:
        channels = [f"c{i}" for i in range(5)]
        for channel in channels:
            await store.save_subscription(Subscription("memory", channel))
        await store.set_value(LAST_DAY, "2026-11-30")
        clock = FakeClock(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC))
        scheduler = JobScheduler(store, settings, build=build, publish=publish_all,
                                 clock=clock)
        async with open_backend(settings, scheduler, ("worker",)) as backend:
            assert isinstance(backend, ProcrastinateJobs)
            work = backend.work
            for _ in range(12):  # a worker run ends when it finds the queue empty
                await work.tick()
                if await store.get_value(LAST_DAY) == "2026-12-03" and \
                        not await backend.posting():
                    break
                await backend.app.run_worker_async(wait=False, concurrency=2,
                                                   install_signal_handlers=False,
                                                   listen_notify=False)
            assert await backend.build(dt.date(2026, 12, 9)) is True
            assert await backend.build(dt.date(2026, 12, 9)) is False  # still queued
            stats = await backend.queue.stats()
            done = await backend.queue.jobs("done", limit=500)
            queued = await backend.queue.jobs("queued")
        assert built == [dt.date(2026, 11, 30), dt.date(2026, 12, 1), dt.date(2026, 12, 2)]
        assert await store.get_value(LAST_DAY) == "2026-12-03"
        for channel in channels:  # each day once, in order, 3 papers each
            got = chat.messages[channel]
            parents = [m.text for m in got if m.thread_id is None]
            assert len(parents) == 3 and all(d.isoformat() in text for d, text in
                                             zip(built, parents, strict=True)), parents
            assert [m.rank for m in got] == [0, 1, 2, 3] * 3, channel
        assert stats.queued == 1 and stats.failed == 0 and stats.backend == "procrastinate"
        assert [j.task for j in queued] == [BUILD] and queued[0].args == {"day": "2026-12-09"}
        tasks = [j.task for j in done]
        assert tasks.count(BUILD) == 3 and tasks.count("post_channels") == 3 * 3
    finally:
        await store.close()


@pytest.mark.postgres
async def test_a_partial_day_is_built_again_as_a_job(pg_url: str) -> None:
    """A partial digest whose retry time has come: the tick queues its rebuild (once, by
    its queueing lock), a worker runs it, the better build replaces it."""
    settings = Settings(database_url=pg_url, post_time=dt.time(9))
    store = await Store.open(pg_url)
    date = dt.date(2026, 12, 1)
    now = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
    built: list[dt.date] = []

    async def build(day: dt.date) -> Digest:
        built.append(day)
        digest = make_digest(day, 4)
        await store.save_digest(digest)
        return digest

    async def never(digest: Digest, subs: list[Subscription]) -> PublishReport:
        raise AssertionError("nothing is posted here")

    try:
        partial = dataclasses.replace(make_digest(date, 2), status="partial",
                                      asked=("x", "hn"), failed_sources=("hn",),
                                      retry_at=now - dt.timedelta(minutes=1), attempts=1)
        await store.save_digest(partial)
        await store.set_value(LAST_DAY, "2026-12-02")  # the day's post is out
        scheduler = JobScheduler(store, settings, build=build, publish=never,
                                 clock=FakeClock(now))
        async with open_backend(settings, scheduler, ("worker",)) as backend:
            assert isinstance(backend, ProcrastinateJobs)
            await backend.work.tick()
            await backend.work.tick()  # queued once
            assert [j.task for j in await backend.queue.jobs("queued")] == [REBUILD]
            await backend.app.run_worker_async(wait=False, install_signal_handlers=False,
                                               listen_notify=False)
            await backend.work.tick()  # nothing due any more
            assert await backend.queue.jobs("queued") == []
        assert built == [date]
        stored = await store.get_digest(date)
        assert stored is not None and stored.status == "complete" and len(stored.papers) == 4
        assert [h.status for h in await scheduler.history()] == ["rebuilt"]
    finally:
        await store.close()


@pytest.mark.postgres
async def test_migration_0009_brings_procrastinate_and_takes_it_away(pg_url: str) -> None:
    import sqlalchemy as sa
    from alembic import command
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.store.migrate import alembic_config, upgrade

    def down(conn: sa.Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")

    count = sa.text("SELECT count(*) FROM pg_class WHERE relname LIKE 'procrastinate%' "
                    "OR relname = 'hotpapers_job_errors'")
    funcs = sa.text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%'")
    engine = create_async_engine(pg_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade)
            assert (await conn.execute(count)).scalar_one() > 5
            await conn.run_sync(down)
            assert (await conn.execute(count)).scalar_one() == 0
            assert (await conn.execute(funcs)).scalar_one() == 0
            await conn.run_sync(upgrade)  # and up again
            assert (await conn.execute(funcs)).scalar_one() > 5
    finally:
        await engine.dispose()
