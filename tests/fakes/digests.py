"""Synthetic digests for publisher tests: `make_digest(date, n)` has n ranked papers
whose categories cycle through cs.LG, cs.CV, stat.ML and cs.CL; `store_sample(store)`
imports the bundled 2021-08-06 post into a store."""

from __future__ import annotations

import datetime as dt

from bot.models import Digest, Mention, Paper, RankedPaper
from bot.store import Store

CATEGORIES = (("cs.LG", "stat.ML"), ("cs.CV",), ("stat.ML", "cs.LG"), ("cs.CL",))


def make_digest(date: dt.date, n: int, *, tag: str = "") -> Digest:
    papers = []
    for i in range(1, n + 1):
        aid = f"{date:%y%m}.{i:05d}"
        paper = Paper(
            arxiv_id=aid,
            title=f"Paper {i} of {date}{tag}",
            authors=(f"Author {i}", "Ada Lovelace"),
            categories=CATEGORIES[(i - 1) % len(CATEGORIES)],
            abstract=f"We study problem {i}. " * 5,
        )
        score = 1000 - 10 * i
        mention = Mention(source="x", url=f"https://x.com/u/status/{date:%Y%m%d}{i:04d}",
                          arxiv_ids=(aid,), author_name="U", author_handle="u",
                          reposts=score // 2, likes=score - score // 2)
        papers.append(RankedPaper(rank=i, paper=paper, score=score, reposts=score // 2,
                                  likes=score - score // 2, mentions=(mention,)))
    return Digest(date=date, papers=tuple(papers),
                  counted_at=dt.datetime.combine(date + dt.timedelta(days=1), dt.time(8),
                                                 tzinfo=dt.UTC),
                  sources=("x",))


async def store_sample(store: Store) -> Digest:
    """Import the bundled 2021-08-06 post into `store`, as `hotpapers import` would (a
    fresh store has no digest: the bundled sample is never written into one)."""
    from bot.archive.importer import import_paths
    from tests.paths import SAMPLE_POST

    report = await import_paths(store, [SAMPLE_POST])
    assert report.ok, report.errors
    digest = await store.get_digest(dt.date(2021, 8, 6))
    assert digest is not None
    return digest
