"""Read-only queries the web archive needs beyond `Store.get_digest`: the stored days with
a summary each, a cheap generation stamp (changes whenever a digest is stored or removed),
the latest papers of a set of categories, and everything stored about one paper."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, tuple_

from bot.models import Mention, Paper, RankedPaper, SourceCount
from bot.store import schema as t
from bot.store.rows import mention_from_row, source_counts
from bot.store.store import Store


@dataclass(frozen=True, slots=True)
class DaySummary:
    date: dt.date
    papers: int
    top_title: str
    stored_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Listing:
    """One day a paper was listed: its rank and counts that day."""

    date: dt.date
    rank: int
    score: int
    reposts: int
    likes: int
    by_source: tuple[SourceCount, ...]


@dataclass(frozen=True, slots=True)
class PaperRecord:
    paper: Paper
    listings: tuple[Listing, ...]  # newest first
    mentions: tuple[Mention, ...]  # most attention first


async def generation(store: Store) -> tuple[int, dt.datetime | None]:
    """(stored digests, newest stored_at): any save or delete of a digest changes it."""
    d = t.digests
    async with store.engine.connect() as conn:
        count, newest = (await conn.execute(
            select(func.count(), func.max(d.c.stored_at)))).one()
    if isinstance(newest, dt.datetime) and newest.tzinfo is None:
        newest = newest.replace(tzinfo=dt.UTC)  # max() bypasses the column type on SQLite
    elif isinstance(newest, str):
        newest = dt.datetime.fromisoformat(newest).replace(tzinfo=dt.UTC)
    return int(count), newest


async def day_summaries(store: Store) -> list[DaySummary]:
    """Every stored day, oldest first, with its paper count and top title."""
    d, dp, p = t.digests, t.digest_papers, t.papers
    async with store.engine.connect() as conn:
        rows: Sequence[Any] = (await conn.execute(
            select(d.c.date, d.c.stored_at, dp.c.rank, dp.c.paper, p.c.title)
            .select_from(d.outerjoin(dp, dp.c.date == d.c.date)
                         .outerjoin(p, p.c.arxiv_id == dp.c.arxiv_id))
            .order_by(d.c.date, dp.c.rank))).all()
    out: dict[dt.date, DaySummary] = {}
    for date, stored_at, rank, listed, title in rows:
        seen = out.get(date)
        if seen is None:
            top = (listed or {}).get("title") or title or ""
            out[date] = DaySummary(date, 1 if rank is not None else 0, " ".join(top.split()),
                                   stored_at)
        else:
            out[date] = DaySummary(date, seen.papers + 1, seen.top_title, seen.stored_at)
    return list(out.values())


async def listing_categories(store: Store) -> list[tuple[dt.date, str, tuple[str, ...]]]:
    """(date, arxiv_id, categories as listed that day) of every listing, newest day first,
    by rank within a day: what category pages filter (callers keep it per generation)."""
    dp, p = t.digest_papers, t.papers
    async with store.engine.connect() as conn:
        rows: Sequence[Any] = (await conn.execute(
            select(dp.c.date, dp.c.arxiv_id, dp.c.paper["categories"], p.c.categories)
            .select_from(dp.join(p, p.c.arxiv_id == dp.c.arxiv_id))
            .order_by(dp.c.date.desc(), dp.c.rank))).all()
    return [(date, arxiv_id, tuple(listed or current or ()))
            for date, arxiv_id, listed, current in rows]


def latest_in_categories(
    rows: Sequence[tuple[dt.date, str, tuple[str, ...]]],
    keep: Callable[[tuple[str, ...]], bool], limit: int,
) -> list[tuple[dt.date, str]]:
    """(date, arxiv_id) of the first `limit` of `rows` whose categories `keep` accepts."""
    found: list[tuple[dt.date, str]] = []
    for date, arxiv_id, categories in rows:
        if keep(categories):
            found.append((date, arxiv_id))
            if len(found) == limit:
                break
    return found


async def paper_record(store: Store, arxiv_id: str) -> PaperRecord | None:
    """The paper (newest metadata), every day it was listed, every post shown under it."""
    dp, dm, m = t.digest_papers, t.digest_mentions, t.mentions
    papers = await store.get_papers([arxiv_id])
    paper = papers.get(arxiv_id)
    if paper is None:
        return None
    async with store.engine.connect() as conn:
        listed: Sequence[Any] = (await conn.execute(
            select(dp.c.date, dp.c.rank, dp.c.score, dp.c.reposts, dp.c.likes, dp.c.by_source)
            .where(dp.c.arxiv_id == arxiv_id).order_by(dp.c.date.desc()))).all()
        posts = (await conn.execute(
            select(m).where(tuple_(m.c.source, m.c.url).in_(
                select(dm.c.source, dm.c.url).where(dm.c.arxiv_id == arxiv_id)))
        )).mappings().all()
    if not listed:
        return None
    listings = tuple(
        Listing(date, rank, score, reposts, likes, source_counts(by_source))
        for date, rank, score, reposts, likes, by_source in listed)
    mentions = sorted((mention_from_row(r) for r in posts), key=lambda x: (-x.attention, x.url))
    return PaperRecord(paper, listings, tuple(mentions))


def ranked(record: PaperRecord, listing: Listing) -> RankedPaper:
    """The paper as a RankedPaper of one listing (for the shared paper template)."""
    return RankedPaper(rank=listing.rank, paper=record.paper, score=listing.score,
                       reposts=listing.reposts, likes=listing.likes,
                       mentions=record.mentions, by_source=listing.by_source)


def listed_ids_and_categories(rows: Sequence[tuple[dt.date, str, tuple[str, ...]]]
                              ) -> tuple[list[str], set[str]]:
    """Every paper listed (sorted) and every category they were listed with."""
    return sorted({r[1] for r in rows}), {c for *_, cats in rows for c in cats}
