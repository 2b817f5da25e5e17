"""The daily auto-post: every day at `settings.post_time` in `settings.timezone` (09:00
UTC by default) build the digest of the day before (the latest announcement day, counted
about a day later, as the blog did) and publish it to every subscription.

State lives in the store, so a restart at any moment never posts twice:
- `schedule.last_day`: the last run day fully handled (kv);
- the thread plans and the delivery ledger: which messages of a digest go where (a run
  interrupted in the middle of a fan-out is simply run again and finishes its plans);
- `schedule.unfinished`: channels left with transient failures (or claimed by another
  process, or a webhook send in doubt), retried every
  `retry_interval` for up to `RETRY_FOR`;
- `schedule.history`: the last outcomes, for `hotpapers status`.

A day built partial (some sources failed) is built again at its retry time
(`bot.provenance`: backoff, capped) for `REBUILD_FOR` after the day, and replaced when
the new build is better; a day whose fan-out is unfinished is left alone (its channels
must get the digest they started with). The posts already made stay as they are.

After downtime the missed days are posted once each, in order (`settings.catch_up`), or
skipped; no more than `MAX_CATCH_UP_DAYS`. When arXiv announced nothing for a day the
build returns None and nothing is posted: the data decides, not the weekday. The data
is the RSS feed, which shows day D only until the morning of the post for D: so the
injected `observe` reads and records it on every wake-up (at most once per
`observe_every`; with it set, the worker wakes at least that often), and the build asks
those records (see `bot.cli.service_cmds.live_build`).
The clock is injected (tests drive it without sleeping).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigurationError
from bot.metrics import timed_job
from bot.models import Digest, Subscription
from bot.plans import digest_key
from bot.provenance import backoff, retry_due
from bot.publish import PublishReport
from bot.settings import Settings
from bot.store import Store
from bot.window_schedule import WindowSchedule

log = logging.getLogger("hotpapers.schedule")

MAX_CATCH_UP_DAYS = 7
RETRY_FOR = dt.timedelta(days=2)
REBUILD_FOR = dt.timedelta(days=7)  # partial days are built again for a week
HISTORY = 60
LAST_DAY, UNFINISHED, HISTORY_KEY = "schedule.last_day", "schedule.unfinished", "schedule.history"

# The digest of an announcement day, or None when arXiv announced nothing that day.
Build = Callable[[dt.date], Awaitable[Digest | None]]
Publish = Callable[[Digest, list[Subscription]], Awaitable[PublishReport]]
# Read arXiv's feed and record what it shows (the result is ignored; failures are logged).
Observe = Callable[[], Awaitable[object]]


class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    async def sleep_until(self, when: dt.datetime) -> None: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    async def sleep_until(self, when: dt.datetime) -> None:
        # Short naps: a suspended laptop or a clock change is noticed within a minute.
        left = (when - self.now()).total_seconds()
        while left > 0:
            await asyncio.sleep(min(left, 60.0))
            left = (when - self.now()).total_seconds()


@dataclass(frozen=True, slots=True)
class DayOutcome:
    """What one run day did: `status` is "posted", "unfinished" (some channels failed
    transiently: retried later), "no-announcement", "skipped" (catch-up off or too old),
    "build-failed", "retried", or "rebuilt" / "rebuild-failed" (a partial day built
    again)."""

    day: dt.date  # the run day (local date of the post time)
    digest_date: dt.date
    status: str
    detail: str = ""
    at: str = ""


def time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"unknown time zone '{name}'; set HOTPAPERS_TIMEZONE to a name like UTC or "
            "Europe/Berlin"
        ) from None


class Scheduler:
    def __init__(
        self, store: Store, settings: Settings, *, build: Build, publish: Publish,
        clock: Clock | None = None, retry_interval: dt.timedelta = dt.timedelta(minutes=10),
        observe: Observe | None = None, observe_every: dt.timedelta = dt.timedelta(hours=1),
        publish_window: Publish | None = None,
    ) -> None:
        self.store, self.settings = store, settings
        # Timed as jobs `build` and `post` (queued when they start: nothing waits in a
        # queue here); a job backend observes its own jobs (`bot.metrics.observe_job`).
        self.build, self.publish = timed_job("build", build), timed_job("post", publish)
        self.observe, self.observe_every = observe, observe_every
        self.observed_at: dt.datetime | None = None  # the last observation attempt
        self.clock: Clock = clock or SystemClock()
        self.tz = time_zone(settings.timezone)
        self.retry_interval = retry_interval
        self.waiting_for: str = ""  # why the last due day is not handled yet (a build failed)
        # Weekly and monthly posts (bot/window_schedule.py): due windows are only reported
        # until a publisher keyed by digest key is given.
        self.windows = WindowSchedule(store, settings, tz=self.tz, publish=timed_job(
            "post", publish_window) if publish_window is not None else None)
        self.windows_waiting: set[str] = set()  # due windows reported as not posted

    # --- time arithmetic ---------------------------------------------------------------
    def post_at(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.settings.post_time, tzinfo=self.tz)

    @staticmethod
    def digest_date(day: dt.date) -> dt.date:
        """The announcement day posted on run day `day`: the day before."""
        return day - dt.timedelta(days=1)

    def latest_due(self, now: dt.datetime) -> dt.date:
        today = now.astimezone(self.tz).date()
        return today if now >= self.post_at(today) else today - dt.timedelta(days=1)

    async def last_day(self) -> dt.date | None:
        value = await self.store.get_value(LAST_DAY)
        return dt.date.fromisoformat(value) if value else None

    async def next_run(self) -> dt.datetime:
        """When the next daily post is due (in the past when it is overdue)."""
        last = await self.last_day()
        if last is None:  # first start: today's post, never older ones
            return self.post_at(self.clock.now().astimezone(self.tz).date())
        return self.post_at(last + dt.timedelta(days=1))

    def days_due(self, now: dt.datetime, last: dt.date | None) -> list[dt.date]:
        """Run days due and not handled, in order (first start: today's at most)."""
        due = self.latest_due(now)
        if last is None:
            return [due] if due == now.astimezone(self.tz).date() else []
        return [last + dt.timedelta(days=i) for i in range(1, (due - last).days + 1)]

    async def next_wake(self) -> dt.datetime:
        wake = await self.next_run()
        if await self.unfinished():
            wake = min(wake, self.clock.now() + self.retry_interval)
        if self.observe is not None:  # see every day the feed shows, not only post days
            wake = min(wake, (self.observed_at or self.clock.now()) + self.observe_every)
        rebuild = [at for _, at in await self._partial_days() if at is not None]
        if rebuild:
            wake = min(wake, min(rebuild))
        return max(wake, self.clock.now())

    # --- state -------------------------------------------------------------------------
    async def unfinished(self) -> dict[str, list[str]]:
        """Digest date (ISO) -> targets left with transient failures."""
        value = await self.store.get_value(UNFINISHED)
        return dict(json.loads(value)) if value else {}

    async def history(self) -> list[DayOutcome]:
        value = await self.store.get_value(HISTORY_KEY)
        return [DayOutcome(day=dt.date.fromisoformat(h["day"]),
                           digest_date=dt.date.fromisoformat(h["digest_date"]),
                           status=h["status"], detail=h["detail"], at=h["at"])
                for h in (json.loads(value) if value else [])]

    async def _remember(self, outcome: DayOutcome) -> DayOutcome:
        outcome = DayOutcome(outcome.day, outcome.digest_date, outcome.status, outcome.detail,
                             self.clock.now().isoformat(timespec="seconds"))
        rows = [asdict(h) for h in await self.history()][-(HISTORY - 1):]
        rows.append(asdict(outcome))
        await self.store.set_value(HISTORY_KEY, json.dumps(rows, default=str))
        log.info("%s (run day %s): %s %s", outcome.digest_date, outcome.day, outcome.status,
                 outcome.detail)
        return outcome

    async def _set_unfinished(self, date: dt.date, report: PublishReport) -> None:
        todo = await self.unfinished()
        failed = [c.target for c in report.channels if c.unfinished]
        if failed:
            todo[date.isoformat()] = failed
        else:
            todo.pop(date.isoformat(), None)
        await self.store.set_value(UNFINISHED, json.dumps(todo, sort_keys=True))

    # --- the work ----------------------------------------------------------------------
    async def run_due(self) -> list[DayOutcome]:
        """Post every day that is due and not yet handled, in order; retry unfinished
        channels. Safe to call at any time, any number of times."""
        now = self.clock.now()
        await self._observe(now)
        outcomes = await self._retry_unfinished(now)
        days = self.days_due(now, await self.last_day())
        self.waiting_for = ""
        keep = len(days) if self.settings.catch_up else 1
        keep = min(keep, MAX_CATCH_UP_DAYS)
        for day in days[: len(days) - keep]:
            outcomes.append(await self._remember(DayOutcome(
                day, self.digest_date(day), "skipped",
                "catch-up is off" if not self.settings.catch_up else "too long ago")))
            await self.store.set_value(LAST_DAY, day.isoformat())
        for day in days[len(days) - keep:]:
            outcome = await self._post_day(day, now)
            if outcome is None:  # build failed: try again later, keep the order
                break
            outcomes.append(outcome)
            await self.store.set_value(LAST_DAY, day.isoformat())
        outcomes += await self._rebuild_partial(now)
        for w in await self.windows.run_due(now):
            if w.status == "waiting" and w.window.key not in self.windows_waiting:
                self.windows_waiting.add(w.window.key)
                log.warning("%s %s is due but not posted: %s", w.cadence, w.window.key, w.detail)
            if w.status not in ("waiting", "no-subscribers"):
                outcomes.append(await self._remember(DayOutcome(
                    now.astimezone(self.tz).date(), w.window.start, f"{w.cadence} {w.status}",
                    f"{w.window.key}: {w.detail}".rstrip(": "))))
        return outcomes

    async def _partial_days(self, due_by: dt.datetime | None = None
                            ) -> list[tuple[dt.date, dt.datetime | None]]:
        """Partial digests the worker builds again: recent, fan-out not unfinished."""
        today = self.clock.now().astimezone(self.tz).date()
        busy = await self.unfinished()
        return [(date, at) for date, at in await self.store.partial_dates(due_by=due_by)
                if today - date <= REBUILD_FOR and date.isoformat() not in busy]

    async def _rebuild_partial(self, now: dt.datetime) -> list[DayOutcome]:
        """Build every partial day whose retry time has come again; the build keeps
        whichever digest is better."""
        outcomes = []
        for date, _ in await self._partial_days(due_by=now):
            day = date + dt.timedelta(days=1)
            try:
                digest = await self.build(date)
            except Exception as exc:
                reason = (str(exc).splitlines() or [type(exc).__name__])[0]
                outcomes.append(await self._remember(DayOutcome(day, date, "rebuild-failed",
                                                                reason)))
                digest = None
            else:
                if digest is not None:
                    failed = f" ({', '.join(digest.failed_sources)} failed)" \
                        if digest.failed_sources else ""
                    outcomes.append(await self._remember(DayOutcome(
                        day, date, "rebuilt",
                        f"{digest.status}{failed}: {len(digest.papers)} papers")))
            await self._push_back(date, now)
        return outcomes

    async def _push_back(self, date: dt.date, now: dt.datetime) -> None:
        """A partial day whose retry time is still due after a rebuild (the build ended
        before recording its outcome) waits its backoff: never a busy loop."""
        stored = await self.store.get_digest(date)
        if stored is not None and retry_due(stored, now):
            attempts = stored.attempts + 1
            await self.store.set_retry(date, now + backoff(self.settings, attempts), attempts)

    async def _observe(self, now: dt.datetime) -> None:
        """Record what arXiv's feed shows now: at most once per `observe_every`; a
        failure is one log line (the fallback rule decides the days never observed)."""
        if self.observe is None or (
                self.observed_at is not None and now - self.observed_at < self.observe_every):
            return
        self.observed_at = now
        try:
            await self.observe()
        except Exception as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            log.warning("could not read the arXiv feed (%s); trying again in %s", reason,
                        self.observe_every)

    async def _post_day(self, day: dt.date, now: dt.datetime) -> DayOutcome | None:
        date = self.digest_date(day)
        try:
            digest = await self._digest(date)
        except Exception as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            if now - self.post_at(day) < dt.timedelta(days=1):
                self.waiting_for = f"building {date} failed ({reason}); retrying"
                log.warning("building %s failed (%s); retrying in %s", date, reason,
                            self.retry_interval)
                return None
            return await self._remember(DayOutcome(day, date, "build-failed", reason))
        outcome, _ = await self.post_digest(day, date, digest)
        return outcome

    async def post_digest(self, day: dt.date, date: dt.date, digest: Digest | None
                          ) -> tuple[DayOutcome, PublishReport | None]:
        """The daily post of `digest` (of `date`, on run day `day`) to every subscribed
        channel, each with its own view: also `hotpapers post --date D --subscribed`."""
        if digest is None:
            return await self._remember(DayOutcome(day, date, "no-announcement")), None
        subs = [s for s in await self.store.list_subscriptions(include_paused=False)
                if "daily" in s.cadences]
        report = await self.publish(digest, subs)
        await self._set_unfinished(date, report)
        status = "posted" if report.complete else "unfinished"
        return await self._remember(DayOutcome(day, date, status, report.summary())), report

    async def post_date(self, date: dt.date) -> tuple[DayOutcome, PublishReport | None]:
        """Post day `date` now as the daily run does (`hotpapers post --subscribed`): the
        stored digest, built first when there is none."""
        digest = await self._digest(date, prefer_stored=True)
        return await self.post_digest(date + dt.timedelta(days=1), date, digest)

    async def _digest(self, date: dt.date, *, prefer_stored: bool = False) -> Digest | None:
        """The digest to post. Once its fan-out has started (a thread is planned), the
        stored one: a restart must finish the same digest, not a rebuilt one with other
        ranks. `prefer_stored`: the stored one whenever there is one."""
        if prefer_stored or await self.store.has_plans(digest_key(date)):
            stored = await self.store.get_digest(date)
            if stored is not None:
                return stored
        return await self.build(date)

    async def _retry_unfinished(self, now: dt.datetime) -> list[DayOutcome]:
        outcomes = []
        for iso, targets in sorted((await self.unfinished()).items()):
            date = dt.date.fromisoformat(iso)
            day = date + dt.timedelta(days=1)
            digest = await self.store.get_digest(date)
            if digest is None or now - self.post_at(day) > RETRY_FOR:
                todo = await self.unfinished()
                todo.pop(iso, None)
                await self.store.set_value(UNFINISHED, json.dumps(todo, sort_keys=True))
                outcomes.append(await self._remember(DayOutcome(
                    day, date, "skipped", f"gave up on {', '.join(targets)}")))
                continue
            subs = [s for s in await self.store.list_subscriptions(include_paused=False)
                    if s.target in targets]
            report = await self.publish(digest, subs)
            await self._set_unfinished(date, report)
            outcomes.append(await self._remember(DayOutcome(day, date, "retried",
                                                            report.summary())))
        return outcomes

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:  # a broken run must not end the worker
                log.exception("scheduled run failed; trying again in %s", self.retry_interval)
                await self.clock.sleep_until(self.clock.now() + self.retry_interval)
                continue
            await self.clock.sleep_until(await self.next_wake())
