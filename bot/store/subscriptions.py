"""The store's subscriptions (what each channel gets) and its small key/value table
(the scheduler's state), mixed into `Store`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from bot.models import Subscription
from bot.store import schema as t

__all__ = ["SubscriptionTables"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SubscriptionTables:
    """Subscriptions and key/values. Needs `engine` and `_upsert` (Store)."""

    engine: AsyncEngine

    async def _upsert(self, conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]],
                      keys: Sequence[str], *, update_cols: Iterable[str] | None = None
                      ) -> None:  # pragma: no cover - Store's
        raise NotImplementedError

    async def save_subscription(self, sub: Subscription) -> Subscription:
        """Create or replace the subscription of `sub.platform:sub.channel`."""
        row = {
            "platform": sub.platform,
            "workspace": sub.workspace,
            "channel": sub.channel,
            "categories": list(sub.categories),
            "filters": {
                "include_keywords": list(sub.include_keywords),
                "exclude_keywords": list(sub.exclude_keywords),
                "include_authors": list(sub.include_authors),
                "exclude_authors": list(sub.exclude_authors),
            },
            "min_score": sub.min_score,
            "max_papers": sub.max_papers,
            "paused": sub.paused,
            "pause_reason": sub.pause_reason,
            "created_at": sub.created_at or _now(),
            "cadences": list(sub.cadences),
        }
        async with self.engine.begin() as conn:
            await self._upsert(
                conn, t.subscriptions, [row], ["platform", "channel"],
                update_cols=[c for c in row if c not in ("platform", "channel", "created_at")],
            )
        got = await self.get_subscription(sub.platform, sub.channel)
        assert got is not None
        return got

    async def get_subscription(self, platform: str, channel: str) -> Subscription | None:
        async with self.engine.connect() as conn:
            r = (
                await conn.execute(
                    select(t.subscriptions).where(_is_channel(platform, channel))
                )
            ).mappings().first()
        return _subscription(r) if r else None

    async def list_subscriptions(
        self, platform: str | None = None, *, include_paused: bool = True
    ) -> list[Subscription]:
        q = select(t.subscriptions).order_by(t.subscriptions.c.platform, t.subscriptions.c.channel)
        if platform:
            q = q.where(t.subscriptions.c.platform == platform)
        if not include_paused:
            q = q.where(t.subscriptions.c.paused.is_(False))
        async with self.engine.connect() as conn:
            return [_subscription(r) for r in (await conn.execute(q)).mappings()]

    async def delete_subscription(self, platform: str, channel: str) -> bool:
        async with self.engine.begin() as conn:
            res = await conn.execute(
                delete(t.subscriptions).where(_is_channel(platform, channel))
            )
        return bool(res.rowcount)

    async def set_paused(self, platform: str, channel: str, paused: bool, reason: str = "") -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t.subscriptions)
                .where(_is_channel(platform, channel))
                .values(paused=paused, pause_reason=reason)
            )

    # --- key/value -----------------------------------------------------------------
    async def get_value(self, key: str) -> str | None:
        async with self.engine.connect() as conn:
            r = (await conn.execute(select(t.kv.c.value).where(t.kv.c.key == key))).first()
        return r[0] if r else None

    async def set_value(self, key: str, value: str) -> None:
        async with self.engine.begin() as conn:
            await self._upsert(conn, t.kv, [{"key": key, "value": value}], ["key"])


def _is_channel(platform: str, channel: str) -> ColumnElement[bool]:
    return (t.subscriptions.c.platform == platform) & (t.subscriptions.c.channel == channel)


def _subscription(r: Any) -> Subscription:
    f = r["filters"] or {}
    return Subscription(
        platform=r["platform"],
        workspace=r["workspace"],
        channel=r["channel"],
        categories=tuple(r["categories"]),
        include_keywords=tuple(f.get("include_keywords", ())),
        exclude_keywords=tuple(f.get("exclude_keywords", ())),
        include_authors=tuple(f.get("include_authors", ())),
        exclude_authors=tuple(f.get("exclude_authors", ())),
        min_score=r["min_score"],
        max_papers=r["max_papers"],
        paused=bool(r["paused"]),
        pause_reason=r["pause_reason"],
        created_at=r["created_at"],
        cadences=tuple(r["cadences"] or ("daily",)),
    )
