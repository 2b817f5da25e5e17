"""The store's side of delivery: thread plans, thread leases and the delivery ledger
(mixed into `Store`). Every write is one transaction; batches share one (leases: one per 500).

A lease is taken atomically by one statement on SQLite and PostgreSQL alike:

    INSERT INTO thread_leases ... VALUES (...)
    ON CONFLICT (digest_key, platform, channel, thread) DO UPDATE SET holder = ...
    WHERE thread_leases.expires_at < :now OR thread_leases.holder = :holder
    RETURNING holder

A row comes back only when the thread was free, expired, or already ours; another
poster's live lease returns nothing. Renewal is one UPDATE per holder (`WHERE holder =
:holder ... RETURNING` the threads still held), release one DELETE.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, and_, delete, exists, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.models import Delivery, ThreadKey, ThreadPlan, ViewSpec
from bot.store import schema as t

__all__ = ["ThreadKey", "ThreadTables"]
_KEY_COLUMNS = ("digest_key", "platform", "channel", "thread")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ThreadTables:
    """Plans, leases and the ledger. Needs `engine`, `_insert` and `_upsert` (Store)."""

    engine: AsyncEngine

    def _insert(self, table: Table) -> Any:  # pragma: no cover - Store's
        raise NotImplementedError

    async def _upsert(self, conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]],
                      keys: Sequence[str], *, update_cols: Iterable[str] | None = None
                      ) -> None:  # pragma: no cover - Store's
        raise NotImplementedError

    # --- the ledger --------------------------------------------------------------------
    async def record_delivery(self, d: Delivery) -> None:
        await self.record_deliveries([d])

    async def record_deliveries(self, rows: Iterable[Delivery]) -> None:
        """Upsert ledger rows in one transaction (the last row for a message wins)."""
        by_message = {
            (d.digest_key, d.platform, d.channel, d.thread, d.part): _delivery_row(d)
            for d in rows
        }
        async with self.engine.begin() as conn:
            await self._upsert(conn, t.deliveries, list(by_message.values()),
                               [*_KEY_COLUMNS, "part"])

    async def deliveries(
        self, digest_key: str | None = None, platform: str | None = None,
        channel: str | None = None, thread: str | None = None,
    ) -> list[Delivery]:
        d = t.deliveries.c
        q = select(t.deliveries).order_by(d.digest_key, d.platform, d.channel, d.thread,
                                          d.first_attempt_at, d.part)
        for column, value in ((d.digest_key, digest_key), (d.platform, platform),
                              (d.channel, channel), (d.thread, thread)):
            if value is not None:
                q = q.where(column == value)
        async with self.engine.connect() as conn:
            return [Delivery(**dict(r)) for r in (await conn.execute(q)).mappings()]

    async def thread_deliveries(self, keys: Iterable[ThreadKey]) -> list[Delivery]:
        """The ledger rows of these threads, read 200 threads a query: a fan-out that
        took over thousands of threads yields to its lease renewal between queries
        instead of holding the event loop while one huge result is converted."""
        d = t.deliveries.c
        ordered = sorted(set(keys))
        found: list[Delivery] = []
        async with self.engine.connect() as conn:
            for i in range(0, len(ordered), 200):
                q = select(t.deliveries).where(tuple_(
                    d.digest_key, d.platform, d.channel, d.thread).in_(ordered[i:i + 200]))
                found += [Delivery(**dict(r)) for r in (await conn.execute(q)).mappings()]
        return found

    async def recorded_message_ids(self, platform: str, channel: str, since: dt.datetime
                                   ) -> frozenset[str]:
        """Message ids the ledger holds for a channel, of rows written since `since`
        (read-back skips them: they are other messages, already accounted for)."""
        d = t.deliveries.c
        q = select(d.message_id).where(
            d.platform == platform, d.channel == channel, d.updated_at >= since,
            d.status == "sent")
        async with self.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        return frozenset(str(r[0]) for r in rows if r[0])

    # --- plans ---------------------------------------------------------------------------
    async def thread_plans(self, digest_key: str | None = None, platform: str | None = None,
                           channel: str | None = None) -> list[ThreadPlan]:
        p = t.thread_plans.c
        q = select(t.thread_plans).order_by(p.digest_key, p.platform, p.channel, p.created_at,
                                            p.thread)
        for column, value in ((p.digest_key, digest_key), (p.platform, platform),
                              (p.channel, channel)):
            if value is not None:
                q = q.where(column == value)
        async with self.engine.connect() as conn:
            return [_plan(r) for r in (await conn.execute(q)).mappings()]

    async def channel_plans(self, digest_key: str, channels: Iterable[tuple[str, str]]
                            ) -> list[ThreadPlan]:
        """The plans of `digest_key` in these (platform, channel)s, 200 channels a query:
        a post job of 20 channels reads its own, not the whole day's."""
        p = t.thread_plans.c
        ordered = sorted(set(channels))
        found: list[ThreadPlan] = []
        async with self.engine.connect() as conn:
            for i in range(0, len(ordered), 200):
                q = (select(t.thread_plans)
                     .where(p.digest_key == digest_key)
                     .where(tuple_(p.platform, p.channel).in_(ordered[i:i + 200]))
                     .order_by(p.platform, p.channel, p.created_at, p.thread))
                found += [_plan(r) for r in (await conn.execute(q)).mappings()]
        return found

    async def has_plans(self, digest_key: str) -> bool:
        q = select(exists().where(t.thread_plans.c.digest_key == digest_key))
        async with self.engine.connect() as conn:
            return bool((await conn.execute(q)).scalar())

    async def create_plans(self, plans: Iterable[ThreadPlan]) -> None:
        """Store plans that don't exist yet (a stored plan is never replaced: the first
        attempt's plan is the one every later attempt delivers)."""
        rows = [_plan_row(p) for p in plans]
        async with self.engine.begin() as conn:
            await self._upsert(conn, t.thread_plans, rows, list(_KEY_COLUMNS), update_cols=[])

    # --- leases --------------------------------------------------------------------------
    async def acquire_leases(self, keys: Iterable[ThreadKey], holder: str, ttl: float,
                             now: dt.datetime | None = None) -> set[ThreadKey]:
        """Take the leases of `keys` that are free, expired or already `holder`'s, for
        `ttl` seconds, 500 a statement, each statement its own transaction; returns the
        ones taken. (PostgreSQL locks every conflicting row of an `ON CONFLICT DO UPDATE`,
        even where its WHERE is false, until the transaction ends: one transaction for
        thousands of threads would keep the holder of those threads from renewing its
        leases until then.)"""
        now = now or _now()
        expires = now + dt.timedelta(seconds=ttl)
        lease = t.thread_leases
        ordered = sorted(set(keys))  # one lock order: no deadlock between posters
        got: set[ThreadKey] = set()
        for i in range(0, len(ordered), 500):  # multi-row VALUES, 500 rows a statement
            async with self.engine.begin() as conn:
                rows = [{**dict(zip(_KEY_COLUMNS, key, strict=True)), "holder": holder,
                         "expires_at": expires, "acquired_at": now}
                        for key in ordered[i:i + 500]]
                stmt = self._insert(lease).values(rows)
                stmt = stmt.on_conflict_do_update(
                    index_elements=list(_KEY_COLUMNS),
                    set_={"holder": stmt.excluded.holder,
                          "expires_at": stmt.excluded.expires_at,
                          "acquired_at": stmt.excluded.acquired_at},
                    where=(lease.c.expires_at < now) | (lease.c.holder == holder),
                ).returning(*(lease.c[c] for c in _KEY_COLUMNS))
                got |= {(r[0], r[1], r[2], r[3]) for r in (await conn.execute(stmt)).all()}
        return got

    async def renew_leases(self, holder: str, ttl: float, now: dt.datetime | None = None
                           ) -> set[ThreadKey]:
        """Extend every lease `holder` still has; returns them (a lease taken over by
        another poster after it expired is no longer among them)."""
        expires = (now or _now()) + dt.timedelta(seconds=ttl)
        c = t.thread_leases.c
        stmt = (update(t.thread_leases).where(c.holder == holder).values(expires_at=expires)
                .returning(c.digest_key, c.platform, c.channel, c.thread))
        async with self.engine.begin() as conn:
            return {(r[0], r[1], r[2], r[3]) for r in (await conn.execute(stmt)).all()}

    async def release_leases(self, holder: str, keys: Iterable[ThreadKey] | None = None
                             ) -> None:
        c = t.thread_leases.c
        stmt = delete(t.thread_leases).where(c.holder == holder)
        async with self.engine.begin() as conn:
            if keys is None:
                await conn.execute(stmt)
                return
            for key in sorted(set(keys)):
                await conn.execute(stmt.where(and_(*(
                    getattr(c, col) == value for col, value in zip(_KEY_COLUMNS, key,
                                                                   strict=True)))))

    async def leases(self, digest_key: str | None = None) -> list[dict[str, Any]]:
        q = select(t.thread_leases)
        if digest_key is not None:
            q = q.where(t.thread_leases.c.digest_key == digest_key)
        async with self.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(q)).mappings()]


def _delivery_row(d: Delivery) -> dict[str, Any]:
    return {
        "digest_key": d.digest_key, "platform": d.platform, "channel": d.channel,
        "thread": d.thread, "part": d.part, "workspace": d.workspace, "status": d.status,
        "message_id": d.message_id, "thread_id": d.thread_id, "permalink": d.permalink,
        "key": d.key, "detail": d.detail, "attempts": d.attempts,
        "first_attempt_at": d.first_attempt_at, "updated_at": d.updated_at or _now(),
    }


def _view_dict(v: ViewSpec) -> dict[str, Any]:
    return {"categories": list(v.categories), "include_keywords": list(v.include_keywords),
            "exclude_keywords": list(v.exclude_keywords),
            "include_authors": list(v.include_authors),
            "exclude_authors": list(v.exclude_authors), "min_score": v.min_score,
            "max_papers": v.max_papers}


def _view(d: dict[str, Any] | None) -> ViewSpec | None:
    if d is None:
        return None
    return ViewSpec(
        categories=tuple(d.get("categories", ())),
        include_keywords=tuple(d.get("include_keywords", ())),
        exclude_keywords=tuple(d.get("exclude_keywords", ())),
        include_authors=tuple(d.get("include_authors", ())),
        exclude_authors=tuple(d.get("exclude_authors", ())),
        min_score=int(d.get("min_score", 0)), max_papers=d.get("max_papers"))


def _plan_row(p: ThreadPlan) -> dict[str, Any]:
    return {
        "digest_key": p.digest_key, "platform": p.platform, "channel": p.channel,
        "thread": p.thread, "workspace": p.workspace,
        "view": _view_dict(p.view) if p.view is not None else None,
        "view_hash": p.view_hash, "parent": {"heading": p.heading, "notes": list(p.notes)},
        "parts": list(p.parts), "origin": p.origin, "created_at": p.created_at or _now(),
    }


def _plan(r: Any) -> ThreadPlan:
    parent = r["parent"] or {}
    return ThreadPlan(
        digest_key=r["digest_key"], platform=r["platform"], channel=r["channel"],
        thread=r["thread"], view=_view(r["view"]), view_hash=r["view_hash"],
        parts=tuple(r["parts"] or ()), heading=str(parent.get("heading", "")),
        notes=tuple(parent.get("notes", ())), origin=r["origin"], workspace=r["workspace"],
        created_at=r["created_at"])
