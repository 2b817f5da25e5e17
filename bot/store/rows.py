"""Rows <-> value types for the digest tables: the one query that reads a stored
digest with its papers and shown posts, and the per-source counts as stored."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, bindparam, select

from bot.models import Mention, Paper, SourceCount
from bot.store import schema as t

__all__ = ["DIGEST_QUERY", "digest_query", "mention_from_row", "paper_from_row", "source_counts",
           "source_counts_json"]


def source_counts_json(counts: Iterable[SourceCount]) -> list[list[Any]]:
    """`digest_papers.by_source`: [source, reposts, likes] (the blog's archive), plus
    [posts, score] when they are known (built digests)."""
    return [[s.source, s.reposts, s.likes] if not s.posts and s.score is None
            else [s.source, s.reposts, s.likes, s.posts, s.score] for s in counts]


def source_counts(rows: Iterable[Sequence[Any]]) -> tuple[SourceCount, ...]:
    """The inverse of `source_counts_json` (3- and 5-element rows)."""
    out = []
    for row in rows:
        source, reposts, likes, *more = row
        posts, score = (int(more[0]), None if more[1] is None else float(more[1])) \
            if len(more) >= 2 else (0, None)
        out.append(SourceCount(str(source), int(reposts), int(likes), posts, score))
    return tuple(out)


def digest_query() -> Select[Any]:
    d, dp, p, dm, m = t.digests, t.digest_papers, t.papers, t.digest_mentions, t.mentions
    return (
        select(
            d.c.date, d.c.counted_at, d.c.sources, d.c.failed_sources, d.c.listing, d.c.title,
            d.c.meta, d.c.status, d.c.asked_sources, d.c.coverage, d.c.retry_at, d.c.attempts,
            dp.c.arxiv_id.label("dp_arxiv_id"), dp.c.rank, dp.c.score,
            dp.c.reposts.label("dp_reposts"), dp.c.likes.label("dp_likes"), dp.c.by_source,
            dp.c.paper.label("dp_paper"),
            p.c.title.label("p_title"), p.c.authors, p.c.categories, p.c.abstract,
            m.c.source.label("m_source"), m.c.url.label("m_url"), m.c.arxiv_ids,
            m.c.author_name, m.c.author_handle, m.c.posted_at, m.c.text, m.c.language,
            m.c.reposts.label("m_reposts"), m.c.likes.label("m_likes"), m.c.embed_html,
        )
        .select_from(
            d.outerjoin(dp, dp.c.date == d.c.date)
            .outerjoin(p, p.c.arxiv_id == dp.c.arxiv_id)
            .outerjoin(dm, (dm.c.date == dp.c.date) & (dm.c.arxiv_id == dp.c.arxiv_id))
            .outerjoin(m, (m.c.source == dm.c.source) & (m.c.url == dm.c.url))
        )
        .where(d.c.date == bindparam("date"))
        .order_by(dp.c.rank, dp.c.arxiv_id, dm.c.position)
    )


DIGEST_QUERY = digest_query()


def paper_from_row(r: Any) -> Paper:
    return Paper(
        arxiv_id=r["arxiv_id"],
        title=r["title"],
        authors=tuple(r["authors"]),
        categories=tuple(r["categories"]),
        abstract=r["abstract"],
    )


def mention_from_row(r: Any) -> Mention:
    return Mention(
        source=r["source"],
        url=r["url"],
        arxiv_ids=tuple(r["arxiv_ids"]),
        author_name=r["author_name"],
        author_handle=r["author_handle"],
        posted_at=r["posted_at"],
        text=r["text"],
        language=r["language"],
        reposts=r["reposts"],
        likes=r["likes"],
        embed_html=r["embed_html"],
    )
