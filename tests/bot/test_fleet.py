"""The fleet: worker heartbeats, who is live, shard shares and named leases, on SQLite
and the local PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.fleet import Fleet, fair_share
from bot.store import Store
from bot.store.fleet import WorkerRow

NOW = dt.datetime(2026, 12, 2, 5, 0, tzinfo=dt.UTC)


def test_fair_share_splits_without_overlap_or_gap() -> None:
    live = ["b:2", "a:1", "c:3"]
    shares = [fair_share(range(10), live, me) for me in live]
    assert sorted(s for share in shares for s in share) == list(range(10))
    assert fair_share(range(10), live, "a:1") == [0, 3, 6, 9]  # sorted ids: a, b, c
    assert fair_share(range(4), [], "solo") == [0, 1, 2, 3]  # not yet seen: counts itself


async def test_workers_are_live_while_they_beat(any_store: Store) -> None:
    async with Fleet(any_store, ["worker"], interval=0.05, ttl=0.3, worker_id="h:1:a") as one, \
            Fleet(any_store, ["gateway", "worker"], interval=0.05, ttl=0.3,
                  worker_id="h:2:b") as two:
        await asyncio.sleep(0.4)  # past one ttl: only heartbeats keep them live
        assert {w.id for w in await one.live()} == {"h:1:a", "h:2:b"}
        assert await one.live_count("gateway") == 1
        assert await two.live_count("gateway") == 1
        assert await one.live_count() == 2
        assert [w.roles for w in await one.live("gateway")] == [("gateway", "worker")]
    assert await any_store.live_workers(NOW - dt.timedelta(days=1)) == []  # rows removed


async def test_a_worker_that_stops_beating_drops_out(any_store: Store) -> None:
    await any_store.register_worker(WorkerRow("dead:9:x", "dead", 9, ("worker",),
                                              NOW, NOW))
    assert [w.id for w in await any_store.live_workers(NOW - dt.timedelta(seconds=5))] == [
        "dead:9:x"]
    assert await any_store.live_workers(NOW + dt.timedelta(seconds=1)) == []
    assert await any_store.heartbeat_worker("dead:9:x", NOW + dt.timedelta(seconds=30))
    assert await any_store.heartbeat_worker("nobody", NOW) is False
    assert await any_store.forget_workers(seen_before=NOW + dt.timedelta(minutes=1)) == 1


async def test_named_leases_have_one_holder(any_store: Store) -> None:
    names = [f"discord:shard:{i}" for i in range(4)]
    assert await any_store.acquire_named_leases(names[:3], "a", 60, NOW) == set(names[:3])
    assert await any_store.acquire_named_leases(names, "b", 60, NOW) == {names[3]}
    assert await any_store.named_leases("discord:shard:", NOW) == {
        **dict.fromkeys(names[:3], "a"), names[3]: "b"}
    later = NOW + dt.timedelta(seconds=61)  # a's leases expired unrenewed: b takes them
    assert await any_store.renew_named_leases("a", 60, later) == set()
    assert await any_store.acquire_named_leases(names, "b", 60, later) == set(names)
    assert await any_store.renew_named_leases("b", 60, later) == set(names)
    await any_store.release_named_leases("b", names[:2])
    assert set(await any_store.named_leases("discord:", later)) == set(names[2:])
    assert await any_store.named_leases("other:", later) == {}


@pytest.mark.parametrize("bad", [(1.0, 1.0), (2.0, 1.0)])
def test_the_ttl_must_outlast_a_heartbeat(bad: tuple[float, float], sqlite_url: str) -> None:
    with pytest.raises(ValueError, match="ttl"):
        Fleet(None, interval=bad[0], ttl=bad[1])  # type: ignore[arg-type]
