"""Weekly and monthly posts: which window is due when, for which subscriptions, and
remembering what was posted, so each window goes out once.

- weekly: the previous ISO week (its Monday to Friday digests), on Monday at the post
  time (`settings.post_time` in `settings.timezone`);
- monthly: the previous month, on the first announcement day (Monday to Friday) of the
  new month at the post time.

A window is due from that moment on until it is posted (a worker down on Monday posts
the week when it comes back, on any later day of that week); only the latest window of
each cadence is ever due, older missed ones are skipped; on the very first start only a
window due that day. Posted windows are remembered
in the kv table (`schedule.windows`: cadence -> window key). The digest comes from the
stored days (`bot.lookup.window_for`); a window without any stored day is marked
handled with the outcome "no-digest".

Publishing is injected (`publish`, the scheduler's: `bot.publish.publish`, the same
publisher, ledger and thread plans as the daily post). A window's thread plans and
messages are keyed by `Digest.key` (`2021-W31`, `2021-08`), never by its first day, so
the weekly thread and the Monday's daily thread are apart in the ledger. Without a
publisher (tests of the schedule alone) the due windows are only reported.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.dates import month_of, previous_month, previous_week
from bot.errors import UsageError
from bot.lookup import window_for
from bot.models import Digest, Subscription, Window
from bot.publish import PublishReport
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger("hotpapers.schedule")

POSTED = "schedule.windows"
WINDOW_CADENCES = ("weekly", "monthly")
Publish = Callable[[Digest, list[Subscription]], Awaitable[PublishReport]]


@dataclass(frozen=True, slots=True)
class WindowOutcome:
    """What one due window did: "posted", "unfinished" (some channels failed: tried
    again on the next run), "no-digest" (no stored day), "no-subscribers", "waiting"
    (no publisher for windows yet)."""

    cadence: str
    window: Window
    status: str
    detail: str = ""


def first_announcement_day(year: int, month: int) -> dt.date:
    """The first weekday of a month (arXiv announces Monday to Friday)."""
    return month_of(dt.date(year, month, 1)).start


class WindowSchedule:
    def __init__(self, store: Store, settings: Settings, *, tz: ZoneInfo,
                 publish: Publish | None = None) -> None:
        self.store, self.settings, self.tz, self.publish = store, settings, tz, publish

    def post_at(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.settings.post_time, tzinfo=self.tz)

    def latest_due(self, cadence: str, now: dt.datetime) -> tuple[Window, dt.datetime]:
        """The latest window of `cadence` whose post time has come, and that time."""
        today = now.astimezone(self.tz).date()
        if cadence == "weekly":
            monday = today - dt.timedelta(days=today.weekday())
            if now < self.post_at(monday):
                monday -= dt.timedelta(days=7)
            return previous_week(monday), self.post_at(monday)
        if cadence == "monthly":
            first = first_announcement_day(today.year, today.month)
            if now < self.post_at(first):
                before = today.replace(day=1) - dt.timedelta(days=1)
                first = first_announcement_day(before.year, before.month)
            return previous_month(first), self.post_at(first)
        raise ValueError(f"unknown cadence {cadence!r}")

    def next_due(self, cadence: str, now: dt.datetime) -> dt.datetime:
        """When the next window of `cadence` will be due (after the latest one)."""
        _, at = self.latest_due(cadence, now)
        probe = at + dt.timedelta(days=1)
        while True:
            _, nxt = self.latest_due(cadence, probe)
            if nxt > at:
                return nxt
            probe += dt.timedelta(days=1)

    async def posted(self) -> dict[str, str]:
        value = await self.store.get_value(POSTED)
        return dict(json.loads(value)) if value else {}

    async def due(self, now: dt.datetime) -> list[tuple[str, Window]]:
        """(cadence, window) due now and newer than the last one handled (keys of one
        cadence sort in time: `2021-W09` < `2021-W31` < `2022-W01`)."""
        done = await self.posted()
        today = now.astimezone(self.tz).date()
        out = []
        for cadence in WINDOW_CADENCES:
            window, when = self.latest_due(cadence, now)
            last = done.get(cadence)
            if last is None and when.date() != today:
                continue  # first start: the window due today, never older ones
            if last is None or window.key > last:
                out.append((cadence, window))
        return out

    async def _handled(self, cadence: str, window: Window) -> None:
        done = await self.posted()
        done[cadence] = window.key
        await self.store.set_value(POSTED, json.dumps(done, sort_keys=True))

    async def run_due(self, now: dt.datetime) -> list[WindowOutcome]:
        """Post every due window to the subscriptions of its cadence, once."""
        outcomes = []
        subs = await self.store.list_subscriptions(include_paused=False)
        for cadence, window in await self.due(now):
            wanted = [s for s in subs if cadence in s.cadences]
            if not wanted:
                await self._handled(cadence, window)
                outcomes.append(WindowOutcome(cadence, window, "no-subscribers"))
                continue
            if self.publish is None:
                outcomes.append(WindowOutcome(
                    cadence, window, "waiting",
                    f"{len(wanted)} channel(s); no publisher given"))
                continue
            try:
                digest, _ = await window_for(self.store, self.settings, window)
            except UsageError as exc:  # no stored day in the window
                await self._handled(cadence, window)
                outcomes.append(WindowOutcome(cadence, window, "no-digest", str(exc)))
                continue
            report = await self.publish(digest, wanted)
            status = "posted" if report.complete else "unfinished"
            if report.complete:
                await self._handled(cadence, window)
            outcomes.append(WindowOutcome(cadence, window, status, report.summary()))
            log.info("%s %s: %s %s", cadence, window.key, status, report.summary())
        return outcomes
