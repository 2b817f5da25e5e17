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
- Which days had an announcement at all: the feed decides (`observe_feed`), not the
  calendar. The feed of a day without announcement (weekends, holidays) is empty; what
  the feed showed is recorded in the store (`record_observation`, key
  `arxiv.announced.<date>` = number of new + cross items) and `announced()` answers from
  those records; only a day never observed falls back to the weekday rule
  (`check_announcement_day`).
- When the API search fails, from **OAI-PMH** (`bot.arxiv.oai`) when `oai_url` is given:
  the records stamped D whose v1 falls in the window (papers revised since are missing).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import feedparser

from bot.arxiv.client import ArxivApi, clean_text, strip_version
from bot.arxiv.days import (
    EASTERN,
    check_announcement_day,
    feed_date,
    in_listing,
    listing_categories,
    submission_window,
)
from bot.arxiv.oai import oai_listing
from bot.arxiv.pacing import ArxivPacer
from bot.arxiv.taxonomy import taxonomy
from bot.errors import ArxivUnavailable
from bot.models import Paper

KEEP_TYPES = frozenset({"new", "cross"})
_RSS_ID = re.compile(r"arxiv\.org/abs/([^\s?#]+)")
_ABSTRACT = re.compile(r"Abstract:\s*(.*)\Z", re.S)


ANNOUNCED_KEY = "arxiv.announced."  # + ISO date: new + cross items the feed showed
FEED_SEEN_KEY = "arxiv.feed_seen"  # JSON of the last observation, for `hotpapers status`


@dataclass(frozen=True, slots=True)
class FeedObservation:
    """What the RSS feed showed: the listing date and its new + cross items (0: empty,
    arXiv announced nothing for that date). `dated` is False when the date came from the
    clock because the feed carried none."""

    date: dt.date
    items: int
    dated: bool = True


@dataclass(frozen=True, slots=True)
class Listing:
    date: dt.date
    papers: dict[str, Paper]
    via: str  # "rss", "api" or "oai"
    requests: int = 0
    feed: FeedObservation | None = None  # what the feed showed, when it was read


class KeyValues(Protocol):
    async def get_value(self, key: str) -> str | None: ...

    async def set_value(self, key: str, value: str) -> None: ...


def rss_url(base: str, listing: Iterable[str]) -> str:
    return base.rstrip("/") + "/" + "+".join(listing)


def parse_rss(text: str) -> tuple[dt.date | None, dict[str, Paper]]:
    """The feed's listing date and its `new` and `cross` papers (by id, feed order)."""
    feed = feedparser.parse(text)
    raw_date = (feed.feed.get("published") or feed.feed.get("updated")
                or next((e.get("published") for e in feed.entries if e.get("published")),
                        None))
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


def clock_feed_day(now: dt.datetime) -> dt.date | None:
    """The date an undated feed shows at `now`: it switches at midnight US Eastern (its
    `pubDate` is 00:00 ET, built a few seconds later); around the announcement (20:00)
    and the switch it cannot be told, so None."""
    local = now.astimezone(EASTERN)
    return local.date() if 1 <= local.hour < 20 else None


def observation(shown: dt.date | None, papers: dict[str, Paper],
                now: dt.datetime) -> FeedObservation | None:
    if shown is not None:
        return FeedObservation(shown, len(papers))
    day = clock_feed_day(now)
    return FeedObservation(day, len(papers), dated=False) if day is not None else None


async def observe_feed(
    pacer: ArxivPacer, base: str, listing: Iterable[str] = ("cs", "stat.ML"),
    *, now: dt.datetime | None = None,
) -> FeedObservation | None:
    """Read the RSS feed now (one paced request): the day it shows and its new + cross
    items. None when the feed carries no date and the clock cannot tell it either.
    Raises ArxivUnavailable when arXiv does not answer."""
    body = await fetch_rss(pacer, base, listing)
    shown, papers = await asyncio.to_thread(parse_rss, body)
    return observation(shown, papers, now or dt.datetime.now(dt.UTC))


async def record_observation(store: KeyValues, seen: FeedObservation,
                             now: dt.datetime | None = None) -> None:
    """Store what the feed showed. A non-empty reading is never overwritten by an empty
    one (an empty answer may be spurious; the day's announcement did happen)."""
    key = ANNOUNCED_KEY + seen.date.isoformat()
    before = await store.get_value(key)
    if before is None or seen.items > int(before):
        await store.set_value(key, str(seen.items))
    at = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    await store.set_value(FEED_SEEN_KEY, json.dumps(
        {"date": seen.date.isoformat(), "items": seen.items, "at": at, "dated": seen.dated}))


async def observed_items(store: KeyValues, date: dt.date) -> int | None:
    """The new + cross items the feed showed for `date`; None if never observed."""
    value = await store.get_value(ANNOUNCED_KEY + date.isoformat())
    return int(value) if value is not None else None


async def last_observation(store: KeyValues) -> tuple[FeedObservation, str] | None:
    """The last feed observation and when it was made (ISO), for `hotpapers status`."""
    value = await store.get_value(FEED_SEEN_KEY)
    if not value:
        return None
    row = json.loads(value)
    return (FeedObservation(dt.date.fromisoformat(row["date"]), int(row["items"]),
                            bool(row.get("dated", True))), str(row.get("at", "")))


async def announced(store: KeyValues, date: dt.date) -> bool | None:
    """Did arXiv announce a listing dated `date`? True/False when the feed was observed
    showing that date (empty: no announcement); None when it never was: the caller
    falls back to the calendar (`check_announcement_day`) and to the listing itself."""
    items = await observed_items(store, date)
    return None if items is None else items > 0


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
    seen: FeedObservation | None = None
    if date == feed_date(now):  # the feed shows this day
        try:
            body = await fetch_rss(pacer, rss_base, listing)
        except ArxivUnavailable:
            body = ""  # the API search below still finds the day
        shown, papers = await asyncio.to_thread(parse_rss, body)  # ~1 s for 2,000 items
        seen = observation(shown, papers, now) if body else None
        if shown == date:
            kept = {i: p for i, p in papers.items() if in_listing(p, categories) or
                    not p.categories}
            return Listing(date, kept, "rss", pacer.requests - before, seen)
    start, end = submission_window(date)
    try:
        found = await api.search(search_query(categories, start, end))
    except ArxivUnavailable as exc:
        if not oai_url:
            raise
        try:
            papers = await oai_listing(date, pacer=pacer, oai_url=oai_url, listing=listing)
        except ArxivUnavailable:
            raise ArxivUnavailable(f"{exc} (and the OAI-PMH fallback failed too)") from None
        return Listing(date, papers, "oai", pacer.requests - before, seen)
    papers = {p.arxiv_id: p for p in found if in_listing(p, categories)}
    return Listing(date, papers, "api", pacer.requests - before, seen)
