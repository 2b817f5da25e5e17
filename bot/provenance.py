"""Which digest of a day is the better one, and when a day's build may be tried again.

The rules every path that stores a digest follows (`hotpapers build`, the daily run,
on-demand builds for `/hot D` and `hotpapers digest D`, `hotpapers import`):

- an imported digest (a blog post) is authoritative: a build never replaces it unless
  asked to (`--replace`);
- a build never replaces a stored digest with a less complete one (partial over
  complete) nor with one that has fewer sources answering;
- a build in which no social source answered is not usable: nothing is stored;
- a partial digest, and a day whose build was not usable, may be built again after a
  backoff: `settings.build_retry_after` seconds, doubled for every build of that day
  that fell short, capped at `settings.build_retry_max`. A partial digest keeps its
  retry time in its own row; a day with nothing stored keeps it in the key/value table
  (`build.failed.<date>`: when, why, how many times).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from bot.models import COMPLETE, PARTIAL, Digest
from bot.render.common import paper_count
from bot.settings import Settings
from bot.store import Store

FAILED_KEY = "build.failed."  # + ISO date
_RANK = {PARTIAL: 1, COMPLETE: 2}


def replaces(new: Digest, stored: Digest | None) -> bool:
    """May `new` (a build) replace `stored` without `--replace`?"""
    if stored is None:
        return True
    if stored.is_imported:
        return False
    return (_RANK.get(new.status, 0) >= _RANK.get(stored.status, 0)
            and len(new.sources) >= len(stored.sources))


def summary(digest: Digest) -> str:
    """`3 papers, hn` / `3 papers, hn; hf failed` / `11 papers, imported from the blog`."""
    papers = paper_count(len(digest.papers))
    if digest.is_imported:
        return f"{papers}, imported from the blog archive"
    text = f"{papers}, {', '.join(digest.sources) or 'no source'}"
    if digest.failed_sources:
        text += f"; {', '.join(digest.failed_sources)} failed"
    return text


def kept_line(stored: Digest, this_build: str, *, usable: bool) -> str:
    """`2021-08-26 kept: the stored digest (3 papers, hn) is better than this build (hn
    failed)`; an imported digest is authoritative instead."""
    day = stored.date.isoformat()
    if stored.is_imported:
        return (f"{day} kept: the stored digest ({summary(stored)}) is authoritative; "
                "add --replace to replace it with a build")
    line = f"{day} kept: the stored digest ({summary(stored)}) is better than this build " \
        f"({this_build})"
    return line + ("; add --replace to store this build anyway" if usable else "")


def backoff(settings: Settings, attempts: int) -> dt.timedelta:
    """The wait before the next build of a day after `attempts` builds fell short."""
    seconds = settings.build_retry_after * 2.0 ** max(0, attempts - 1)
    return dt.timedelta(seconds=min(seconds, settings.build_retry_max))


def retry_due(digest: Digest, now: dt.datetime) -> bool:
    """A partial digest whose retry time has come."""
    return digest.status == PARTIAL and digest.retry_at is not None and digest.retry_at <= now


@dataclass(frozen=True, slots=True)
class FailedBuild:
    """The last build of a day with nothing stored fell short: when, why, how many times
    in a row, and when it may be tried again."""

    at: dt.datetime
    reason: str
    attempts: int
    retry_at: dt.datetime

    def line(self) -> str:
        """`building it failed at 2021-08-10 09:00 UTC (reason); next try after 09:15 UTC`"""
        return (f"building it failed at {self.at:%Y-%m-%d %H:%M} UTC ({self.reason}); "
                f"next try after {self.retry_at:%Y-%m-%d %H:%M} UTC")


async def failed_build(store: Store, date: dt.date) -> FailedBuild | None:
    value = await store.get_value(FAILED_KEY + date.isoformat())
    if not value:
        return None
    row = json.loads(value)
    return FailedBuild(dt.datetime.fromisoformat(row["at"]), str(row["reason"]),
                       int(row["attempts"]), dt.datetime.fromisoformat(row["retry_at"]))


async def record_failure(store: Store, settings: Settings, date: dt.date, reason: str,
                         now: dt.datetime) -> dt.datetime:
    """A build of `date` fell short (nothing usable): push back the next try. The stored
    partial digest carries it; a day with nothing stored gets a key/value record. A
    complete or imported digest needs no retry. Returns the next try's time."""
    stored = await store.get_digest(date)
    if stored is not None:
        attempts = stored.attempts + 1
        retry_at = now + backoff(settings, attempts)
        if stored.status == PARTIAL:
            await store.set_retry(date, retry_at, attempts)
        return retry_at
    before = await failed_build(store, date)
    attempts = (before.attempts if before else 0) + 1
    retry_at = now + backoff(settings, attempts)
    await store.set_value(FAILED_KEY + date.isoformat(), json.dumps({
        "at": now.isoformat(), "reason": reason, "attempts": attempts,
        "retry_at": retry_at.isoformat()}))
    return retry_at


async def failures_before(store: Store, date: dt.date) -> int:
    """Builds of `date` that fell short since its last usable one."""
    before = await failed_build(store, date)
    return before.attempts if before else 0


async def clear_failure(store: Store, date: dt.date) -> None:
    if await store.get_value(FAILED_KEY + date.isoformat()) is not None:
        await store.set_value(FAILED_KEY + date.isoformat(), "")
