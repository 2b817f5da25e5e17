"""Build the digest of one arXiv announcement day from live sources, and store it.

Flow: the day's listing (arXiv) and the mentions of every source over the day's window
are fetched concurrently (the sources only need the window, not the listing) -> ranking
-> metadata of the hot papers from the API (when the listing came from RSS) -> store.

The window: posts from the announcement (20:00 US Eastern the evening before D) for
48 hours (or until now). The blog counted about a day after D, ~46 h after the
announcement (2021-08-06 was counted 2021-08-07 17:48 UTC).

Failures: a source that fails is recorded in `Digest.failed_sources` and a note; the
digest is built from the others. When arXiv fails the build raises `BuildError` (one
line) before anything is written, so no half-built digest is ever stored.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp

from bot.arxiv.client import ArxivApi
from bot.arxiv.days import announced_at
from bot.arxiv.listing import Listing, fetch_listing, record_observation
from bot.arxiv.pacing import ArxivPacer
from bot.counting import META_COUNTING, META_NORMALISATION, META_WEIGHTS, FairRules
from bot.errors import ArxivUnavailable, BuildError, EmptyListing, NoAnnouncement, SourceUnavailable
from bot.models import BuildResult, Digest, Mention
from bot.ranking import hot, ranked_papers, tally
from bot.render.common import source_label
from bot.settings import Settings
from bot.signals.base import SignalSource, TimeWindow
from bot.signals.registry import HISTORY_SOURCES, make_sources
from bot.store import Store

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(hours=48)
ARXIV = "arxiv"

# progress(stage, status, count): stage is "arxiv" or a source name; status one of
# "running", "done", "failed"; count the papers (arxiv) or mentions so far.
Progress = Callable[[str, str, int], None]
# Builds the digest of one past day from the sources with history and saves it in the store.
Builder = Callable[[Store, dt.date], Awaitable[BuildResult]]


def fair_rules(settings: Settings) -> FairRules:
    """The fair-counting rules the settings ask for (`PLAIN` with fair counting off;
    the self-post rule applies either way)."""
    if not settings.fair_counting:
        return FairRules(one_account_once=False, auto_rule=False,
                         count_self_posts=settings.count_self_posts)
    return FairRules(
        one_account_once=True,
        auto_posters=frozenset(settings.auto_posters),
        auto_rule=settings.auto_poster_rule,
        auto_min_papers=settings.auto_poster_min_papers,
        auto_max_attention=settings.auto_poster_max_attention,
        auto_factor=settings.auto_poster_factor,
        count_self_posts=settings.count_self_posts,
    )


def mention_window(date: dt.date, now: dt.datetime | None = None) -> TimeWindow:
    start = announced_at(date).astimezone(dt.UTC)
    end = start + WINDOW
    if now is not None:
        end = max(start, min(end, now))
    return TimeWindow(date=date, start=start, end=end)


async def _collect(
    source: SignalSource, window: TimeWindow, progress: Progress | None
) -> list[Mention]:
    out: list[Mention] = []
    if progress:
        progress(source.name, "running", 0)
    async for mention in source.mentions(window):
        out.append(mention)
        if progress and len(out) % 100 == 0:
            progress(source.name, "running", len(out))
    if progress:
        progress(source.name, "done", len(out))
    return out


async def build_digest(
    date: dt.date,
    *,
    settings: Settings,
    session: aiohttp.ClientSession,
    store: Store,
    sources: Sequence[SignalSource] | None = None,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    pacer: ArxivPacer | None = None,
    skip_empty: bool = False,
) -> BuildResult:
    """Build, rank and store the digest of announcement day `date`. When the RSS feed
    was read, what it showed is recorded (`bot.arxiv.listing.record_observation`): the
    scheduler's "did arXiv announce on D?" follows it. With `skip_empty` an empty
    listing raises `EmptyListing` instead of storing an empty digest."""
    now = now or dt.datetime.now(dt.UTC)
    notes: list[str] = []
    if sources is None:
        found, notices = make_sources(settings, session)
        sources, notes = found, list(notices)
    pacer = pacer or ArxivPacer(
        session, min_interval=settings.arxiv_min_interval, user_agent=settings.user_agent
    )
    api = ArxivApi(pacer, settings.arxiv_api_url)
    window = mention_window(date, now)

    async def listing() -> Listing:
        if progress:
            progress(ARXIV, "running", 0)
        result = await fetch_listing(date, pacer=pacer, api=api, rss_base=settings.arxiv_rss_url,
                                     listing=tuple(settings.listing), now=now,
                                     oai_url=settings.arxiv_oai_url)
        if progress:
            progress(ARXIV, "running", len(result.papers))
        return result

    listing_task = asyncio.create_task(listing())
    source_tasks = {s.name: asyncio.create_task(_collect(s, window, progress)) for s in sources}
    try:
        day = await listing_task
    except (ArxivUnavailable, NoAnnouncement) as exc:
        await _cancel(source_tasks.values())
        if progress:
            progress(ARXIV, "failed", 0)
        if isinstance(exc, NoAnnouncement):
            raise BuildError(str(exc)) from None
        raise BuildError(f"cannot build {date.isoformat()}: {exc}") from None
    except BaseException:
        await _cancel(source_tasks.values())
        raise
    if day.feed is not None:
        try:
            await record_observation(store, day.feed, now)
        except Exception as exc:  # a bookkeeping failure must not fail the build
            log.warning("could not record the arXiv feed of %s: %s", day.feed.date, exc)
    if skip_empty and not day.papers:
        await _cancel(source_tasks.values())
        if progress:
            progress(ARXIV, "done", 0)
        raise EmptyListing(f"arXiv announced nothing for {date.isoformat()} "
                           "(the listing is empty)")

    mentions: list[Mention] = []
    used: list[str] = []
    failed: list[str] = []
    for name, task in source_tasks.items():
        try:
            mentions.extend(await task)
            used.append(name)
        except Exception as exc:  # a failed source: build from the others
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if not isinstance(exc, SourceUnavailable):
                log.warning("source %s failed: %s", name, message)
            failed.append(name)
            notes.append(f"{name} failed: {message}")
            if progress:
                progress(name, "failed", 0)

    if day.via == "oai":
        notes.append("the arXiv API failed: the listing came from OAI-PMH, which no longer "
                     "lists papers revised since that day")
    rules = fair_rules(settings)
    all_tallies = tally(mentions, listed=day.papers, weights=settings.source_weights,
                        rules=rules, normalisation=settings.source_normalisation)
    tallies = hot(all_tallies, settings.min_score)
    papers = dict(day.papers)
    if day.via == "rss" and tallies:  # the feed has no primary category: ask the API
        try:
            papers.update(await api.metadata(t.arxiv_id for t in tallies))
        except ArxivUnavailable as exc:
            if progress:
                progress(ARXIV, "failed", len(day.papers))
            raise BuildError(f"cannot build {date.isoformat()}: {exc}") from None
    if progress:
        progress(ARXIV, "done", len(day.papers))

    digest = Digest(
        date=date,
        papers=ranked_papers(tallies, papers, min_post_attention=settings.min_post_attention),
        counted_at=now,
        sources=tuple(used),
        failed_sources=tuple(failed),
        listing=tuple(settings.listing),
        meta=tuple(sorted({
            "listed": str(len(day.papers)),
            "listing_via": day.via,
            "mentions": str(len(mentions)),
            "window": f"{window.start.isoformat()}/{window.end.isoformat()}",
            META_COUNTING: rules.describe(),
            META_NORMALISATION: settings.source_normalisation,
            META_WEIGHTS: ", ".join(f"{k} x{v:g}" for k, v in
                                    sorted(settings.source_weights.items())) or "all 1",
        }.items())),
    )
    await store.save_digest(digest, counted={t.arxiv_id: t.posts for t in tallies})
    notes.insert(0, f"built {date.isoformat()} from {used_line(digest)}: "
                    f"{len(day.papers)} papers listed, {len(mentions)} posts, "
                    f"{len(digest.papers)} hot")
    return BuildResult(digest=digest, notes=tuple(notes))


def used_line(digest: Digest) -> str:
    """`arXiv, Hacker News, Hugging Face`: where a built digest's data came from."""
    return ", ".join(["arXiv", *(source_label(s) for s in digest.sources)])


async def _cancel(tasks: Any) -> None:
    tasks = list(tasks)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def on_demand_builder(settings: Settings) -> tuple[Builder, aiohttp.ClientSession]:
    """A builder of past days from the sources with history (HN, Hugging Face, arXiv),
    and the session it uses (the caller closes it). Builds of the same date wait for
    each other; each build saves its digest in the store it is given (the core's)."""
    session = aiohttp.ClientSession()
    pacer = ArxivPacer(session, min_interval=settings.arxiv_min_interval,
                       user_agent=settings.user_agent)
    locks: dict[dt.date, asyncio.Lock] = {}

    async def build(store: Store, date: dt.date) -> BuildResult:
        async with locks.setdefault(date, asyncio.Lock()):
            stored = await store.get_digest(date)
            if stored is not None:  # built meanwhile by a concurrent request
                return BuildResult(stored, ())
            found, _ = make_sources(settings, session, HISTORY_SOURCES)
            sources = [s for s in found if s.has_history]
            result = await build_digest(date, settings=settings, session=session,
                                        store=store, sources=sources, pacer=pacer)
        note = (f"built on demand from {used_line(result.digest)} (the sources with history; "
                "X and Bluesky keep no history for past days)")
        return BuildResult(result.digest, (note, *result.notes[1:]))

    return build, session
