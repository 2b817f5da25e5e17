"""Windows: the Hot Papers of a week, a month or any span of days, from the days' stored
digests. Pure functions, no I/O.

A window ranks the papers listed on its days by score (top `top`, 30 by default), with
the day's thresholds. A paper listed on several days of the window (a cross-list
announced again, a paper posted about on two announcement days) counts ONCE, with its
best day: its highest score, the earlier day on a tie. Summing the days would count the
same posts twice, since each day counts the posts of 48 hours and consecutive days
overlap; and imported days know only each paper's totals, not its posts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

from bot.models import Digest, RankedPaper, Window

DEFAULT_TOP = 30


def best_days(digests: Iterable[Digest]) -> dict[str, RankedPaper]:
    """arXiv id -> the paper as listed on its best day (highest score; ties: the earlier
    day), with `listed_on` set to that day."""
    best: dict[str, RankedPaper] = {}
    for d in sorted(digests, key=lambda d: d.date):
        for rp in d.papers:
            old = best.get(rp.paper.arxiv_id)
            if old is None or rp.score > old.score:
                best[rp.paper.arxiv_id] = replace(rp, listed_on=d.date)
    return best


def window_digest(
    digests: Iterable[Digest], window: Window, *, top: int = DEFAULT_TOP, min_score: int = 50
) -> Digest:
    """The window's digest from the digests of its days (days outside it are ignored):
    each paper once with its best day, score >= `min_score`, best first (score desc,
    then arXiv id), the first `top`, numbered from 1."""
    days = sorted((d for d in digests if d.date in window), key=lambda d: d.date)
    ranked = sorted((rp for rp in best_days(days).values() if rp.score >= min_score),
                    key=lambda rp: (-rp.score, rp.paper.arxiv_id))[:top]
    sources = tuple(dict.fromkeys(s for d in days for s in d.sources))
    failed = tuple(dict.fromkeys(s for d in days for s in d.failed_sources))
    counted_at = max((d.counted_at for d in days), default=dt.datetime.combine(
        window.end, dt.time(0), tzinfo=dt.UTC))
    out = Digest(
        date=window.start,
        papers=(),
        counted_at=counted_at,
        sources=sources,
        failed_sources=failed,
        listing=days[-1].listing if days else ("cs", "stat.ML"),
        meta=(("days", ",".join(d.date.isoformat() for d in days)),),
        window=window,
    )
    return out.with_papers(tuple(ranked))


def window_days(digest: Digest) -> list[dt.date]:
    """The days a window digest was computed from."""
    value = digest.meta_value("days")
    return [dt.date.fromisoformat(x) for x in value.split(",") if x]
