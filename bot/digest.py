"""Build the digest of one arXiv announcement day from live sources, and store it.

Flow: the day's listing (arXiv) and the mentions of every source over the day's window
are fetched concurrently (the sources only need the window, not the listing) -> ranking
-> metadata of the hot papers from the API (when the listing came from RSS) -> store.

The window: posts from the announcement (20:00 US Eastern the evening before D) for
48 hours (or until now). The blog counted about a day after D, ~46 h after the
announcement (2021-08-06 was counted 2021-08-07 17:48 UTC).

Failures: a source that fails is recorded in `Digest.failed_sources` and a note; the
digest is built from the others and stored as partial, to be built again later
(`bot.provenance`). A source that cannot cover the day (X's 7 days) is a coverage note:
it was not asked, so it did not fail. When no social source answered, nothing usable
was built: `NothingBuilt`, nothing stored. When arXiv fails the build raises
`BuildError` (one line) before anything is written, so no half-built digest is ever
stored. Either way a stored digest of the day is kept, and the next try is pushed back.
A build never replaces a better stored digest (an imported one, a complete one, one with
more sources answering) unless `replace` is set: it returns the stored one, `stored`
False, with a note saying why.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.arxiv.client import ArxivApi
from bot.arxiv.days import announced_at
from bot.arxiv.listing import Listing, fetch_listing, record_observation
from bot.arxiv.pacing import ArxivPacer
from bot.counting import META_COUNTING, META_NORMALISATION, META_WEIGHTS, fair_rules
from bot.errors import (
    ArxivUnavailable,
    BuildError,
    EmptyListing,
    NoAnnouncement,
    NothingBuilt,
    SourceOutOfReach,
    SourceUnavailable,
)
from bot.metrics import timed_build
from bot.models import COMPLETE, PARTIAL, BuildResult, Digest, Mention
from bot.provenance import (
    backoff,
    clear_failure,
    failures_before,
    kept_line,
    record_failure,
    replaces,
    summary,
)
from bot.ranking import hot, ranked_papers, tally
from bot.render.common import source_label
from bot.retry import RetryNotice
from bot.settings import Settings
from bot.signals.base import SignalSource, TimeWindow
from bot.signals.registry import make_sources
from bot.store import Store

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(hours=48)
ARXIV = "arxiv"

# progress(stage, status, count): stage is "arxiv" or a source name; status one of
# "running", "done", "failed"; count the papers (arxiv) or mentions so far.
Progress = Callable[[str, str, int], None]
# Builds the digest of one past day from the sources with history and saves it in the store.
Builder = Callable[[Store, dt.date], Awaitable[BuildResult]]


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
    async with timed_build(source.name, {SourceOutOfReach: "out_of_reach"}):
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
    replace: bool = False,
    notice: RetryNotice | None = None,
) -> BuildResult:
    """Build, rank and store the digest of announcement day `date`, unless the stored
    one is better (`bot.provenance`; `replace` stores the build anyway). When the RSS
    feed was read, what it showed is recorded (`bot.arxiv.listing.record_observation`):
    the scheduler's "did arXiv announce on D?" follows it. With `skip_empty` an empty
    listing raises `EmptyListing` instead of storing an empty digest. `notice` gets
    every retry of a request as one line (for a progress display).

    Raises `BuildError` (arXiv failed: nothing stored) and `NothingBuilt` (no social
    source answered: nothing stored); both push back the day's next try."""
    now = now or dt.datetime.now(dt.UTC)
    stored = await store.get_digest(date)
    if stored is not None and stored.is_imported and not replace:
        return BuildResult(stored, (kept_line(stored, "", usable=True),), stored=False)
    notes: list[str] = []
    if sources is None:
        found, notices = make_sources(settings, session, notice=notice)
        sources, notes = found, list(notices)
    pacer = pacer or ArxivPacer(session, min_interval=settings.arxiv_min_interval,
                                user_agent=settings.user_agent, notice=notice)
    api = ArxivApi(pacer, settings.arxiv_api_url)
    window = mention_window(date, now)

    async def listing() -> Listing:
        if progress:
            progress(ARXIV, "running", 0)
        async with timed_build(ARXIV, {NoAnnouncement: "no_announcement"}):
            result = await fetch_listing(date, pacer=pacer, api=api,
                                         rss_base=settings.arxiv_rss_url,
                                         listing=tuple(settings.listing), now=now,
                                         oai_url=settings.arxiv_oai_url)
        if progress:
            progress(ARXIV, "running", len(result.papers))
        return result

    async def arxiv_failed(exc: Exception, count: int) -> BuildError:
        if progress:
            progress(ARXIV, "failed", count)
        message = f"cannot build {date.isoformat()}: {exc}"
        await record_failure(store, settings, date, message, now)
        if stored is not None:
            message += f"; the stored digest ({summary(stored)}) is kept"
        return BuildError(message)

    listing_task = asyncio.create_task(listing())
    source_tasks = {s.name: asyncio.create_task(_collect(s, window, progress)) for s in sources}
    try:
        day = await listing_task
    except (ArxivUnavailable, NoAnnouncement) as exc:
        await _cancel(source_tasks.values())
        if isinstance(exc, NoAnnouncement):
            if progress:
                progress(ARXIV, "failed", 0)
            raise BuildError(str(exc)) from None
        raise await arxiv_failed(exc, 0) from None
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

    counted = await _gather(source_tasks, progress, notes)
    if not counted.answered:
        raise await _nothing_built(date, counted, stored, store, settings, now)

    if day.via == "oai":
        notes.append("the arXiv API failed: the listing came from OAI-PMH, which no longer "
                     "lists papers revised since that day")
    rules = fair_rules(settings)
    all_tallies = tally(counted.mentions, listed=day.papers, weights=settings.source_weights,
                        rules=rules, normalisation=settings.source_normalisation)
    tallies = hot(all_tallies, settings.min_score)
    papers = dict(day.papers)
    if day.via == "rss" and tallies:  # the feed has no primary category: ask the API
        try:
            papers.update(await api.metadata(t.arxiv_id for t in tallies))
        except ArxivUnavailable as exc:
            raise await arxiv_failed(exc, len(day.papers)) from None
    if progress:
        progress(ARXIV, "done", len(day.papers))

    partial = bool(counted.failed)
    attempts = 0
    if partial:
        attempts = 1 + (stored.attempts if stored is not None and stored.status == PARTIAL
                        else await failures_before(store, date))
    digest = Digest(
        date=date,
        papers=ranked_papers(tallies, papers, min_post_attention=settings.min_post_attention),
        counted_at=now,
        sources=tuple(counted.answered),
        failed_sources=tuple(counted.failed),
        listing=tuple(settings.listing),
        meta=tuple(sorted({
            "listed": str(len(day.papers)),
            "listing_via": day.via,
            "mentions": str(len(counted.mentions)),
            "window": f"{window.start.isoformat()}/{window.end.isoformat()}",
            META_COUNTING: rules.describe(),
            META_NORMALISATION: settings.source_normalisation,
            META_WEIGHTS: ", ".join(f"{k} x{v:g}" for k, v in
                                    sorted(settings.source_weights.items())) or "all 1",
        }.items())),
        status=PARTIAL if partial else COMPLETE,
        asked=tuple(counted.asked),
        coverage=tuple(counted.coverage),
        retry_at=now + backoff(settings, attempts) if partial else None,
        attempts=attempts,
    )
    built = (f"built {date.isoformat()} from {used_line(digest)}: {len(day.papers)} papers "
             f"listed, {len(counted.mentions)} posts, {len(digest.papers)} hot")
    if stored is not None and not replace and not replaces(digest, stored):
        await record_failure(store, settings, date, "a build fell short", now)
        return BuildResult(stored, (kept_line(stored, summary(digest), usable=True), built,
                                    *notes, *counted.coverage), stored=False)
    await store.save_digest(digest, counted={t.arxiv_id: t.posts for t in tallies})
    await clear_failure(store, date)
    if partial and digest.retry_at is not None:
        built += (f"; partial ({', '.join(counted.failed)} failed): built again after "
                  f"{digest.retry_at:%Y-%m-%d %H:%M} UTC")
    return BuildResult(digest, (built, *notes, *counted.coverage))


@dataclass
class _Counted:
    """What the social sources gave: the mentions, who answered, failed, was out of reach."""

    mentions: list[Mention] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)  # answered or failed, in asking order
    answered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # one line each
    coverage: list[str] = field(default_factory=list)  # one line each


async def _gather(tasks: dict[str, asyncio.Task[list[Mention]]], progress: Progress | None,
                  notes: list[str]) -> _Counted:
    counted = _Counted()
    for name, task in tasks.items():
        try:
            counted.mentions.extend(await task)
            counted.answered.append(name)
            counted.asked.append(name)
        except SourceOutOfReach as exc:  # not asked: a coverage note, never a failure
            counted.coverage.append(str(exc))
            if progress:
                progress(name, "out of reach", 0)
        except Exception as exc:  # a failed source: build from the others
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if not isinstance(exc, SourceUnavailable):
                log.warning("source %s failed: %s", name, message)
            counted.failed.append(name)
            counted.asked.append(name)
            counted.failures.append(message)
            notes.append(f"{name} failed: {message}")
            if progress:
                progress(name, "failed", 0)
    return counted


async def _nothing_built(date: dt.date, counted: _Counted, stored: Digest | None, store: Store,
                         settings: Settings, now: dt.datetime) -> NothingBuilt:
    """No source answered: nothing is stored, the day's next try is pushed back (unless
    no source could cover the day at all: trying again would not help)."""
    day = date.isoformat()
    if counted.failed:
        this_build = ", ".join(f"{n} failed" for n in counted.failed)
        detail = f"{this_build} ({'; '.join(counted.failures)})"
        retry_at = await record_failure(store, settings, date, detail, now)
        if stored is not None:
            return NothingBuilt(kept_line(stored, this_build, usable=False))
        return NothingBuilt(f"{day}: nothing stored: {detail}; next try after "
                            f"{retry_at:%Y-%m-%d %H:%M} UTC")
    reach = "; ".join(counted.coverage) or "no social source was asked"
    if stored is not None:
        return NothingBuilt(kept_line(stored, reach, usable=False))
    return NothingBuilt(f"{day}: nothing stored: {reach}; count it with the sources that "
                        "keep history: --sources hn,hf")


def used_line(digest: Digest) -> str:
    """`arXiv, Hacker News, Hugging Face`: where a built digest's data came from."""
    return ", ".join(["arXiv", *(source_label(s) for s in digest.sources)])


async def _cancel(tasks: Any) -> None:
    tasks = list(tasks)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
