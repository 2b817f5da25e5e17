"""The digest as plain JSON-ready data (`hotpapers digest --format json`, exports)."""

from __future__ import annotations

from typing import Any

from bot.models import Digest, Mention, RankedPaper


def digest_to_dict(digest: Digest) -> dict[str, Any]:
    """`{"date": "2021-08-06", "counted_at": ..., "sources": [...], "failed_sources": [...],
    "status": "imported", "coverage": [...], "papers": [{"rank": 1, ...}]}`; `status` is
    imported | complete | partial | sample (see `bot.models`), `coverage` the notes about
    sources that could not cover the day."""
    out: dict[str, Any] = {
        "date": digest.date.isoformat(),
        "counted_at": digest.counted_at.isoformat(),
        "sources": list(digest.sources),
        "failed_sources": list(digest.failed_sources),
        "status": digest.status,
        "coverage": list(digest.coverage),
    }
    out["papers"] = [paper_to_dict(rp) for rp in digest.papers]
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
        "mentions": [mention_to_dict(m) for m in rp.mentions],
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
