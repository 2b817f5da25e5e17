"""Small builders of model values for tests."""

from __future__ import annotations

import datetime as dt

from bot.models import Digest, Mention, Paper, RankedPaper, SourceCount

COUNTED = dt.datetime(2021, 8, 7, 17, 48, 26, tzinfo=dt.UTC)


def paper(n: int, categories: tuple[str, ...] = ("cs.LG",), **kw: object) -> Paper:
    fields: dict[str, object] = {
        "arxiv_id": f"2108.{n:05d}",
        "title": f"Paper number {n}",
        "authors": (f"Author {n}", "Ada Lovelace"),
        "categories": categories,
        "abstract": f"We study problem {n}. " * 5,
    }
    fields.update(kw)
    return Paper(**fields)  # type: ignore[arg-type]


def ranked(rank: int, p: Paper, reposts: int, likes: int) -> RankedPaper:
    m = Mention(
        source="x",
        url=f"https://twitter.com/someone/status/{1000 + rank}",
        arxiv_ids=(p.arxiv_id,),
        author_name="Some One",
        author_handle="someone",
        posted_at=COUNTED - dt.timedelta(hours=rank),
        text=f"Look at {p.title}",
        language="en",
        reposts=reposts,
        likes=likes,
    )
    return RankedPaper(rank=rank, paper=p, score=reposts + likes, reposts=reposts, likes=likes,
                       mentions=(m,), by_source=(SourceCount("x", reposts, likes),))


def digest(date: dt.date = dt.date(2021, 8, 6), specs: tuple[tuple[str, ...], ...] | None = None,
           ) -> Digest:
    """A digest whose paper i has categories specs[i], scores descending."""
    specs = specs or (("cs.CV", "cs.LG"), ("cs.LG", "econ.GN"), ("cs.CL",), ("math.NA", "cs.NA"),
                      ("stat.ML", "cs.LG"))
    papers = tuple(
        ranked(i + 1, paper(i + 1, cats), 500 - 50 * i, 100 - 10 * i)
        for i, cats in enumerate(specs)
    )
    return Digest(date=date, papers=papers, counted_at=COUNTED, sources=("x",))
