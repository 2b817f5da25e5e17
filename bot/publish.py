"""Fan-out of one digest to many channels: plan, claim, deliver, report.

1. **plan**: each channel's thread is decided from its stored plans (`bot.plans`). The
   daily post (`Mode.DAILY`, also `hotpapers post --subscribed`) delivers thread "1" as
   planned at its first attempt (a subscription changed since applies from the next
   day); `hotpapers post` (`Mode.POST`) finishes the thread that has its view, starts
   thread "1" where there is none, and refuses, in one line naming `--again`, where the
   channel already has the day with another view; `Mode.AGAIN` starts a new thread
   (after finishing an unfinished one of the same view). New plans are stored in one
   transaction; a plan stored first by a concurrent poster wins.
2. **claim**: the threads' leases are taken 500 a statement (`bot.leases`); a thread
   another process holds is skipped and reported ("being posted by another process").
3. **deliver**: threads run in parallel (bounded per platform), each through the one
   delivery loop (`bot.delivery.ThreadDelivery`), the ledger written by group commit.
4. **report**: one `ChannelReport` per channel. A permanent failure pauses a subscribed
   channel (`pause_on_permanent`); transient failures, claimed threads and in-doubt
   webhook sends leave the channel unfinished for a later run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from bot.chat import ChatAdapter
from bot.delivery import LeftInDoubt, Sleep, ThreadDelivery
from bot.errors import ClaimLost, PermanentDeliveryError, TransientDeliveryError
from bot.leases import DEFAULT_TTL, Claims
from bot.ledger import LedgerWriter
from bot.models import Delivery, Digest, Subscription, ThreadKey, ThreadPlan
from bot.plans import (
    FIRST_THREAD,
    Mode,
    PlanMismatch,
    choose_thread,
    is_post_thread,
    make_plan,
    plan_view,
    refusal,
)
from bot.render.links import digest_url
from bot.reports import BUSY, ChannelReport, PublishReport
from bot.retry import RetryPolicy
from bot.store import Store

log = logging.getLogger("hotpapers.publish")

PER_PLATFORM_CONCURRENCY = 128  # channels posted at once per platform


@dataclass
class _Job:
    sub: Subscription
    adapter: ChatAdapter
    plan: ThreadPlan

    @property
    def key(self) -> ThreadKey:
        return (self.plan.digest_key, self.plan.platform, self.plan.channel, self.plan.thread)


@dataclass
class _Options:
    concurrency: int | Mapping[str, int] = PER_PLATFORM_CONCURRENCY
    retries: int = 3
    backoff: float = 1.0
    sleep: Sleep = asyncio.sleep
    lease_ttl: float = DEFAULT_TTL
    resend_in_doubt: bool = False
    pause_on_permanent: bool = True
    limits: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    def limit(self, platform: str) -> asyncio.Semaphore:
        if platform not in self.limits:
            n = self.concurrency if isinstance(self.concurrency, int) else \
                self.concurrency.get(platform, PER_PLATFORM_CONCURRENCY)
            self.limits[platform] = asyncio.Semaphore(n)
        return self.limits[platform]


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


async def publish(
    store: Store,
    adapters: Mapping[str, ChatAdapter],
    digest: Digest,
    subscriptions: Iterable[Subscription],
    *,
    mode: Mode = Mode.DAILY,
    concurrency: int | Mapping[str, int] = PER_PLATFORM_CONCURRENCY,
    retries: int = 3,
    backoff: float = 1.0,
    sleep: Sleep = asyncio.sleep,
    lease_ttl: float = DEFAULT_TTL,
    resend_in_doubt: bool = False,
    public_url: str | None = None,
) -> PublishReport:
    """Post `digest` to every subscription not paused, each channel its own thread
    (see the module doc for `mode`). `concurrency`: channels in flight per platform
    (one number, or per platform name). `public_url`: the web archive's address; the
    parent messages link the digest's page. A window digest (`2021-W31`) has its own
    plans and keys: `Digest.key`."""
    if public_url:
        digest = replace(digest, web_url=digest_url(public_url, digest))
    key = digest.key
    options = _Options(concurrency, retries, backoff, sleep, lease_ttl, resend_in_doubt)
    early: list[ChannelReport] = []
    wanted: list[tuple[Subscription, ChatAdapter]] = []
    for sub in dict((s.target, s) for s in subscriptions).values():
        adapter = adapters.get(sub.platform)
        if sub.paused:
            early.append(ChannelReport(sub.platform, sub.channel, "skipped",
                                       detail=f"paused: {sub.pause_reason or 'by hand'}"))
        elif adapter is None:
            early.append(ChannelReport(sub.platform, sub.channel, "skipped",
                                       detail=f"no {sub.platform} adapter configured"))
        else:
            wanted.append((sub, adapter))
    jobs, refused = await _plan(store, key, digest, wanted, mode)
    done = await _run(store, digest, jobs, options)
    report = PublishReport(key, (*early, *refused, *done))
    log.info("published %s", report.summary())
    return report


async def publish_thread(
    store: Store, adapter: ChatAdapter, digest: Digest, plan: ThreadPlan, *,
    retries: int = 3, backoff: float = 1.0, sleep: Sleep = asyncio.sleep,
    lease_ttl: float = DEFAULT_TTL,
) -> ChannelReport:
    """Deliver one explicitly planned thread (a command's answer: `digest` is already
    the view it shows). A permanent failure is reported, not paused."""
    await store.create_plans([plan])
    stored = next((p for p in await store.thread_plans(plan.digest_key, plan.platform,
                                                        plan.channel)
                   if p.thread == plan.thread), plan)
    sub = Subscription(plan.platform, plan.channel, workspace=plan.workspace)
    options = _Options(1, retries, backoff, sleep, lease_ttl, pause_on_permanent=False)
    (report,) = await _run(store, digest, [_Job(sub, adapter, stored)], options)
    return report


# --- 1. plan ------------------------------------------------------------------------------
async def _plan(store: Store, key: str, digest: Digest,
                wanted: list[tuple[Subscription, ChatAdapter]], mode: Mode
                ) -> tuple[list[_Job], list[ChannelReport]]:
    channels = {(sub.platform, sub.channel) for sub, _ in wanted}
    stored: dict[tuple[str, str], list[ThreadPlan]] = {}
    for p in await _plans_of(store, key, channels):
        if is_post_thread(p.thread):
            stored.setdefault((p.platform, p.channel), []).append(p)
    rows = _by_thread(await store.thread_deliveries(
        (p.digest_key, p.platform, p.channel, p.thread)
        for plans in stored.values() for p in plans)) if stored else {}
    chosen: list[tuple[Subscription, ChatAdapter, ThreadPlan, bool]] = []
    refused: list[ChannelReport] = []
    for sub, adapter in wanted:
        try:
            fresh = make_plan(key, sub, digest, thread=FIRST_THREAD, origin=mode.value)
        except ValueError as exc:  # a stored category the taxonomy no longer knows
            refused.append(ChannelReport(sub.platform, sub.channel, "failed",
                                         detail=_one_line(exc)))
            continue
        threads = stored.get((sub.platform, sub.channel), [])
        choice = choose_thread(mode, fresh, threads, rows)
        if isinstance(choice, str):
            refused.append(ChannelReport(sub.platform, sub.channel, "refused", detail=choice,
                                         thread=threads[-1].thread if threads else ""))
        else:
            plan, new = choice
            chosen.append((sub, adapter, plan, new))
    new_plans = [plan for _, _, plan, new in chosen if new]
    winners: dict[tuple[str, str, str], ThreadPlan] = {}
    if new_plans:
        await store.create_plans(new_plans)
        # a concurrent poster may have stored its plan first: that one is delivered
        winners = {(p.platform, p.channel, p.thread): p
                   for p in await _plans_of(store, key, channels)}
    jobs = []
    for sub, adapter, plan, new in chosen:
        if new:
            won = winners.get((plan.platform, plan.channel, plan.thread), plan)
            if mode is Mode.POST and won.view_hash != plan.view_hash:
                refused.append(ChannelReport(sub.platform, sub.channel, "refused",
                                             detail=refusal(won, sub), thread=won.thread))
                continue
            plan = won
        jobs.append(_Job(sub, adapter, plan))
    return jobs, refused


async def _plans_of(store: Store, key: str, channels: set[tuple[str, str]]
                    ) -> list[ThreadPlan]:
    """The day's plans of these channels: the whole day's in one query for a big
    fan-out, the channels' own for a post job's batch (reading the whole day in every
    job made a 10,000-channel fan-out quadratic)."""
    if len(channels) > 1000:
        return await store.thread_plans(key)
    return await store.channel_plans(key, channels)


def _by_thread(rows: Iterable[Delivery]) -> dict[ThreadKey, dict[str, Delivery]]:
    out: dict[ThreadKey, dict[str, Delivery]] = {}
    for d in rows:
        out.setdefault((d.digest_key, d.platform, d.channel, d.thread), {})[d.part] = d
    return out


# --- 2.-4. claim, deliver, report -----------------------------------------------------
async def _run(store: Store, digest: Digest, jobs: list[_Job], options: _Options
               ) -> list[ChannelReport]:
    if not jobs:
        return []
    async with Claims(store, ttl=options.lease_ttl) as claims:
        held = await claims.acquire(job.key for job in jobs)
        rows = _by_thread(await store.thread_deliveries(held))  # under the lease
        ledger = LedgerWriter(store)

        async def one(job: _Job) -> ChannelReport:
            if job.key not in held:
                return ChannelReport(job.sub.platform, job.sub.channel, "busy", detail=BUSY,
                                     thread=job.plan.thread)
            async with options.limit(job.sub.platform):  # released all at once at the end
                return await _deliver(store, ledger, claims, digest, job,
                                      rows.get(job.key, {}), options)

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(job)) for job in jobs]
    return [t.result() for t in tasks]


async def _deliver(store: Store, ledger: LedgerWriter, claims: Claims, digest: Digest,
                   job: _Job, rows: Mapping[str, Delivery], options: _Options
                   ) -> ChannelReport:
    sub, plan = job.sub, job.plan

    def report(status: str, detail: str = "", worker: ThreadDelivery | None = None
               ) -> ChannelReport:
        if worker is None:
            return ChannelReport(sub.platform, sub.channel, status, detail=detail,
                                 thread=plan.thread)
        return ChannelReport(sub.platform, sub.channel, status, total=worker.total,
                             sent=worker.sent, already=worker.already, settled=worker.settled,
                             detail=detail, thread=plan.thread)

    if plan.legacy:
        return report("done", "posted before this version kept thread plans; not resumed "
                              "(hotpapers post --again posts it anew)")
    try:
        shown = plan_view(digest, plan)
    except PlanMismatch as exc:
        return report("failed", _one_line(exc))
    policy = RetryPolicy(attempts=options.retries + 1, backoff=options.backoff,
                         max_backoff=30.0)
    worker = ThreadDelivery(store=store, ledger=ledger, adapter=job.adapter, plan=plan,
                            shown=shown, rows=rows, claims=claims, policy=policy,
                            sleep=options.sleep, resend_in_doubt=options.resend_in_doubt)
    try:
        await worker.run()
    except PermanentDeliveryError as exc:
        if not options.pause_on_permanent:
            return report("failed", _one_line(exc), worker)
        reason = f"{plan.digest_key}: {_one_line(exc)}"
        await store.set_paused(sub.platform, sub.channel, True, reason)
        log.warning("paused %s: %s", sub.target, reason)
        return report("paused", _one_line(exc), worker)
    except LeftInDoubt as exc:
        log.warning("%s", _one_line(exc))
        return report("in-doubt", _one_line(exc), worker)
    except ClaimLost as exc:
        log.warning("%s", _one_line(exc))
        return report("busy", _one_line(exc), worker)
    except TransientDeliveryError as exc:
        log.warning("%s unfinished, left for the next run: %s", sub.target, _one_line(exc))
        return report("failed", _one_line(exc), worker)
    except Exception as exc:  # an adapter bug must not stop the other channels
        log.exception("%s failed", sub.target)
        return report("failed", f"{type(exc).__name__}: {_one_line(exc)}", worker)
    return report("done", "", worker)


__all__ = ["BUSY", "ChannelReport", "Mode", "PublishReport", "publish", "publish_thread"]
