"""Discord shards split among the live gateway processes (bot.shards) on SQLite and the
local PostgreSQL: real fleets beating, real named leases. Two and three workers share the
shards without overlap; a worker that dies (stops beating and renewing, as under kill -9)
has its shards taken over once its leases expire; a worker that joins gets its share from
the others; no shard is ever held twice, none is left unheld after the ttl."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from bot.fleet import Fleet
from bot.shards import LEASE_PREFIX, ShardClaims, keep_shards
from bot.store import Store

INTERVAL, TTL = 0.1, 0.6


@contextlib.asynccontextmanager
async def gateway(store: Store, name: str) -> AsyncIterator[Fleet]:
    async with Fleet(store, ["gateway"], interval=INTERVAL, ttl=TTL, worker_id=name) as fleet:
        yield fleet


async def one_round(claims: list[ShardClaims]) -> dict[str, frozenset[int]]:
    """Each process's round as `keep_shards` does it: step, disconnect what it gives up,
    release it. Returns what each one connects; asserts nothing is connected twice and
    that each connected shard's lease is its own."""
    connected: dict[str, frozenset[int]] = {}
    for c in claims:
        wanted = await c.step()
        await c.release(keep=wanted)
        connected[c.holder] = wanted
    every = [s for shards in connected.values() for s in shards]
    assert len(every) == len(set(every)), f"a shard held twice: {connected}"
    holders = await claims[0].holders()
    for holder, shards in connected.items():
        assert all(holders[s] == holder for s in shards), (holders, connected)
    return connected


async def settle(claims: list[ShardClaims], count: int, within: float) -> dict[str, frozenset[int]]:
    """Rounds every heartbeat until every shard is connected once; fails after `within`."""
    deadline = time.monotonic() + within
    while True:
        connected = await one_round(claims)
        if sorted(s for shards in connected.values() for s in shards) == list(range(count)):
            return connected
        assert time.monotonic() < deadline, f"shards left unheld: {connected}"
        await asyncio.sleep(INTERVAL)


@pytest.mark.parametrize("workers", [2, 3])
async def test_live_workers_split_the_shards_without_overlap(any_store: Store,
                                                             workers: int) -> None:
    async with contextlib.AsyncExitStack() as stack:
        fleets = [await stack.enter_async_context(gateway(any_store, f"h:{i}:w"))
                  for i in range(workers)]
        claims = [ShardClaims(any_store, f, 8) for f in fleets]
        connected = await settle(claims, 8, within=1.0)
        sizes = sorted(len(s) for s in connected.values())
        assert sizes[-1] - sizes[0] <= 1  # a fair split
        assert connected["h:0:w"] == frozenset(range(0, 8, workers))
        assert set(await any_store.named_leases(LEASE_PREFIX)) == {
            f"{LEASE_PREFIX}{i}" for i in range(8)}


async def test_a_dead_workers_shards_are_taken_over_after_the_ttl(any_store: Store) -> None:
    async with gateway(any_store, "h:1:a") as a, gateway(any_store, "h:2:b") as b:
        dead = Fleet(any_store, ["gateway"], interval=INTERVAL, ttl=TTL, worker_id="h:3:c")
        await dead.__aenter__()
        claims = [ShardClaims(any_store, f, 6) for f in (a, b, dead)]
        before = await settle(claims, 6, within=1.0)
        assert before["h:3:c"] == {2, 5}
        assert dead._task is not None
        dead._task.cancel()  # kill -9: no more heartbeats, no renewals, no release
        died = time.monotonic()
        survivors = claims[:2]
        while time.monotonic() - died < TTL * 0.8:  # its leases still hold: nobody takes them
            connected = await one_round(survivors)
            assert not (connected["h:1:a"] | connected["h:2:b"]) & {2, 5}
            await asyncio.sleep(INTERVAL)
        after = await settle(survivors, 6, within=TTL + 4 * INTERVAL)
        assert after == {"h:1:a": {0, 2, 4}, "h:2:b": {1, 3, 5}}
        await any_store.forget_workers(ids=["h:3:c"])


async def test_a_joining_worker_gets_its_share_from_the_others(any_store: Store) -> None:
    async with gateway(any_store, "h:1:a") as a, gateway(any_store, "h:3:c") as c:
        claims = [ShardClaims(any_store, f, 4) for f in (a, c)]
        assert await settle(claims, 4, within=1.0) == {"h:1:a": {0, 2}, "h:3:c": {1, 3}}
        async with gateway(any_store, "h:2:b") as b:
            newcomer = ShardClaims(any_store, b, 4)
            # Its first round: its share is still held by the others, it takes nothing.
            first = await one_round([newcomer, *claims])
            assert first["h:2:b"] == frozenset()
            joined = await settle([newcomer, *claims], 4, within=1.0)
            assert joined == {"h:1:a": {0, 3}, "h:2:b": {1}, "h:3:c": {2}}
            await newcomer.release()  # it stops, as keep_shards does at the end
        # It stopped (its row and leases gone): the two take everything back.
        assert await settle(claims, 4, within=1.0) == {"h:1:a": {0, 2}, "h:3:c": {1, 3}}


async def test_one_process_on_sqlite_holds_every_shard(sqlite_store: Store) -> None:
    async with gateway(sqlite_store, "solo:1:x") as solo:
        claims = ShardClaims(sqlite_store, solo, 4)
        assert await claims.step() == {0, 1, 2, 3}


async def test_keep_shards_reconnects_on_each_change_and_releases_at_the_end(
        any_store: Store) -> None:
    """`keep_shards` as the adapter runs it: `serve` is cancelled before the shards it
    served are released; at no moment do two processes serve one shard."""
    serving: dict[str, frozenset[int]] = {}
    log: list[tuple[str, frozenset[int]]] = []

    def serve_as(name: str):  # type: ignore[no-untyped-def]
        async def serve(shards: frozenset[int]) -> None:
            others = {s for n, held in serving.items() if n != name for s in held}
            assert not others & shards, f"{name} would serve {shards} beside {serving}"
            serving[name] = shards
            log.append((name, shards))
            try:
                await asyncio.Event().wait()
            finally:
                serving[name] = frozenset()
        return serve

    async def until(check: object, within: float = 2.0) -> None:
        deadline = time.monotonic() + within
        while not check():  # type: ignore[operator]
            assert time.monotonic() < deadline, (serving, log)
            await asyncio.sleep(0.02)

    def covered() -> bool:
        return sorted(s for held in serving.values() for s in held) == [0, 1, 2, 3]

    async with gateway(any_store, "h:1:a") as a:
        one = asyncio.create_task(keep_shards(ShardClaims(any_store, a, 4), serve_as("a")))
        await until(lambda: serving.get("a") == {0, 1, 2, 3})
        async with gateway(any_store, "h:2:b") as b:
            stop_b = asyncio.Event()
            two = asyncio.create_task(keep_shards(ShardClaims(any_store, b, 4),
                                                  serve_as("b"), stop=stop_b))
            await until(lambda: serving.get("b") == {1, 3} and serving.get("a") == {0, 2})
            assert covered()
            stop_b.set()  # b stops: it releases its shards, then leaves the fleet
            await asyncio.wait_for(two, 1)
            assert serving["b"] == frozenset()
            assert await any_store.named_leases(LEASE_PREFIX) == dict.fromkeys(
                [f"{LEASE_PREFIX}{i}" for i in (0, 2)], "h:1:a")
        await until(lambda: serving.get("a") == {0, 1, 2, 3})
        one.cancel()  # cancelled from outside (the supervisor): released all the same
        with contextlib.suppress(asyncio.CancelledError):
            await one
    assert await any_store.named_leases(LEASE_PREFIX) == {}
    assert [shards for name, shards in log if name == "a"] == [
        {0, 1, 2, 3}, {0, 2}, {0, 1, 2, 3}]


async def test_shards_are_let_go_when_the_database_stays_away(sqlite_store: Store) -> None:
    """Renewing fails (the database is a closed port): the shards are kept while their
    leases are surely still ours, dropped before they can expire, claimed again after."""
    from sqlalchemy.ext.asyncio import create_async_engine

    now = [0.0]
    async with gateway(sqlite_store, "h:1:a") as fleet:
        claims = ShardClaims(sqlite_store, fleet, 2, clock=lambda: now[0])
        assert await claims.step() == {0, 1}
        away = Store(create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:9/away"))
        claims.store = away
        try:
            now[0] = TTL - INTERVAL - 0.05
            assert await claims.step() == {0, 1}
            now[0] = TTL - INTERVAL + 0.05  # another renewal could come too late
            assert await claims.step() == frozenset() and claims.held == frozenset()
        finally:
            await away.close()
        claims.store = sqlite_store
        assert await claims.step() == {0, 1}


def test_the_shard_setting_reads_auto_or_a_count(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import Settings

    assert Settings().discord_shards == "auto"
    monkeypatch.setenv("HOTPAPERS_DISCORD_SHARDS", " AUTO ")
    assert Settings().discord_shards == "auto"
    monkeypatch.setenv("HOTPAPERS_DISCORD_SHARDS", "4")
    assert Settings().discord_shards == 4
