"""`hotpapers run` (the worker: the daily schedule plus every configured chat platform's
commands), `status`, and the subscription commands `subscribe`, `unsubscribe`,
`subscriptions`."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from collections.abc import AsyncIterator
from typing import Annotated

import aiohttp
import typer
from rich.table import Table
from rich.text import Text

from adapters.registry import ChatAdapters, interactive_adapters
from bot.arxiv.pacing import ArxivPacer
from bot.chat import InteractiveAdapter, parse_target
from bot.cli.app import app, fail, open_core, out, run, setup_logging
from bot.commands import describe
from bot.core import Core
from bot.models import Command, Digest, Subscription
from bot.publish import Mode, PublishReport, publish
from bot.schedule import Build, Observe, Publish, Scheduler
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger("hotpapers.run")


# --- the worker -----------------------------------------------------------------------
def live_build(settings: Settings, store: Store, session: aiohttp.ClientSession,
               pacer: ArxivPacer | None = None) -> Build:
    """The scheduler's build: `bot.digest.build_digest`, None on a day arXiv announced
    nothing. The feed decides: a day it was observed showing (`live_observe`) is
    announced when it had items and not when it was empty; a day never observed falls
    back to the calendar (no Sat/Sun listing) and, on weekdays, to the listing itself
    (empty: nothing announced)."""
    from bot.arxiv.days import check_announcement_day
    from bot.arxiv.listing import announced
    from bot.digest import build_digest
    from bot.errors import EmptyListing, NoAnnouncement

    async def build(date: dt.date) -> Digest | None:
        seen = await announced(store, date)
        if seen is False:
            log.info("arXiv's feed showed %s empty: no announcement, nothing to post", date)
            return None
        if seen is None:
            try:
                check_announcement_day(date)
            except NoAnnouncement:
                return None
        try:
            result = await build_digest(date, settings=settings, session=session, store=store,
                                        pacer=pacer, skip_empty=True)
        except EmptyListing as exc:
            log.info("%s", exc)
            return None
        return result.digest

    return build


def live_observe(settings: Settings, store: Store, session: aiohttp.ClientSession,
                 pacer: ArxivPacer | None = None) -> Observe:
    """The scheduler's observe: read arXiv's RSS feed (one paced request) and record the
    day it shows and how many new + cross items it lists (0: no announcement)."""
    from bot.arxiv.listing import observe_feed, record_observation

    pacer = pacer or ArxivPacer(session, min_interval=settings.arxiv_min_interval,
                                user_agent=settings.user_agent)

    async def observe() -> None:
        seen = await observe_feed(pacer, settings.arxiv_rss_url, tuple(settings.listing))
        if seen is not None:
            await record_observation(store, seen)
            log.info("arXiv's feed shows %s: %d new + cross papers", seen.date, seen.items)

    return observe


def daily_publisher(store: Store, settings: Settings, pool: ChatAdapters) -> Publish:
    """The scheduler's publish: each subscribed channel's thread "1", as planned."""

    async def publish_all(digest: Digest, subs: list[Subscription]) -> PublishReport:
        adapters = await pool.for_platforms({s.platform for s in subs})
        return await publish(store, adapters, digest, subs, mode=Mode.DAILY,
                             lease_ttl=settings.lease_seconds)

    return publish_all


@contextlib.asynccontextmanager
async def daily_scheduler(core: Core) -> AsyncIterator[Scheduler]:
    """The scheduler of `hotpapers run`, with its live build, feed observation and
    chat adapters (also `hotpapers post --subscribed`: the same code path)."""
    settings, store = core.settings, core.store
    pool = ChatAdapters(settings)
    async with aiohttp.ClientSession(headers={"User-Agent": settings.user_agent}) as session:
        pacer = ArxivPacer(session, min_interval=settings.arxiv_min_interval,
                           user_agent=settings.user_agent)  # one pace for both
        try:
            try:
                scheduler = Scheduler(store, settings,
                                      build=live_build(settings, store, session, pacer),
                                      publish=daily_publisher(store, settings, pool),
                                      observe=live_observe(settings, store, session, pacer))
            except ValueError as exc:
                fail(str(exc))
            yield scheduler
        finally:
            await pool.close()


async def _worker(once: bool) -> None:
    async with open_core(with_builder=True) as core, daily_scheduler(core) as scheduler:
        # /hot builds missing past days (with_builder)
        if once:
            outcomes = await scheduler.run_due()
            for o in outcomes:
                out.print(f"{o.digest_date}: {o.status} {o.detail}", markup=False)
            if scheduler.waiting_for:
                out.print(scheduler.waiting_for, markup=False)
            elif not outcomes:
                nxt = await scheduler.next_run()
                out.print(f"nothing due; next run {nxt:%Y-%m-%d %H:%M %Z}")
            return
        await _serve(core, scheduler)


async def _serve(core: Core, scheduler: Scheduler) -> None:
    interactive: list[InteractiveAdapter] = interactive_adapters(core.settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    log.info("worker started: next post %s; commands from %s",
             await scheduler.next_run(), ", ".join(a.platform for a in interactive) or "nowhere")
    tasks = [asyncio.create_task(scheduler.run_forever(), name="schedule")]
    tasks += [asyncio.create_task(a.start(core), name=a.platform) for a in interactive]
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopper and task.exception() is not None:
                exc = task.exception()
                log.error("%s stopped: %s", task.get_name(), exc)
    finally:
        for task in [*tasks, stopper]:
            task.cancel()
        for adapter in interactive:
            with contextlib.suppress(Exception):
                await adapter.close()
        await asyncio.gather(*tasks, stopper, return_exceptions=True)


@app.command("run")
def run_command(
    once: Annotated[bool, typer.Option("--once", help="Post what is due now, then exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose/--quiet", help="Log every message.")
                       ] = True,
) -> None:
    """The worker: post the daily digest to every subscribed channel at the configured
    time, and answer /hot commands on every configured platform."""
    setup_logging(verbose)
    run(_worker(once))


# --- status ---------------------------------------------------------------------------
@app.command("status")
def status_command() -> None:
    """Next run, the last post per channel and what failed."""

    async def go() -> None:
        async with open_core(load_sample=False) as core:
            await show_status(core)

    run(go())


async def show_status(core: Core) -> None:
    store = core.store

    async def no_build(_date: dt.date) -> Digest | None:
        return None

    async def no_publish(digest: Digest, _subs: list[Subscription]) -> PublishReport:
        return PublishReport(digest.date.isoformat(), ())

    try:
        scheduler = Scheduler(store, core.settings, build=no_build, publish=no_publish)
    except ValueError as exc:
        fail(str(exc))
    nxt, last = await scheduler.next_run(), await scheduler.last_day()
    due = " (due now)" if nxt <= scheduler.clock.now() else ""
    out.print(f"[bold]next daily post[/]: {nxt:%Y-%m-%d %H:%M %Z}{due} "
              f"(digest of {scheduler.digest_date(nxt.date())}; catch-up "
              f"{'on' if core.settings.catch_up else 'off'})")
    out.print(f"[bold]last run day handled[/]: {last or 'none yet'}")
    from bot.arxiv.listing import last_observation

    feed = await last_observation(store)
    if feed is not None:
        seen, at = feed
        what = f"{seen.items} new + cross papers" if seen.items else "empty: no announcement"
        out.print(f"[bold]last arXiv feed seen[/]: {seen.date} ({what}) at {at}")
    else:
        out.print("[bold]last arXiv feed seen[/]: never (the worker reads it hourly)")
    for o in (await scheduler.history())[-5:]:
        out.print(f"  {o.at}  {o.digest_date}: {o.status} {o.detail}")
    for iso, targets in (await scheduler.unfinished()).items():
        out.print(f"[yellow]unfinished[/] {iso}: {', '.join(targets)} (retried automatically)")
    subs = {s.target: s for s in await store.list_subscriptions()}
    last_by: dict[str, tuple[str, dict[str, int], str]] = {}
    for d in await store.deliveries():
        target = f"{d.platform}:{d.channel}"
        date, counts, when = last_by.get(target, (d.digest_key, {}, ""))
        if d.digest_key > date:
            date, counts, when = d.digest_key, {}, ""
        if d.digest_key == date:
            counts[d.status] = counts.get(d.status, 0) + 1
            stamp = d.updated_at.strftime("%Y-%m-%d %H:%M") if d.updated_at else ""
            when = max(when, stamp)
        last_by[target] = (date, counts, when)
    table = Table(title="Channels", title_justify="left")
    for col in ("channel", "gets", "last digest", "messages", "at (UTC)", "state"):
        table.add_column(col)
    for target in sorted(set(subs) | set(last_by)):
        sub = subs.get(target)
        date_, counts, when = last_by.get(target, (None, {}, ""))
        msgs = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "-"
        if sub is None:
            state = "one-off (not subscribed)"
        elif sub.paused:
            state = "[red]PAUSED[/]"
        elif counts.get("pending") or counts.get("failed") or counts.get("in_doubt"):
            state = "[yellow]unfinished[/]"
        else:
            state = "[green]ok[/]"
        gets = describe(sub).split(" (")[0] if sub else "-"
        table.add_row(target, gets, str(date_ or "-"), msgs, when or "-", state)
    if table.row_count:
        out.print(table)
        for sub in subs.values():
            if sub.paused:
                out.print(Text.assemble(("paused", "red"), f" {sub.target}: {sub.pause_reason}"))
                out.print(f"  resume with: hotpapers subscribe {sub.target}", markup=False)
    else:
        out.print("No channel subscribed yet; type: hotpapers subscribe slack:C0123456 cs.LG")


# --- subscriptions --------------------------------------------------------------------
def _words(categories: list[str], keyword: list[str], exclude_keyword: list[str],
           author: list[str], exclude_author: list[str], min_score: int | None,
           max_papers: int | None) -> tuple[str, ...]:
    """CLI options as the chat grammar's words (`keyword:x`, `min:100` ...)."""
    words = list(categories)
    words += [f"keyword:{k}" for k in keyword] + [f"-keyword:{k}" for k in exclude_keyword]
    words += [f"author:{a}" for a in author] + [f"-author:{a}" for a in exclude_author]
    if min_score is not None:
        words.append(f"min:{min_score}")
    if max_papers is not None:
        words.append(f"max:{max_papers}")
    return tuple(words)


async def _answer(target: str, name: str, words: tuple[str, ...]) -> None:
    try:
        platform, channel = parse_target(target)
    except ValueError as exc:
        fail(str(exc))
    async with open_core(load_sample=False) as core:
        answer = await core.answer(Command(name=name, args=words, platform=platform,
                                           channel=channel, user="cli"))
    if answer.is_error:
        fail(answer.text.replace("/hot subscribe", f"hotpapers subscribe {target}")
             .replace("/hot unsubscribe", f"hotpapers unsubscribe {target}"))
    out.print(answer.text.replace("This channel", target), markup=False)


Opt = typer.Option


@app.command("subscribe")
def subscribe_command(
    target: Annotated[str, typer.Argument(help="platform:CHANNEL, e.g. slack:C0123456")],
    categories: Annotated[list[str] | None, typer.Argument(
        help="arXiv categories or archives (cs.LG stat.ML cs); none: the whole digest")] = None,
    keyword: Annotated[list[str] | None, Opt("--keyword", help="Only papers mentioning it")] = None,
    exclude_keyword: Annotated[list[str] | None, Opt("--exclude-keyword")] = None,
    author: Annotated[list[str] | None, Opt("--author", help="Only papers by this author")] = None,
    exclude_author: Annotated[list[str] | None, Opt("--exclude-author")] = None,
    min_score: Annotated[int | None, Opt("--min-score", min=0)] = None,
    max_papers: Annotated[int | None, Opt("--max-papers", min=0, help="0: no limit")] = None,
) -> None:
    """Subscribe a channel to the daily digest (adds categories and filters; resumes a
    paused channel)."""
    words = _words(categories or [], keyword or [], exclude_keyword or [], author or [],
                   exclude_author or [], min_score, max_papers)
    run(_answer(target, "subscribe", words))


@app.command("unsubscribe")
def unsubscribe_command(
    target: Annotated[str, typer.Argument(help="platform:CHANNEL")],
    categories: Annotated[list[str] | None, typer.Argument(
        help="stop only these categories; none: stop the daily digest there")] = None,
) -> None:
    """Stop some categories, or the whole daily digest, in a channel."""
    run(_answer(target, "unsubscribe", tuple(categories or ())))


@app.command("subscriptions")
def subscriptions_command(
    platform: Annotated[str | None, Opt("--platform", help="only this platform")] = None,
) -> None:
    """Every subscribed channel and what it gets."""

    async def go() -> list[Subscription]:
        async with open_core(load_sample=False) as core:
            return await core.store.list_subscriptions(platform)

    subs = run(go())
    if not subs:
        out.print("No channel subscribed yet; type: hotpapers subscribe slack:C0123456 cs.LG")
        return
    table = Table(title="Subscriptions", title_justify="left")
    for col in ("channel", "workspace", "gets", "since"):
        table.add_column(col)
    for s in subs:
        since = s.created_at.strftime("%Y-%m-%d") if s.created_at else "-"
        table.add_row(s.target, s.workspace or "-", describe(s), since)
    out.print(table)
