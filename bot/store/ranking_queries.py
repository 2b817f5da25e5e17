"""Read-only queries for windows and `explain`, beyond `Store.get_digest`: the stored
digests of a span of days, the days a paper was listed, and every post counted (or
not) for one paper of one built digest."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.models import CountedPost, Digest, Mention
from bot.store import schema as t
from bot.store.store import Store


async def digests_between(store: Store, start: dt.date, end: dt.date) -> list[Digest]:
    """The stored digests dated `start` .. `end` (both included), oldest first."""
    d = t.digests
    async with store.engine.connect() as conn:
        dates = [r[0] for r in await conn.execute(
            select(d.c.date).where(d.c.date >= start, d.c.date <= end).order_by(d.c.date))]
    out = []
    for date in dates:
        digest = await store.get_digest(date)
        if digest is not None:
            out.append(digest)
    return out


async def listing_dates(store: Store, arxiv_id: str) -> list[dt.date]:
    """The days whose stored digest lists `arxiv_id`, oldest first."""
    dp = t.digest_papers
    async with store.engine.connect() as conn:
        res = await conn.execute(
            select(dp.c.date).where(dp.c.arxiv_id == arxiv_id).order_by(dp.c.date))
        return [r[0] for r in res]


async def counted_posts(store: Store, date: dt.date, arxiv_id: str) -> tuple[CountedPost, ...]:
    """Every post that linked `arxiv_id` when the digest of `date` was built, as it was
    counted then (most points first); empty for imported digests, which kept none."""
    dp = t.digest_posts
    q = select(dp).where(dp.c.date == date, dp.c.arxiv_id == arxiv_id)
    async with store.engine.connect() as conn:
        rows = (await conn.execute(q)).mappings().all()
    posts = [
        CountedPost(arxiv_id, Mention(r["source"], r["url"], (arxiv_id,),
                                      author_name=r["author_name"],
                                      author_handle=r["author_handle"], reposts=r["reposts"],
                                      likes=r["likes"]),
                    factor=r["factor"], points=r["points"], rule=r["rule"], reason=r["reason"])
        for r in rows
    ]
    return tuple(sorted(posts, key=lambda c: (-c.points, -c.mention.attention, c.mention.url)))
