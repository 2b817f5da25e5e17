"""The arXiv listing of one announcement day: which papers were announced on day D.

Dates: the digest of D holds the papers of the listing dated D (the RSS `pubDate`,
the date arxiv.org/list/.../new shows). That listing is announced at 20:00 US Eastern
on the evening before (Sun-Thu evenings, so D is Mon-Fri).

Where it comes from:
- **Today's** listing (the day the RSS feed currently shows) from the RSS feed, with
  feedparser; items of type `new` and `cross` are kept, `replace`/`replace-cross` not.
- **Past days** from the API, searching the day's submission window
  (`submittedDate`: the v1 submission time, 14:00 ET cut-offs) in the listing's
  categories, sorted and paged 2,000 at a time. Why not OAI-PMH: its datestamp is the
  last modification, so every paper revised since (most hot ones) has moved to a later
  day, and the records of one day mix new papers with replacements. The submission
  window is exact for ordinary weeks; around arXiv holidays (no announcement that day)
  the window is the regular one, so a post-holiday listing misses the holiday's papers.
- When the API search fails, from **OAI-PMH** (`bot.arxiv.oai`) when `oai_url` is given:
  the records stamped D whose v1 falls in the window (papers revised since are missing).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import re
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import feedparser

from bot.arxiv.client import ArxivApi, clean_text, strip_version
from bot.arxiv.pacing import ArxivPacer, ArxivUnavailable
from bot.arxiv.taxonomy import taxonomy
from bot.models import Paper

EASTERN = ZoneInfo("America/New_York")
ANNOUNCE_TIME = dt.time(20, 0)
CUTOFF_TIME = dt.time(14, 0)
KEEP_TYPES = frozenset({"new", "cross"})
_RSS_ID = re.compile(r"arxiv\.org/abs/([^\s?#]+)")
_ABSTRACT = re.compile(r"Abstract:\s*(.*)\Z", re.S)


class NoAnnouncement(ValueError):
    """arXiv announces nothing for that date (weekends)."""


@dataclass(frozen=True, slots=True)
class Listing:
    date: dt.date
    papers: dict[str, Paper]
    via: str  # "rss", "api" or "oai"
    requests: int = 0


def check_announcement_day(date: dt.date) -> None:
    if date.weekday() >= 5:
        raise NoAnnouncement(
            f"arXiv announces nothing on {date:%A}s ({date.isoformat()}); "
            "pick a weekday, for example "
            f"{(date - dt.timedelta(days=date.weekday() - 4)).isoformat()}"
        )


def announced_at(date: dt.date) -> dt.datetime:
    """When the listing dated `date` went public: 20:00 US Eastern the evening before."""
    return dt.datetime.combine(date - dt.timedelta(days=1), ANNOUNCE_TIME, EASTERN)


def feed_date(now: dt.datetime) -> dt.date:
    """The listing the RSS feed shows at `now`: the last weekday announced by then
    (barring holidays, when the feed is empty)."""
    day = now.astimezone(EASTERN).date() + dt.timedelta(days=1)
    while day.weekday() >= 5 or announced_at(day) > now:
        day -= dt.timedelta(days=1)
    return day


def _previous_weekday(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def submission_window(date: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Submissions announced in the listing of `date`: from the cut-off (14:00 ET) of
    the weekday before the last one, to the cut-off of the last weekday before `date`."""
    check_announcement_day(date)
    end_day = _previous_weekday(date)
    start_day = _previous_weekday(end_day)
    return (
        dt.datetime.combine(start_day, CUTOFF_TIME, EASTERN),
        dt.datetime.combine(end_day, CUTOFF_TIME, EASTERN),
    )


def listing_categories(listing: Iterable[str]) -> frozenset[str]:
    """Every category a listing spec such as ("cs", "stat.ML") covers."""
    return taxonomy().expand_all(listing)


def in_listing(paper: Paper, categories: frozenset[str]) -> bool:
    return any(c in categories for c in paper.categories)


def rss_url(base: str, listing: Iterable[str]) -> str:
    return base.rstrip("/") + "/" + "+".join(listing)


def parse_rss(text: str) -> tuple[dt.date | None, dict[str, Paper]]:
    """The feed's listing date and its `new` and `cross` papers (by id, feed order)."""
    feed = feedparser.parse(text)
    raw_date = feed.feed.get("published") or feed.feed.get("updated")
    date = email.utils.parsedate_to_datetime(raw_date).date() if raw_date else None
    papers: dict[str, Paper] = {}
    tax = taxonomy()
    for e in feed.entries:
        kind = str(e.get("arxiv_announce_type", "new")).strip().lower()
        if kind not in KEEP_TYPES:
            continue
        m = _RSS_ID.search(str(e.get("link", "")))
        if m is None:
            continue
        arxiv_id = strip_version(m[1])
        description = str(e.get("summary", ""))
        am = _ABSTRACT.search(description)
        # dc:creator is ONE comma-separated string
        creators = str(e.get("author", ""))
        authors = tuple(a.strip() for a in re.split(r",\s*|\s+and\s+", creators) if a.strip())
        cats = tuple(dict.fromkeys(tax.normalise(str(t.get("term")))
                                   for t in e.get("tags", []) if t.get("term")))
        papers[arxiv_id] = Paper(
            arxiv_id=arxiv_id,
            title=clean_text(str(e.get("title", ""))),
            authors=authors,
            categories=cats,
            abstract=clean_text(am[1] if am else description),
        )
    return date, papers


def search_query(categories: Iterable[str], start: dt.datetime, end: dt.datetime) -> str:
    """`(cat:a OR cat:b ...) AND submittedDate:[A TO B]`, times in GMT, end exclusive."""
    fmt = "%Y%m%d%H%M"
    a = start.astimezone(dt.UTC).strftime(fmt)
    b = (end.astimezone(dt.UTC) - dt.timedelta(minutes=1)).strftime(fmt)
    cats = " OR ".join(f"cat:{c}" for c in sorted(categories))
    return f"({cats}) AND submittedDate:[{a} TO {b}]"


async def fetch_rss(pacer: ArxivPacer, base: str, listing: Iterable[str]) -> str:
    return await pacer.fetch("GET", rss_url(base, listing), what="the arXiv RSS feed")


async def fetch_listing(
    date: dt.date,
    *,
    pacer: ArxivPacer,
    api: ArxivApi,
    rss_base: str,
    listing: tuple[str, ...] = ("cs", "stat.ML"),
    now: dt.datetime | None = None,
    oai_url: str | None = None,
) -> Listing:
    """The papers announced on `date` in `listing` (new submissions and cross-lists)."""
    check_announcement_day(date)
    now = now or dt.datetime.now(dt.UTC)
    categories = listing_categories(listing)
    before = pacer.requests
    if date == feed_date(now):  # the feed shows this day
        try:
            body = await fetch_rss(pacer, rss_base, listing)
        except ArxivUnavailable:
            body = ""  # the API search below still finds the day
        shown, papers = await asyncio.to_thread(parse_rss, body)  # ~1 s for 2,000 items
        if shown == date:
            kept = {i: p for i, p in papers.items() if in_listing(p, categories) or
                    not p.categories}
            return Listing(date, kept, "rss", pacer.requests - before)
    start, end = submission_window(date)
    try:
        found = await api.search(search_query(categories, start, end))
    except ArxivUnavailable as exc:
        if not oai_url:
            raise
        from bot.arxiv.oai import oai_listing

        try:
            papers = await oai_listing(date, pacer=pacer, oai_url=oai_url, listing=listing)
        except ArxivUnavailable:
            raise ArxivUnavailable(f"{exc} (and the OAI-PMH fallback failed too)") from None
        return Listing(date, papers, "oai", pacer.requests - before)
    papers = {p.arxiv_id: p for p in found if in_listing(p, categories)}
    return Listing(date, papers, "api", pacer.requests - before)
