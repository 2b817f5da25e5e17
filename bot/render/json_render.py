"""The digest as plain JSON-ready data (`hotpapers digest --format json`, exports)."""

from __future__ import annotations

from typing import Any

from bot.models import Digest, Mention, RankedPaper, SourceCount
from bot.render.common import source_metrics


def digest_to_dict(digest: Digest) -> dict[str, Any]:
    """`{"date": "2021-08-06", "counted_at": ..., "sources": [...], "failed_sources": [...],
    "status": "imported", "coverage": [...], "papers": [{"rank": 1, "arxiv_id": "2108.02774",
    ..., "sources": {"x": {...}}}]}`; `status` is imported | complete | partial | sample
    (see `bot.models`), `coverage` the notes about sources that could not cover the day. A
    window has `"window": {"from": "2021-08-02", "to": "2021-08-06", ...}` instead of
    `"date"`, and each paper the day it was listed with (`"listed_on"`)."""
    out: dict[str, Any] = {}
    if digest.window is not None:
        w = digest.window
        days = [d for d in digest.meta_value("days").split(",") if d]
        out["window"] = {"from": w.start.isoformat(), "to": w.end.isoformat(),
                         "kind": w.kind, "key": w.key, "days": days}
    else:
        out["date"] = digest.date.isoformat()
    out.update({
        "counted_at": digest.counted_at.isoformat(),
        "sources": list(digest.sources),
        "failed_sources": list(digest.failed_sources),
        "status": digest.status,
        "coverage": list(digest.coverage),
    })
    out["papers"] = [paper_to_dict(rp) for rp in digest.papers]
    return out


def sources_to_dict(counts: tuple[SourceCount, ...]) -> dict[str, dict[str, Any]]:
    """`{"x": {"posts": 3, "reposts": 2597, "likes": 245, "score": 2842}, "hn": {"posts":
    1, "points": 120, "score": 120}}`: each source's counts under its own names (HN
    points, Hugging Face upvotes); `posts` only when known."""
    out: dict[str, dict[str, Any]] = {}
    for s in counts:
        entry: dict[str, Any] = {"posts": s.posts} if s.posts else {}
        reposts_name, likes_name = source_metrics(s.source)
        if reposts_name:
            entry[reposts_name] = s.reposts
        entry[likes_name] = s.likes
        points = s.points
        entry["score"] = int(points) if points == int(points) else round(points, 2)
        out[s.source] = entry
    return out


def paper_to_dict(rp: RankedPaper) -> dict[str, Any]:
    p = rp.paper
    return {
        "rank": rp.rank,
        "arxiv_id": p.arxiv_id,
        "title": p.title,
        "authors": list(p.authors),
        "score": rp.score,
        "reposts": rp.reposts,
        "likes": rp.likes,
        "categories": list(p.categories),
        "primary_category": p.primary_category,
        "abs_url": p.abs_url,
        "pdf_url": p.pdf_url,
        "abstract": p.abstract,
        "sources": sources_to_dict(rp.by_source),
        "mentions": [mention_to_dict(m) for m in rp.mentions],
        **({"listed_on": rp.listed_on.isoformat()} if rp.listed_on else {}),
    }


def mention_to_dict(m: Mention) -> dict[str, Any]:
    return {
        "source": m.source,
        "url": m.url,
        "author_name": m.author_name,
        "author_handle": m.author_handle,
        "posted_at": m.posted_at.isoformat() if m.posted_at else None,
        "text": m.text,
        "language": m.language,
        "reposts": m.reposts,
        "likes": m.likes,
    }
