"""The fleet: the `hotpapers run` processes sharing one database, and what they queue.

Each process registers itself (`Fleet`, a row of `workers` with its roles) and beats
every `interval` seconds; the live workers are those seen within `ttl`. What is counted
from the heartbeats: each worker's share of a rate limit when there is no shared limiter
(`live_count`), and which Discord shards a gateway process holds (`fair_share`, claimed
through named leases so two processes never hold one shard). On SQLite there is one
process, and the fleet is that process.

`QueueStats` / `JobInfo` / `QueueView` are what a job backend shows of its queue
(`hotpapers status`, `hotpapers jobs`, `/healthz`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol

from bot.store import Store
from bot.store.fleet import WorkerRow

__all__ = ["ROLES", "Fleet", "JobInfo", "QueueStats", "QueueView", "WorkerRow", "fair_share"]

log = logging.getLogger("hotpapers.fleet")

ROLES = ("scheduler", "worker", "gateway")  # `hotpapers run --role ...`; default: all
TTL = 20.0  # seconds a worker counts as live without a heartbeat (HOTPAPERS_FLEET_TTL)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_worker_id() -> str:
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{secrets.token_hex(3)}"


def fair_share(items: Sequence[int], live: Sequence[str], me: str) -> list[int]:
    """The items (shard ids) `me` should hold among the `live` workers: round robin
    over the workers sorted by id, so every worker computes the same split. `me` not
    among them (not yet seen): it counts itself in."""
    ids = sorted(set(live) | {me})
    mine = ids.index(me)
    return [item for i, item in enumerate(sorted(items)) if i % len(ids) == mine]


class Fleet:
    """This process in the fleet. `async with Fleet(store, roles) as fleet:` registers
    it, beats while the block runs, and removes its row at the end."""

    def __init__(self, store: Store, roles: Sequence[str] = ROLES, *, interval: float = 5.0,
                 ttl: float = TTL, worker_id: str | None = None) -> None:
        if ttl <= interval:
            raise ValueError("the fleet's ttl must be longer than its heartbeat interval")
        self.store = store
        self.roles = tuple(roles)
        self.interval = interval
        self.ttl = ttl
        self.id = worker_id or new_worker_id()
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    def _row(self, now: dt.datetime) -> WorkerRow:
        host = self.id.partition(":")[0]
        return WorkerRow(id=self.id, host=host, pid=os.getpid(), roles=self.roles,
                         started_at=now, last_seen=now)

    async def __aenter__(self) -> Fleet:
        self._stop = asyncio.Event()
        now = _now()
        await self.store.register_worker(self._row(now))
        await self.store.forget_workers(seen_before=now - dt.timedelta(days=1))
        self._task = asyncio.create_task(self._beat(), name="fleet-heartbeat")
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._task is not None:
            # Stopped between beats, not cancelled inside one: a write cancelled halfway
            # can leave SQLite's lock with a connection nobody returns to the pool, and
            # the removal below then waits on it.
            self._stop.set()
            try:
                await asyncio.wait_for(self._task, self.ttl)
            except (TimeoutError, asyncio.CancelledError):
                pass
        with contextlib.suppress(Exception):
            await self.store.forget_workers(ids=[self.id])

    async def beat(self) -> None:
        """One heartbeat (registers again if the row was removed)."""
        if not await self.store.heartbeat_worker(self.id):
            await self.store.register_worker(self._row(_now()))

    async def _beat(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
            if self._stop.is_set():
                return
            try:
                await self.beat()
            except Exception as exc:  # the database is away: try again next beat
                log.warning("fleet heartbeat failed: %s", str(exc).splitlines()[0][:200])

    async def live(self, role: str | None = None) -> list[WorkerRow]:
        rows = await self.store.live_workers(_now() - dt.timedelta(seconds=self.ttl))
        return [r for r in rows if role is None or role in r.roles]

    async def live_count(self, role: str | None = None) -> int:
        """Live workers (with `role`), this one included."""
        ids = {r.id for r in await self.live(role)}
        if role is None or role in self.roles:
            ids.add(self.id)
        return max(1, len(ids))


@dataclass(frozen=True)
class JobInfo:
    """One job of the queue, as `hotpapers jobs` lists it."""

    id: str
    task: str
    status: str  # queued | running | failed | done | cancelled
    args: dict[str, object] = field(default_factory=dict)
    attempts: int = 0
    queued_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    error: str = ""  # the last failure, one line


@dataclass(frozen=True)
class QueueStats:
    queued: int = 0
    running: int = 0
    failed: int = 0
    oldest_pending: dt.datetime | None = None  # when the oldest queued job was queued
    backend: str = "in-process"


class QueueView(Protocol):
    """What a job backend shows of its queue."""

    async def stats(self) -> QueueStats: ...

    async def jobs(self, status: str | None = None, limit: int = 50) -> list[JobInfo]: ...

    async def retry(self, job_id: str) -> JobInfo: ...
