"""What the jobs do, whichever backend runs them: the daily tick, building a day, and
posting a day to a batch of channels. The decisions are the scheduler's
(`bot.schedule.Scheduler`: what is due, catch-up, retries, windows); only the daily
post is cut in jobs, so that many workers share it:

- **tick** (`DailyWork.tick`): observe arXiv's feed, retry the channels left unfinished,
  build partial days again, post due weekly / monthly windows, and for the first due
  run day queue its build (`Defer.build`). The day's `schedule.last_day` is not moved
  here: the build job moves it, so a build that fails is queued again by a later tick.
  A day is queued only once every post job of the days before it has finished: days
  reach each channel in order.
- **rebuild** (`DailyWork.rebuild`): a partial day whose retry time has come is built
  again as a job too (the tick queues it; same per-date lock as the build).
- **build a day** (`DailyWork.build_day`, one at a time per date): build (or take the
  stored digest once a fan-out started), then queue one post job per batch of channels
  (`Defer.posts`), then move `schedule.last_day`. Run again for a handled day, it does
  nothing: each day is built once.
- **post** (`DailyWork.post`): the daily post of the stored digest to those channels,
  through the one delivery loop (thread plans, leases, ledger). A channel left
  unfinished (a transient failure, a thread another process holds) fails the job, and
  the backend retries it with backoff; the thread lease keeps every message once.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from bot.errors import HotpapersError
from bot.models import Digest, Subscription
from bot.provenance import retry_due
from bot.schedule import LAST_DAY, Build, DayOutcome, Publish, Scheduler
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger("hotpapers.jobs")

BUILD, REBUILD, POST, TICK = "build_day", "rebuild_day", "post_channels", "daily_tick"


class Unfinished(HotpapersError):
    """Some channels of a post job are unfinished: the job is tried again later."""


class Defer(Protocol):
    """How the work queues more work (the backend's side)."""

    async def build(self, day: dt.date) -> bool:
        """Queue the build of run day `day` (once: False when one is already queued)."""
        ...

    async def rebuild(self, date: dt.date) -> bool:
        """Queue the rebuild of the partial digest of `date` (once)."""
        ...

    async def posts(self, date: dt.date, batches: Sequence[Sequence[str]]) -> int:
        """Queue one post job per batch of targets; returns how many were queued."""
        ...

    async def posting(self) -> int:
        """Post jobs queued or running now."""
        ...


def batches(targets: Sequence[str], size: int) -> list[list[str]]:
    """Batches of one platform each, the platforms taking turns (Slack, Discord, Slack
    ...): each platform's limits are their own, so both are posted to at once instead of
    one after the other."""
    by_platform: dict[str, list[str]] = {}
    for target in sorted(targets):
        by_platform.setdefault(target.partition(":")[0], []).append(target)
    runs = [[ts[i:i + size] for i in range(0, len(ts), size)] for ts in by_platform.values()]
    return [batch for turn in itertools.zip_longest(*runs) for batch in turn if batch]


class JobScheduler(Scheduler):
    """The scheduler whose daily post is queued as jobs (see the module doc). Its build
    and publish are not timed here: the backend observes each job, queued to done."""

    defer: Defer

    def __init__(self, store: Store, settings: Settings, *, build: Build, publish: Publish,
                 **options: Any) -> None:
        super().__init__(store, settings, build=build, publish=publish, **options)
        self.build, self.publish = build, publish

    async def _post_day(self, day: dt.date, now: dt.datetime) -> DayOutcome | None:
        if await self.defer.posting():
            self.waiting_for = f"the posts of the day before {day} are still going out"
            return None
        if await self.defer.build(day):
            log.info("queued the build of %s (run day %s)", self.digest_date(day), day)
        self.waiting_for = f"building {self.digest_date(day)}"
        return None  # the build job moves schedule.last_day: keep the order

    async def _rebuild_partial(self, now: dt.datetime) -> list[DayOutcome]:
        for date, _ in await self._partial_days(due_by=now):
            if await self.defer.rebuild(date):
                log.info("queued the rebuild of %s (partial)", date)
        return []  # the rebuild jobs remember their outcomes


class DailyWork:
    def __init__(self, scheduler: JobScheduler, defer: Defer, *, batch: int = 20) -> None:
        scheduler.defer = defer
        self.scheduler, self.defer, self.batch = scheduler, defer, batch
        self.store = scheduler.store

    async def tick(self) -> list[DayOutcome]:
        """One run of the scheduler's decisions (only one tick runs at a time)."""
        return await self.scheduler.run_due()

    async def build_day(self, day: dt.date) -> str:
        """Build run day `day`'s digest and queue its posts (see the module doc)."""
        s = self.scheduler
        last = await s.last_day()
        if last is not None and last >= day:
            return f"run day {day} is already handled"
        date, now = s.digest_date(day), s.clock.now()
        log.info("building the digest of %s", date)
        try:
            digest = await s._digest(date)
        except Exception as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            if now - s.post_at(day) < dt.timedelta(days=1):
                raise  # retried with backoff, and queued again by a later tick
            await self._handled(day, DayOutcome(day, date, "build-failed", reason))
            return f"building {date} failed: {reason}"
        if digest is None:
            await self._handled(day, DayOutcome(day, date, "no-announcement"))
            return f"{date}: no announcement"
        subs = await self.subscribers()
        queued = await self.defer.posts(date, batches([s.target for s in subs], self.batch))
        detail = f"{len(digest.papers)} papers to {len(subs)} channel(s) in {queued} job(s)"
        await self._handled(day, DayOutcome(day, date, "queued", detail))
        return f"{date}: {detail}"

    async def rebuild(self, date: dt.date) -> str:
        """Build a partial day again, if its retry time has still come (one rebuild at a
        time per date: a second one queued meanwhile finds it pushed back)."""
        s = self.scheduler
        now = s.clock.now()
        stored = await self.store.get_digest(date)
        if stored is None or not retry_due(stored, now):
            return f"{date}: no rebuild due"
        outcome = await s.rebuild(date, now)
        return f"{date}: {outcome.status} {outcome.detail}" if outcome else f"{date}: no digest"

    async def _handled(self, day: dt.date, outcome: DayOutcome) -> None:
        await self.scheduler._remember(outcome)
        await self.store.set_value(LAST_DAY, day.isoformat())

    async def subscribers(self) -> list[Subscription]:
        return [s for s in await self.store.list_subscriptions(include_paused=False)
                if "daily" in s.cadences]

    async def post(self, date: dt.date, targets: Sequence[str]) -> str:
        """The daily post of `date` to `targets` (those still subscribed and not paused)."""
        digest: Digest | None = await self.store.get_digest(date)
        if digest is None:
            return f"no digest stored for {date}: nothing to post"
        wanted = set(targets)
        subs = [s for s in await self.subscribers() if s.target in wanted]
        if not subs:
            return "no channel left to post to"
        report = await self.scheduler.publish(digest, subs)
        left = [c for c in report.channels if c.unfinished]
        if left:
            raise Unfinished(f"{len(left)} channel(s) unfinished: " + "; ".join(
                f"{c.target}: {c.detail or c.status}" for c in left[:3]))
        return report.summary()
