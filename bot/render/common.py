"""Small text helpers every renderer shares."""

from __future__ import annotations

from collections.abc import Iterable

from bot.models import SOURCE_LABELS, Digest, RankedPaper


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` cut to at most `limit` characters on a word boundary, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ellipsis))]
    head, _, _ = cut.rpartition(" ")
    return (head or cut).rstrip(" ,.;:") + ellipsis


def counts_line(paper: RankedPaper) -> str:
    """`reposts 2597 · likes 245`, or per-source counts when several sources contributed."""
    if len(paper.by_source) > 1:
        return " · ".join(
            f"{source_label(s.source)} {s.reposts + s.likes}" for s in paper.by_source
        ) + f" · score {paper.score}"
    return f"reposts {paper.reposts} · likes {paper.likes}"


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source, source)


def sources_label(sources: Iterable[str]) -> str:
    """`X, Hacker News`: the sources' display names."""
    return ", ".join(source_label(s) for s in sources)


def sources_line(digest: Digest) -> str:
    """`sources: X, Hacker News · failed: Bluesky` (empty when nothing is known)."""
    parts = []
    if digest.sources:
        parts.append("sources: " + sources_label(digest.sources))
    if digest.failed_sources:
        parts.append("failed: " + sources_label(digest.failed_sources))
    return " · ".join(parts)


def categories_label(digest: Digest) -> str:
    return ", ".join(digest.categories_filter or digest.listing)


def paper_count(n: int) -> str:
    return f"{n} paper" + ("" if n == 1 else "s")
