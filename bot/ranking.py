"""Ranking: which papers are hot and in what order. Pure functions, no I/O.

The seed's rules (the Hot Papers blog's, kept as the defaults):
- score of a paper = sum over every post linking it of weight(source) x (reposts + likes);
- a paper is listed when its score >= `min_score` (50);
- a post is shown under a paper when its own reposts + likes >= `min_post_attention` (25);
  the paper's top post is always shown;
- papers by score descending; equal scores by arXiv id ascending (this order reproduces
  54 of the 57 tied pairs in the blog archive; the other 3 follow no rule visible in the
  posts, see tests/bot/test_ranking_archive.py).

Beyond the seed (both off unless asked for):
- `rules` (`bot.counting.FairRules`): which posts count and how much (one account once,
  auto-posters counted down, self posts); a post not counted adds nothing;
- `normalisation="rank"`: each source's attention is mapped to its percentile among
  the day's papers that source mentioned (0-100) before the weights are applied, so a
  Hacker News front page and an X thread weigh alike. The listing threshold still
  applies to the (weighted) attention; the order and the score follow the percentiles.
"""

from __future__ import annotations

import bisect
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field

from bot.counting import PLAIN, FairRules, count_posts
from bot.models import CountedPost, Mention, Paper, RankedPaper, SourceCount

NORMALISATIONS = ("none", "rank")


def weight(source: str, weights: Mapping[str, float] | None = None) -> float:
    """The weight of one source's attention (1 unless configured)."""
    return float((weights or {}).get(source, 1.0))


@dataclass(slots=True)
class SourceTally:
    """One source's part of a paper's attention (the posts counted)."""

    reposts: int = 0
    likes: int = 0
    posts: int = 0
    points: float = 0.0  # factor x (reposts + likes), summed; before the weight
    score: float = 0.0  # what it adds to the paper's score (weighted, maybe normalised)


@dataclass(slots=True)
class Tally:
    """The attention one paper received, summed over the posts counted.

    `attention` is the weighted sum the listing threshold applies to; `score` orders the
    papers (the same number unless the sources are normalised)."""

    arxiv_id: str
    score: float = 0.0
    attention: float = 0.0
    reposts: int = 0
    likes: int = 0
    mentions: list[Mention] = field(default_factory=list)  # the posts counted
    posts: list[CountedPost] = field(default_factory=list)  # every post, counted or not
    by_source: dict[str, SourceTally] = field(default_factory=dict)

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
    rules: FairRules = PLAIN,
    normalisation: str = "none",
) -> dict[str, Tally]:
    """Attention per paper. Only papers in `listed` count when it is given (a mapping
    of `Paper`s also lets the self-post rule see the authors); a post linking several
    papers counts once for each of them."""
    papers: Mapping[str, Paper] | None = listed if isinstance(listed, Mapping) else None
    posts = unique_mentions(mentions)
    if listed is not None and papers is None:
        keep = listed
        papers = {i: Paper(i, i, (), ()) for m in posts for i in m.arxiv_ids if i in keep}
    out: dict[str, Tally] = {}
    for arxiv_id, counted in count_posts(posts, papers, rules).items():
        t = out[arxiv_id] = Tally(arxiv_id, posts=counted)
        for c in counted:
            if not c.counted:
                continue
            m = c.mention
            t.mentions.append(m)
            t.reposts += m.reposts
            t.likes += m.likes
            s = t.by_source.setdefault(m.source, SourceTally())
            s.reposts += m.reposts
            s.likes += m.likes
            s.posts += 1
            s.points += c.points
        for source, s in t.by_source.items():
            s.score = weight(source, weights) * s.points
        t.attention = t.score = sum(s.score for s in t.by_source.values())
    if normalisation == "rank":
        normalise_by_rank(out.values(), weights)
    elif normalisation != "none":
        raise ValueError(f"unknown normalisation {normalisation!r}; use none or rank")
    return out


def normalise_by_rank(tallies: Iterable[Tally], weights: Mapping[str, float] | None = None
                      ) -> None:
    """Each source's points -> their percentile among the papers it mentioned (the share
    of those papers with at most as many points, x100), then x the source's weight."""
    items = list(tallies)
    per_source: dict[str, list[float]] = {}
    for t in items:
        for source, s in t.by_source.items():
            if s.points > 0:
                per_source.setdefault(source, []).append(s.points)
    for ordered in per_source.values():
        ordered.sort()
    for t in items:
        for source, s in t.by_source.items():
            values = per_source.get(source, [])
            share = bisect.bisect_right(values, s.points) / len(values) if s.points > 0 else 0.0
            s.score = weight(source, weights) * 100.0 * share
        t.score = sum(s.score for s in t.by_source.values())


def order_key(t: Tally) -> tuple[float, str]:
    return (-t.score, t.arxiv_id)


def hot(tallies: Mapping[str, Tally] | Iterable[Tally], min_score: int = 50) -> list[Tally]:
    """The tallies that make the digest (attention >= `min_score`), best first (score
    desc, then arXiv id)."""
    items = tallies.values() if isinstance(tallies, Mapping) else tallies
    return sorted((t for t in items if round(t.attention) >= min_score), key=order_key)


def shown_mentions(t: Tally, min_post_attention: int = 25) -> tuple[Mention, ...]:
    """Posts shown under a paper: own attention >= the threshold, the top one always;
    most attention first (ties: earlier post, then url). Only posts that count."""
    ordered = sorted(
        t.mentions,
        key=lambda m: (-m.attention, m.posted_at.timestamp() if m.posted_at else 0.0, m.url),
    )
    return tuple(m for i, m in enumerate(ordered) if i == 0 or m.attention >= min_post_attention)


def source_counts(t: Tally) -> tuple[SourceCount, ...]:
    """The per-source breakdown of a tally, by source key."""
    return tuple(
        SourceCount(source, s.reposts, s.likes, s.posts,
                    None if s.score == s.reposts + s.likes else round(s.score, 2))
        for source, s in sorted(t.by_source.items())
    )


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
        out.append(
            RankedPaper(
                rank=rank,
                paper=paper,
                score=t.int_score,
                reposts=t.reposts,
                likes=t.likes,
                mentions=shown_mentions(t, min_post_attention),
                by_source=source_counts(t),
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
    rules: FairRules = PLAIN,
    normalisation: str = "none",
) -> tuple[RankedPaper, ...]:
    """The whole ranking in one call: tally -> threshold -> order -> RankedPaper."""
    tallies = tally(mentions, listed=papers if restrict_to_papers else None, weights=weights,
                    rules=rules, normalisation=normalisation)
    return ranked_papers(
        hot(tallies, min_score), papers, min_post_attention=min_post_attention
    )
