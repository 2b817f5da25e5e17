"""Ranking: which papers are hot and in what order. Pure functions, no I/O.

The seed's rules (the Hot Papers blog's, kept as the defaults):
- score of a paper = sum over every post linking it of weight(source) x (reposts + likes);
- a paper is listed when its score >= `min_score` (50);
- a post is shown under a paper when its own reposts + likes >= `min_post_attention` (25);
  the paper's top post is always shown;
- papers by score descending; equal scores by arXiv id ascending (this order reproduces
  54 of the 57 tied pairs in the blog archive; the other 3 follow no rule visible in the
  posts, see tests/bot/test_ranking_archive.py).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field

from bot.models import Mention, Paper, RankedPaper, SourceCount


def weight(source: str, weights: Mapping[str, float] | None = None) -> float:
    """The weight of one source's attention (1 unless configured)."""
    return float((weights or {}).get(source, 1.0))


@dataclass(slots=True)
class Tally:
    """The attention one paper received, summed over every post linking it."""

    arxiv_id: str
    score: float = 0.0
    reposts: int = 0
    likes: int = 0
    mentions: list[Mention] = field(default_factory=list)
    by_source: dict[str, list[int]] = field(default_factory=dict)  # source -> [reposts, likes]

    @property
    def int_score(self) -> int:
        return round(self.score)


def unique_mentions(mentions: Iterable[Mention]) -> list[Mention]:
    """One mention per post (`source`, `url`); a post seen twice keeps its highest counts."""
    best: dict[tuple[str, str], Mention] = {}
    for m in mentions:
        key = (m.source, m.url)
        old = best.get(key)
        if old is None or m.attention > old.attention:
            best[key] = m
    return list(best.values())


def tally(
    mentions: Iterable[Mention],
    *,
    listed: Container[str] | None = None,
    weights: Mapping[str, float] | None = None,
) -> dict[str, Tally]:
    """Attention per paper. Only papers in `listed` count when it is given; a post
    linking several papers counts once for each of them."""
    out: dict[str, Tally] = {}
    for m in unique_mentions(mentions):
        w = weight(m.source, weights)
        for arxiv_id in dict.fromkeys(m.arxiv_ids):
            if listed is not None and arxiv_id not in listed:
                continue
            t = out.get(arxiv_id)
            if t is None:
                t = out[arxiv_id] = Tally(arxiv_id)
            t.score += w * m.attention
            t.reposts += m.reposts
            t.likes += m.likes
            t.mentions.append(m)
            counts = t.by_source.setdefault(m.source, [0, 0])
            counts[0] += m.reposts
            counts[1] += m.likes
    return out


def order_key(t: Tally) -> tuple[float, str]:
    return (-t.score, t.arxiv_id)


def hot(tallies: Mapping[str, Tally] | Iterable[Tally], min_score: int = 50) -> list[Tally]:
    """The tallies that make the digest, best first (score desc, then arXiv id)."""
    items = tallies.values() if isinstance(tallies, Mapping) else tallies
    return sorted((t for t in items if t.int_score >= min_score), key=order_key)


def shown_mentions(t: Tally, min_post_attention: int = 25) -> tuple[Mention, ...]:
    """Posts shown under a paper: own attention >= the threshold, the top one always;
    most attention first (ties: earlier post, then url)."""
    ordered = sorted(
        t.mentions,
        key=lambda m: (-m.attention, m.posted_at.timestamp() if m.posted_at else 0.0, m.url),
    )
    return tuple(m for i, m in enumerate(ordered) if i == 0 or m.attention >= min_post_attention)


def ranked_papers(
    hot_tallies: Iterable[Tally],
    papers: Mapping[str, Paper],
    *,
    min_post_attention: int = 25,
) -> tuple[RankedPaper, ...]:
    """`RankedPaper`s numbered from 1; a paper missing from `papers` gets a bare record."""
    out = []
    for rank, t in enumerate(hot_tallies, start=1):
        paper = papers.get(t.arxiv_id) or Paper(t.arxiv_id, t.arxiv_id, (), ())
        by_source = tuple(
            SourceCount(source, r, lk) for source, (r, lk) in sorted(t.by_source.items())
        )
        out.append(
            RankedPaper(
                rank=rank,
                paper=paper,
                score=t.int_score,
                reposts=t.reposts,
                likes=t.likes,
                mentions=shown_mentions(t, min_post_attention),
                by_source=by_source,
            )
        )
    return tuple(out)


def rank(
    mentions: Iterable[Mention],
    papers: Mapping[str, Paper],
    *,
    min_score: int = 50,
    min_post_attention: int = 25,
    weights: Mapping[str, float] | None = None,
    restrict_to_papers: bool = True,
) -> tuple[RankedPaper, ...]:
    """The whole ranking in one call: tally -> threshold -> order -> RankedPaper."""
    tallies = tally(mentions, listed=papers if restrict_to_papers else None, weights=weights)
    return ranked_papers(
        hot(tallies, min_score), papers, min_post_attention=min_post_attention
    )
