"""Small text helpers every renderer shares."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.models import SOURCE_LABELS, Digest, RankedPaper

# Short names for the per-source counts on a card ("X 2,597 reposts · 245 likes — HN 120
# points"), and what each source's two counts are called (HN and Hugging Face have one).
SHORT_LABELS = {"x": "X", "bluesky": "Bluesky", "hn": "HN", "hf": "HF"}
_METRICS = {"hn": ("", "points"), "hf": ("", "upvotes")}
_SINGULAR = {"reposts": "repost", "likes": "like", "points": "point", "upvotes": "upvote"}
_SHORT_LINKS = re.compile(r"(?:https?://)?(?:t\.co|pic\.twitter\.com)/[A-Za-z0-9]+/?")
_BARE_LABEL = re.compile(r"^(?:[\w .&/-]{0,30}:)?$")
_LINE_BREAKS = re.compile(r"[\r\n\t\f\v]+")


def shorten(text: str, limit: int, ellipsis: str = "…", *, keep_spacing: bool = False) -> str:
    """`text` cut to at most `limit` characters on a word boundary, with an ellipsis.
    Runs of white space become one space, unless `keep_spacing` (then only line breaks
    and tabs do, and the ends are stripped)."""
    text = _LINE_BREAKS.sub(" ", text).strip() if keep_spacing else " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ellipsis))]
    head, _, _ = cut.rpartition(" ")
    return (head or cut).rstrip(" ,.;:") + ellipsis


def title_text(paper: RankedPaper) -> str:
    """The title as listed: its own spacing kept (the archive's titles have double
    spaces where arXiv wrapped them), only line breaks become spaces."""
    return _LINE_BREAKS.sub(" ", paper.paper.title).strip()


def number(n: float) -> str:
    """`2,597`; a fraction only where there is one (`2.5`)."""
    return f"{n:,.0f}" if float(n).is_integer() else f"{n:,.1f}"


def source_metrics(source: str) -> tuple[str, str]:
    """What a source's reposts and likes are called (`""` when it has no reposts)."""
    return _METRICS.get(source, ("reposts", "likes"))


def _counted(n: int, name: str) -> str:
    return f"{number(n)} {_SINGULAR[name] if n == 1 else name}"


def counts_phrase(source: str, reposts: int, likes: int) -> str:
    """`2,597 reposts · 245 likes`, `120 points`, `12 likes`; empty when both are 0
    (unknown, as for the posts of the blog's archive)."""
    reposts_name, likes_name = source_metrics(source)
    parts = []
    if reposts and reposts_name:
        parts.append(_counted(reposts, reposts_name))
    if likes or (reposts and not reposts_name):
        parts.append(_counted(likes + (0 if reposts_name else reposts), likes_name))
    return " · ".join(parts)


def counts_line(paper: RankedPaper) -> str:
    """Where the attention came from: `X 2,597 reposts · 245 likes — HN 120 points`
    (empty when nothing is known)."""
    parts = []
    for s in paper.by_source:
        phrase = counts_phrase(s.source, s.reposts, s.likes)
        if phrase:
            parts.append(f"{SHORT_LABELS.get(s.source, source_label(s.source))} {phrase}")
    if not parts and (paper.reposts or paper.likes):
        parts.append(counts_phrase("x", paper.reposts, paper.likes))
    return " — ".join(parts)


def score_line(paper: RankedPaper) -> str:
    """`score 2,842 · X 2,597 reposts · 245 likes`: the combined score and its parts."""
    counts = counts_line(paper)
    return f"score {number(paper.score)}" + (f" · {counts}" if counts else "")


def post_text(text: str) -> str:
    """A post's text for a card: without the raw t.co and pic.twitter.com links (the
    arXiv links they stood for are on the card already) and the labels left bare by
    them (a line `pdf: https://t.co/...`), on one line."""
    kept = []
    for line in text.splitlines():
        bare = " ".join(_SHORT_LINKS.sub(" ", line).split())
        if bare != line.strip() and _BARE_LABEL.match(bare):
            continue
        kept.append(bare)
    return " ".join(" ".join(kept).split())


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


def failure_note(digest: Digest) -> str:
    """Which asked sources failed and where the counts come from instead (empty when
    none failed). Sources never asked are not named: they did not fail."""
    if not digest.failed_sources:
        return ""
    failed = sources_label(digest.failed_sources)
    others = sources_label(digest.sources)
    where = f"its counts come from {others}" if others else "no counts were taken"
    return f"{failed} could not be reached when this digest was counted; {where}."


def categories_label(digest: Digest) -> str:
    return ", ".join(digest.categories_filter or digest.listing)


def paper_count(n: int) -> str:
    return f"{n} paper" + ("" if n == 1 else "s")
