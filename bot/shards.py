"""Which Discord gateway shards this process holds, among the live gateway processes.

Every gateway process computes its fair share of the shard ids (`bot.fleet.fair_share`
over `Fleet.live("gateway")`: every process computes the same split) and claims each
shard of it through a named lease `discord:shard:<id>` held by its fleet id. It connects
only the shards it holds, so two processes never hold one shard whatever their views of
the fleet; a shard it holds outside its share (a process joined) is disconnected first
and released after, so the newcomer can take it on its next round. A process that dies
stops renewing: its leases expire after the fleet's ttl, it drops out of the live
workers after the same ttl, and the others' shares grow over its shards. A process that
cannot reach the database lets its shards go before their leases can expire.

`ShardClaims.step` is one round (renew, take, what to connect now); `keep_shards` runs
the rounds every heartbeat and (re)starts `serve(shards)` whenever the set changes. It
imports no platform SDK: the Discord adapter hands it a `serve` that connects an
`AutoShardedClient` with those shard ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from bot.fleet import Fleet, fair_share
from bot.store import Store

__all__ = ["LEASE_PREFIX", "ShardClaims", "keep_shards", "lease_name"]

log = logging.getLogger("hotpapers.shards")

LEASE_PREFIX = "discord:shard:"
ROLE = "gateway"


def lease_name(shard: int) -> str:
    return f"{LEASE_PREFIX}{shard}"


def _shard_of(name: str) -> int:
    return int(name.removeprefix(LEASE_PREFIX))


class ShardClaims:
    """The shards of `count` this process (`fleet.id`) holds; leases last `fleet.ttl`."""

    def __init__(self, store: Store, fleet: Fleet, count: int, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if count < 1:
            raise ValueError("a shard count is at least 1")
        self.store = store
        self.fleet = fleet
        self.count = count
        self.clock = clock
        self.held: frozenset[int] = frozenset()  # leases this process has (or had)
        self._renewed_at: float | None = None  # when the leases were last renewed

    @property
    def holder(self) -> str:
        return self.fleet.id

    async def share(self) -> list[int]:
        """This process's fair share of the shard ids among the live gateway workers."""
        live = [w.id for w in await self.fleet.live(ROLE)]
        return fair_share(range(self.count), live, self.holder)

    async def step(self) -> frozenset[int]:
        """One round: renew the leases held, take the free ones of the share; returns the
        shards to connect now (held and in the share). Held shards outside it stay held
        until `release(keep=...)` after they were disconnected. When the database cannot
        be reached, the shards are kept until their leases could expire, then dropped."""
        try:
            share = await self.share()
            renewed = await self.store.renew_named_leases(self.holder, self.fleet.ttl)
            taken = await self.store.acquire_named_leases(
                [lease_name(s) for s in share], self.holder, self.fleet.ttl)
        except Exception as exc:  # the database is away: keep what is safe to keep
            line = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            if self._renewed_at is not None and \
                    self.clock() - self._renewed_at < self.fleet.ttl - self.fleet.interval:
                log.warning("renewing the Discord shard leases failed (%s); trying again", line)
                return self.held
            if self.held:
                log.warning("the Discord shard leases could not be renewed (%s): letting "
                            "shards %s go", line, sorted(self.held))
            self.held = frozenset()
            return self.held
        self._renewed_at = self.clock()
        self.held = frozenset(_shard_of(n) for n in renewed | taken)
        return self.held & frozenset(share)

    async def release(self, keep: frozenset[int] = frozenset()) -> None:
        """Give up the leases held outside `keep` (their shards are disconnected)."""
        gone = self.held - keep
        if gone:
            await self.store.release_named_leases(self.holder, [lease_name(s) for s in gone])
        self.held &= keep

    async def holders(self) -> dict[int, str]:
        """Every live shard lease: shard id -> holder (for status and tests)."""
        return {_shard_of(n): h for n, h in (await self.store.named_leases(LEASE_PREFIX)).items()}


Serve = Callable[[frozenset[int]], Coroutine[Any, Any, None]]


async def keep_shards(claims: ShardClaims, serve: Serve, *,
                      stop: asyncio.Event | None = None,
                      interval: float | None = None) -> None:
    """Hold this process's shards and serve them: every `interval` (the fleet's heartbeat)
    one `claims.step()`; when the set to connect changes, the running `serve` is
    cancelled (it must disconnect before it returns), the shards given up are released,
    and `serve(new set)` starts (not at all while the set is empty). Ends when `stop` is
    set (between rounds, never inside a database call), or when `serve` returns (the
    connection was closed on purpose), raising what it raises; every lease is released
    at the end."""
    interval = claims.fleet.interval if interval is None else interval
    stop = stop or asyncio.Event()
    stopped = asyncio.create_task(stop.wait(), name="discord-shards-stop")
    connected: frozenset[int] = frozenset()
    task: asyncio.Task[None] | None = None
    try:
        while not stop.is_set():
            wanted = await claims.step()
            if wanted != connected:
                if task is not None:
                    await _cancel(task)
                    task = None
                await claims.release(keep=wanted)
                log.info("Discord: this process holds shards %s of %d",
                         ", ".join(map(str, sorted(wanted))) or "none", claims.count)
                connected = wanted
                if wanted:
                    task = asyncio.create_task(serve(wanted), name="discord-shards")
            waiting = {stopped} if task is None else {stopped, task}
            await asyncio.wait(waiting, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            if task is not None and task.done():
                task.result()  # raises what serve raised
                return
    finally:
        stopped.cancel()
        if task is not None:
            await _cancel(task)
        with contextlib.suppress(Exception):
            await claims.release()


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
