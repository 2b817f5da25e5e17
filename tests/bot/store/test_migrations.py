"""Migration 0005 (provenance and completeness) on a store written before it: a digest
built from the live sources always carried `listing_via` in its meta; every other one
came from the blog archive. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import column, table
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store import Store
from bot.store import schema as t
from bot.store.migrate import current, head, upgrade

COUNTED = dt.datetime(2021, 8, 7, 17, 48, tzinfo=dt.UTC)
OLD_COLUMNS = ("date", "counted_at", "sources", "failed_sources", "listing", "title", "meta",
               "stored_at")
BUILT = {"listed": "120", "listing_via": "api", "mentions": "900", "window": "a/b"}


def row(day: int, meta: dict[str, str], sources: list[str], failed: list[str]
        ) -> dict[str, Any]:
    return {"date": dt.date(2021, 8, day), "counted_at": COUNTED, "sources": sources,
            "failed_sources": failed, "listing": ["cs", "stat.ML"], "title": "", "meta": meta,
            "stored_at": COUNTED}


async def test_existing_digests_get_their_provenance(any_store_url: str) -> None:
    engine = create_async_engine(any_store_url)
    async with engine.begin() as conn:
        await conn.run_sync(upgrade, "0002")  # the schema before provenance
        before = table("digests", *(column(c.name, c.type) for c in t.digests.c
                                    if c.name in OLD_COLUMNS))
        await conn.execute(before.insert(), [
            row(2, BUILT, ["hn", "hf"], []),  # built, every source answered
            row(3, BUILT, ["hn"], ["hf"]),  # built, Hugging Face failed
            row(4, {}, ["x"], []),  # a blog post in the default layout: no meta at all
            row(5, {"front_matter": "title: Hot Papers 2021-08-05"}, ["x"], []),  # a post
        ])
    await engine.dispose()

    store = await Store.open(any_store_url)  # migrates to the head
    try:
        async with store.engine.connect() as conn:
            assert await conn.run_sync(current) == head()
        got = {d: await store.get_digest(d) for d in await store.digest_dates()}
        complete, partial, plain, post = (got[dt.date(2021, 8, day)] for day in (2, 3, 4, 5))
        assert complete is not None and complete.status == "complete"
        assert complete.asked == ("hn", "hf") and complete.retry_at is None
        assert partial is not None and partial.status == "partial"
        assert partial.asked == ("hn", "hf") and partial.failed_sources == ("hf",)
        assert partial.retry_at is not None  # due for a rebuild now
        assert [d for d, _ in await store.partial_dates()] == [dt.date(2021, 8, 3)]
        for imported in (plain, post):
            assert imported is not None and imported.status == "imported"
            assert imported.asked == () and imported.is_imported
    finally:
        await store.close()
