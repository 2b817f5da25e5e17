"""What keeps chat input bounded, for every platform:

- `CommandLimits`: how many commands a user, and a channel, may send (per-process, in
  memory, with the `limits` library's moving windows; HOTPAPERS_COMMAND_LIMIT_USER and
  HOTPAPERS_COMMAND_LIMIT_CHANNEL, "10/minute" and "30/minute" by default);
- `RecentThreads`: the digest threads posted on demand in the last `repeat_window`
  seconds (10 minutes by default) per channel and view, so the same /hot asked again
  answers with a link to the thread already there instead of posting a new one.

Both live in one process: the worker (Socket Mode, the Discord gateway) and `hotpapers
serve` (Slack HTTP mode) each keep their own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import limits
from cachetools import TTLCache
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from bot.models import Command, Digest
from bot.settings import Settings

MAX_TEXT = 500  # characters of a command's text
MAX_CATEGORIES = 20  # distinct categories in one /hot or one subscription
MAX_FILTER_VALUES = 20  # values of one filter (keyword:, author: ...) in a subscription
PENDING = ""  # a thread being posted (no link yet)


def _unit(item: limits.RateLimitItem) -> str:
    per = item.GRANULARITY.name
    return per if item.multiples == 1 else f"{item.multiples} {per}s"


class CommandLimits:
    """Per-user and per-channel command limits; `refusal` is None when a command may
    go on, else the one-line answer."""

    def __init__(self, settings: Settings) -> None:
        self.per_user = limits.parse(settings.command_limit_user)
        self.per_channel = limits.parse(settings.command_limit_channel)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def refusal(self, command: Command) -> str | None:
        user = ("user", command.platform, command.workspace, command.user)
        channel = ("channel", command.platform, command.channel)
        for item, key, whom in ((self.per_user, user, "you"),
                                (self.per_channel, channel, "this channel")):
            if not await self._limiter.hit(item, *key):
                stats = await self._limiter.get_window_stats(item, *key)
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                return (f"Slow down: {whom} may send at most {item.amount} commands per "
                        f"{_unit(item)}; try again in {wait} s.")
        return None


def view_key(command: Command, digest: Digest) -> str:
    """What makes two /hot answers in a channel the same thread: the day or window (its
    key: `2021-08-06`, `2021-W31`, `2021-08`), the papers and the scope the parent names."""
    ids = ",".join(p.paper.arxiv_id for p in digest.papers)
    return "|".join((command.platform, command.workspace, command.channel,
                     digest.key, ",".join(digest.categories_filter), ids))


class RecentThreads:
    """Threads posted on demand in the last `window` seconds: view key -> link (""
    while being posted)."""

    def __init__(self, window: float, timer: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self._threads: TTLCache[str, tuple[str, float]] = TTLCache(
            maxsize=10_000, ttl=max(window, 1e-6), timer=timer)
        self._timer = timer

    def earlier(self, key: str) -> tuple[str, float] | None:
        """(link, seconds ago) of the thread posted for `key`, None when there is none."""
        if self.window <= 0 or key not in self._threads:
            return None
        link, at = self._threads[key]
        return link, self._timer() - at

    def claim(self, key: str) -> None:
        if self.window > 0:
            self._threads[key] = (PENDING, self._timer())

    def posted(self, key: str, link: str) -> None:
        if self.window > 0 and key:
            self._threads[key] = (link, self._timer())

    def failed(self, key: str) -> None:
        self._threads.pop(key, None)
