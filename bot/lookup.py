"""What a user asks to see beyond one stored day: the digest of a window (computed from
the stored days) and the explanation of one paper's score. Raises `UsageError` (one
line, saying what to ask for instead) when there is nothing to show."""

from __future__ import annotations

import datetime as dt

from bot.arxiv.ids import normalize_id
from bot.dates import parse_window
from bot.errors import UsageError
from bot.models import Digest, Explanation, Window
from bot.settings import Settings
from bot.store import Store
from bot.store.ranking_queries import counted_posts, digests_between, listing_dates
from bot.windows import window_days, window_digest


async def resolve_window(store: Store, word: str) -> Window:
    """`week`/`month` (of the latest stored digest), `2021-W31`, `2021-08`, `A..B`."""
    return parse_window(word, await store.latest_date())


async def window_for(store: Store, settings: Settings, window: Window, *,
                     ask: str = "/hot") -> tuple[Digest, tuple[str, ...]]:
    """The digest of `window` from its stored days, and notes (which days it holds,
    which weekdays have no stored digest)."""
    today = dt.datetime.now(dt.UTC).date()
    if window.start > today:
        raise UsageError(f"{window.label} ({window.start} to {window.end}) has not started; "
                         f"ask for a past one, e.g. {ask} 2021-W31")
    days = await digests_between(store, window.start, window.end)
    if not days:
        raise UsageError(f"No digest is stored for any day of {window.label} "
                         f"({window.start} to {window.end}); try {ask} week or {ask} month")
    digest = window_digest(days, window, top=settings.window_top, min_score=settings.min_score)
    stored = window_days(digest)
    notes = [f"{len(stored)} stored day{'' if len(stored) == 1 else 's'}, "
             f"{stored[0]} to {stored[-1]}; a paper listed on several days counts once, "
             "with its best day"]
    missing = [d for d in _weekdays(window.start, min(window.end, today)) if d not in stored]
    if missing:
        shown = ", ".join(str(d) for d in missing[:5]) + (" …" if len(missing) > 5 else "")
        notes.append(f"no digest stored for {shown} (no announcement, or not built)")
    return digest, tuple(notes)


def _weekdays(start: dt.date, end: dt.date) -> list[dt.date]:
    n = (end - start).days + 1
    days = (start + dt.timedelta(days=i) for i in range(max(0, n)))
    return [d for d in days if d.weekday() < 5]


async def explain(store: Store, paper_id: str, date: dt.date | None = None) -> Explanation:
    """Why `paper_id` ranks where it does on `date` (default: the latest day it was
    listed): the paper as listed and every post counted for it, or not."""
    arxiv_id = normalize_id(paper_id.strip())
    if arxiv_id is None:
        raise UsageError(f"'{paper_id}' is not an arXiv id; type one like 2108.02774")
    dates = await listing_dates(store, arxiv_id)
    if date is None:
        if not dates:
            raise UsageError(f"{arxiv_id} is not listed in any stored digest; "
                             "`hotpapers digest DATE` builds a missing day")
        date = dates[-1]
    digest = await store.get_digest(date)
    if digest is None:
        raise UsageError(f"no digest stored for {date}" + _listed_on(arxiv_id, dates))
    paper = next((p for p in digest.papers if p.paper.arxiv_id == arxiv_id), None)
    if paper is None:
        raise UsageError(f"{arxiv_id} is not in the digest of {date} (its score was under "
                         f"the listing threshold, or it was not announced that day)"
                         + _listed_on(arxiv_id, dates))
    return Explanation(digest, paper, await counted_posts(store, date, arxiv_id))


def _listed_on(arxiv_id: str, dates: list[dt.date]) -> str:
    if not dates:
        return f"; {arxiv_id} is not listed on any stored day"
    return f"; it is listed on {', '.join(str(d) for d in dates[-3:])} (try --date {dates[-1]})"
