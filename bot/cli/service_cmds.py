"""`hotpapers run` (the worker: the daily schedule plus every configured chat platform's
commands) and the subscription commands `subscribe` and `unsubscribe` (`status` and
`subscriptions` are in `status_cmds`)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import signal
from collections.abc import AsyncIterator, Callable
from typing import Annotated

import aiohttp
import typer

from adapters.registry import ChatAdapters, interactive_adapters
from bot.arxiv.pacing import ArxivPacer
from bot.chat import InteractiveAdapter, parse_target
from bot.cli.app import EMPTY_STORE, app, fail, open_core, out, run, setup_logging
from bot.core import Core
from bot.errors import ConfigurationError, UsageError
from bot.fleet import ROLES, Fleet, QueueView
from bot.jobs import JobBackend, open_backend, uses_queue
from bot.jobs.work import JobScheduler
from bot.models import Command, Digest, Subscription
from bot.platforms import Supervisor
from bot.publish import Mode, PublishReport, publish
from bot.ratelimit import set_live_workers
from bot.schedule import Build, Observe, Publish, Scheduler
from bot.settings import Settings, get_settings
from bot.store import Store

log = logging.getLogger("hotpapers.run")


# --- the worker -----------------------------------------------------------------------
def live_build(settings: Settings, store: Store, session: aiohttp.ClientSession,
               pacer: ArxivPacer | None = None,
               clock: Callable[[], dt.datetime] | None = None) -> Build:
    """The scheduler's build: `bot.digest.build_digest`, None on a day arXiv announced
    nothing. The feed decides: a day it was observed showing (`live_observe`) is
    announced when it had items and not when it was empty; a day never observed falls
    back to the calendar (no Sat/Sun listing) and, on weekdays, to the listing itself
    (empty: nothing announced). The digest returned is the day's stored one: the new
    build, or the better one kept (an imported post is never rebuilt). `clock` is the
    scheduler's "now"."""
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
                                        pacer=pacer, skip_empty=True,
                                        now=clock() if clock is not None else None)
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
    """The scheduler's publish: each subscribed channel's thread "1" of a day (or of a
    week or month: the digest's key names it), as planned."""

    async def publish_all(digest: Digest, subs: list[Subscription]) -> PublishReport:
        adapters = await pool.for_platforms({s.platform for s in subs})
        return await publish(store, adapters, digest, subs, mode=Mode.DAILY,
                             lease_ttl=settings.lease_seconds, public_url=settings.public_url)

    return publish_all


@contextlib.asynccontextmanager
async def daily_scheduler(core: Core, kind: type[Scheduler] = Scheduler
                          ) -> AsyncIterator[Scheduler]:
    """The scheduler of `hotpapers run`, with its live build, feed observation and
    chat adapters (also `hotpapers post --subscribed`: the same code path). Weekly and
    monthly windows go through the same publisher, with their own plans and keys.
    `kind`: `bot.jobs.work.JobScheduler` when the daily post goes through the queue."""
    settings, store = core.settings, core.store
    pool = ChatAdapters(settings)
    async with aiohttp.ClientSession(headers={"User-Agent": settings.user_agent}) as session:
        pacer = ArxivPacer(session, min_interval=settings.arxiv_min_interval,
                           user_agent=settings.user_agent)  # one pace for both
        publisher = daily_publisher(store, settings, pool)
        try:
            yield kind(store, settings,
                       build=live_build(settings, store, session, pacer),
                       publish=publisher, publish_window=publisher,
                       observe=live_observe(settings, store, session, pacer))
        finally:
            await pool.close()


@contextlib.asynccontextmanager
async def worker_health(core: Core, queue: QueueView | None = None) -> AsyncIterator[None]:
    """`/metrics` and `/healthz` of this worker on `HOTPAPERS_METRICS_PORT` (on
    `HOTPAPERS_HTTP_HOST`) while the block runs; nothing when the port is not set. Each
    worker serves its own counters: each is a scrape target. `queue`: the job backend's
    view of its queue (None: jobs run in-process)."""
    port = core.settings.metrics_port
    if port is None:
        yield
        return
    from bot.web.health import serve_health

    host = core.settings.http_host
    async with serve_health(core.store, host, port, queue=queue, empty_note=EMPTY_STORE,
                            ttl=core.settings.fleet_ttl):
        log.info("serving /metrics and /healthz on http://%s:%d", host, port)
        yield


async def _run_once(core: Core) -> None:
    """`run --once`: post what is due now in this process (whatever the database: the
    thread leases keep it safe beside running workers), then exit."""
    async with daily_scheduler(core) as scheduler:
        outcomes = await scheduler.run_due()
        for o in outcomes:
            out.print(f"{o.digest_date}: {o.status} {o.detail}", markup=False)
        if scheduler.waiting_for:
            out.print(scheduler.waiting_for, markup=False)
        elif not outcomes:
            nxt = await scheduler.next_run()
            out.print(f"nothing due; next run {nxt:%Y-%m-%d %H:%M %Z}")


async def _worker(once: bool, roles: tuple[str, ...]) -> None:
    async with open_core(with_builder=True) as core:  # /hot builds missing past days
        if await core.store.latest_date() is None:
            out.print(EMPTY_STORE, markup=False, soft_wrap=True)
        settings = core.settings
        async with Fleet(core.store, roles, interval=settings.fleet_heartbeat,
                         ttl=settings.fleet_ttl) as fleet:
            core.fleet = fleet  # for the adapters (Discord shards)
            # Without Redis each worker paces at its share of the bot's rates.
            set_live_workers(fleet.live_count)
            if once:
                await _run_once(core)
                return
            kind = JobScheduler if uses_queue(settings.database_url) else Scheduler
            async with daily_scheduler(core, kind) as scheduler, \
                    open_backend(settings, scheduler, roles) as jobs, \
                    worker_health(core, jobs.queue if uses_queue(settings.database_url)
                                  else None):
                await _serve(core, scheduler, jobs, roles)


async def _serve(core: Core, scheduler: Scheduler, jobs: JobBackend,
                 roles: tuple[str, ...]) -> None:
    """This process's roles, each on its own: the jobs (`scheduler` and `worker`: the
    backend's `serve`) and the `gateway` (every platform's commands, a platform that fails
    is started again with backoff: `bot.platforms.Supervisor`) while the rest goes on.
    Ends on SIGTERM/SIGINT; raises ConfigurationError (exit 2) when every platform has
    stopped on its configuration (nothing but the schedule could run, and it posts with
    the same refused tokens)."""
    interactive: list[InteractiveAdapter] = \
        interactive_adapters(core.settings) if "gateway" in roles else []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    log.info("worker started (%s; jobs %s): next post %s; commands from %s",
             ", ".join(roles), jobs.name, await scheduler.next_run(),
             ", ".join(a.platform for a in interactive) or "nowhere")
    supervisor = Supervisor(core.store)
    schedule = asyncio.create_task(jobs.serve(), name="jobs")
    platforms = [asyncio.create_task(supervisor.keep_running(
        a.platform, functools.partial(a.start, core), a.close), name=a.platform)
        for a in interactive]
    stopper = asyncio.create_task(stop.wait())
    pending = {schedule, stopper, *platforms}
    try:
        while True:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if stopper in done:
                return
            if schedule in done:  # serve only ends on a bug
                raise RuntimeError(f"the jobs stopped: {schedule.exception()!r}")
            if platforms and all(t.done() for t in platforms):
                stopped = {t.get_name(): t.result() for t in platforms}
                if all(s.state == "stopped" for s in stopped.values()):
                    raise ConfigurationError("nothing can run: " + "; ".join(
                        f"{name}: {state.error}" for name, state in stopped.items()))
    finally:
        for task in [schedule, stopper, *platforms]:
            task.cancel()
        for adapter in interactive:
            with contextlib.suppress(Exception):
                await adapter.close()
        await asyncio.gather(schedule, stopper, *platforms, return_exceptions=True)


def _roles(given: list[str] | None) -> tuple[str, ...]:
    roles = tuple(dict.fromkeys(r.strip().lower() for r in given or ROLES))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise UsageError(f"unknown role {unknown[0]!r}; use --role "
                         + " | ".join(ROLES) + " (repeatable; default: all three)")
    return roles


@app.command("run")
def run_command(
    once: Annotated[bool, typer.Option("--once", help="Post what is due now, then exit.")] = False,
    role: Annotated[list[str] | None, typer.Option(
        "--role", help="scheduler (the daily tick), worker (runs the jobs), gateway (Slack "
                       "Socket Mode, Discord gateway); repeatable; default: all three")] = None,
    verbose: Annotated[bool, typer.Option("--verbose/--quiet", help="Log every message.")
                       ] = True,
) -> None:
    """The worker: post the daily digest to every subscribed channel at the configured
    time, and answer /hot commands on every configured platform. On PostgreSQL, run it
    N times (on one machine or many) and they share the work."""
    roles = _roles(role)
    setup_logging(verbose)
    run(_worker(once, roles))


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


async def _answer(text: str, name: str, words: tuple[str, ...]) -> None:
    """A subscription command from the CLI: the operator may change any channel. The
    target is checked like everywhere else (`parse_target`); a stored target from before
    that check can still be removed by `unsubscribe`."""
    refused: UsageError | None = None
    try:
        parsed = parse_target(text, get_settings(), allow_url=False)
        platform, channel = parsed.platform, parsed.channel
    except UsageError as exc:
        if name != "unsubscribe":
            raise
        refused, (platform, _, channel) = exc, text.partition(":")
        platform, channel = platform.strip().lower(), channel.strip()
    target = f"{platform}:{channel}"
    async with open_core() as core:
        if refused is not None and await core.store.get_subscription(platform, channel) is None:
            raise refused
        answer = await core.answer(Command(name=name, args=words, platform=platform,
                                           channel=channel, user="cli",
                                           can_manage_channel=True))
    if answer.is_error:
        fail(answer.text.replace("/hot subscribe", f"hotpapers subscribe {target}")
             .replace("/hot unsubscribe", f"hotpapers unsubscribe {target}"))
    out.print(answer.text.replace("This channel", target), markup=False)


Opt = typer.Option


@app.command("subscribe")
def subscribe_command(
    target: Annotated[str, typer.Argument(help="platform:CHANNEL, e.g. slack:C0123456")],
    categories: Annotated[list[str] | None, typer.Argument(
        help="arXiv categories or archives (cs.LG stat.ML cs; none: the whole digest), and "
             "daily / weekly / monthly (default daily)")] = None,
    keyword: Annotated[list[str] | None, Opt("--keyword", help="Only papers mentioning it")] = None,
    exclude_keyword: Annotated[list[str] | None, Opt("--exclude-keyword")] = None,
    author: Annotated[list[str] | None, Opt("--author", help="Only papers by this author")] = None,
    exclude_author: Annotated[list[str] | None, Opt("--exclude-author")] = None,
    min_score: Annotated[int | None, Opt("--min-score", min=0)] = None,
    max_papers: Annotated[int | None, Opt("--max-papers", min=0, help="0: no limit")] = None,
) -> None:
    """Subscribe a channel to the daily digest, or the weekly / monthly one (adds
    categories and filters; resumes a paused channel)."""
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
