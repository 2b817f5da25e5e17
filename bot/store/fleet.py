"""The store's side of the fleet (mixed into `Store`): worker heartbeats and named
leases.

A worker row is written when a `hotpapers run` process starts and its `last_seen` is
bumped on every heartbeat; the live workers are the rows seen within the fleet's ttl. A
named lease (a Discord shard: `discord:shard:3`) is taken atomically like a thread lease:

    INSERT INTO named_leases ... ON CONFLICT (name) DO UPDATE SET holder = ...
    WHERE named_leases.expires_at < :now OR named_leases.holder = :holder
    RETURNING name
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import schema as t


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class WorkerRow:
    id: str
    host: str
    pid: int
    roles: tuple[str, ...]
    started_at: dt.datetime
    last_seen: dt.datetime


class FleetTables:
    """Workers and named leases. Needs `engine` and `_insert` (Store)."""

    engine: AsyncEngine

    def _insert(self, table: Table) -> Any:  # pragma: no cover - Store's
        raise NotImplementedError

    # --- workers -------------------------------------------------------------------------
    async def register_worker(self, worker: WorkerRow) -> None:
        row = {"id": worker.id, "host": worker.host, "pid": worker.pid,
               "roles": ",".join(worker.roles), "started_at": worker.started_at,
               "last_seen": worker.last_seen}
        stmt = self._insert(t.workers).values(row)
        stmt = stmt.on_conflict_do_update(index_elements=["id"], set_={
            k: stmt.excluded[k] for k in ("host", "pid", "roles", "last_seen")})
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    async def heartbeat_worker(self, worker_id: str, now: dt.datetime | None = None) -> bool:
        """Bump `last_seen`; False when the row is gone (forgotten: register again)."""
        c = t.workers.c
        stmt = (update(t.workers).where(c.id == worker_id)
                .values(last_seen=now or _now()).returning(c.id))
        async with self.engine.begin() as conn:
            return (await conn.execute(stmt)).first() is not None

    async def live_workers(self, seen_since: dt.datetime) -> list[WorkerRow]:
        c = t.workers.c
        q = select(t.workers).where(c.last_seen >= seen_since).order_by(c.started_at, c.id)
        async with self.engine.connect() as conn:
            return [WorkerRow(id=r.id, host=r.host, pid=r.pid,
                              roles=tuple(x for x in r.roles.split(",") if x),
                              started_at=r.started_at, last_seen=r.last_seen)
                    for r in (await conn.execute(q)).all()]

    async def forget_workers(self, *, ids: Iterable[str] = (),
                             seen_before: dt.datetime | None = None) -> int:
        """Delete the rows of `ids` (a worker stopping) and of workers not seen since
        `seen_before` (long gone); returns how many went."""
        c = t.workers.c
        gone = 0
        async with self.engine.begin() as conn:
            ids = list(ids)
            if ids:
                gone += (await conn.execute(delete(t.workers).where(c.id.in_(ids)))).rowcount
            if seen_before is not None:
                gone += (await conn.execute(
                    delete(t.workers).where(c.last_seen < seen_before))).rowcount
        return gone

    # --- named leases --------------------------------------------------------------------
    async def acquire_named_leases(self, names: Iterable[str], holder: str, ttl: float,
                                   now: dt.datetime | None = None) -> set[str]:
        """Take the leases of `names` that are free, expired or already `holder`'s, for
        `ttl` seconds, in one transaction; returns the names taken."""
        now = now or _now()
        expires = now + dt.timedelta(seconds=ttl)
        lease = t.named_leases
        ordered = sorted(set(names))
        if not ordered:
            return set()
        stmt = self._insert(lease).values(
            [{"name": n, "holder": holder, "expires_at": expires} for n in ordered])
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at},
            where=(lease.c.expires_at < now) | (lease.c.holder == holder),
        ).returning(lease.c.name)
        async with self.engine.begin() as conn:
            return {r[0] for r in (await conn.execute(stmt)).all()}

    async def renew_named_leases(self, holder: str, ttl: float,
                                 now: dt.datetime | None = None) -> set[str]:
        """Extend every named lease `holder` still has (and only those not yet expired:
        an expired one may be another holder's by now); returns the names held."""
        now = now or _now()
        c = t.named_leases.c
        stmt = (update(t.named_leases)
                .where((c.holder == holder) & (c.expires_at >= now))
                .values(expires_at=now + dt.timedelta(seconds=ttl)).returning(c.name))
        async with self.engine.begin() as conn:
            return {r[0] for r in (await conn.execute(stmt)).all()}

    async def release_named_leases(self, holder: str, names: Iterable[str] | None = None
                                   ) -> None:
        c = t.named_leases.c
        stmt = delete(t.named_leases).where(c.holder == holder)
        if names is not None:
            stmt = stmt.where(c.name.in_(sorted(set(names))))
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    async def named_leases(self, prefix: str = "", now: dt.datetime | None = None
                           ) -> dict[str, str]:
        """The live leases whose name starts with `prefix`: name -> holder."""
        c = t.named_leases.c
        q = select(c.name, c.holder).where(c.expires_at >= (now or _now()))
        if prefix:
            q = q.where(c.name.startswith(prefix, autoescape=True))
        async with self.engine.connect() as conn:
            return {r[0]: r[1] for r in (await conn.execute(q)).all()}
