"""Slack's pace: about one message per second per channel, shared by the whole process
(`process_pacer`) and, with HOTPAPERS_REDIS_URL, by every worker; and the per-workspace
tiers of the Web API methods we read with (`method_turn`), kept apart per workspace."""

from __future__ import annotations

import asyncio
import math
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.ratelimit import Rate, SharedLimiter

PER_CHANNEL_RATE = 1.0  # messages per second per channel (Slack's documented pace)

# Slack's rate-limit tiers per workspace (per app), per minute: Tier 2 20+, Tier 3 50+,
# Tier 4 100+ (api.slack.com/docs/rate-limits). chat.postMessage is "special" (the pace
# per channel above); auth.test and the rest we call about once per start.
METHOD_TIERS = {
    "users.info": Rate(100, 60),
    "conversations.info": Rate(50, 60),
    "conversations.history": Rate(50, 60),
    "conversations.replies": Rate(50, 60),
    "usergroups.users.list": Rate(20, 60),
}


class ChannelPacer:
    """One message at a time per channel, each `gap` seconds after the previous one was
    ACCEPTED; one per process (`process_pacer`), shared by every adapter that posts
    (the daily post, /hot answers, every workspace's client).

    A token bucket (aiolimiter) counts from when a send started, so after one 429 retry
    every later message of the channel arrives early and hits 429 too; counting from
    completion keeps a channel at Slack's pace after a retry. With a `shared` limiter
    (Redis) a channel's messages are also counted across workers; without one a channel
    is only contended within a process: the delivery lease keeps one poster per thread.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._done: dict[str, float] = {}

    @asynccontextmanager
    async def turn(self, channel: str, gap: float, shared: SharedLimiter | None = None
                   ) -> AsyncIterator[None]:
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = self._done.get(channel, -math.inf) + gap - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if shared is not None:
                await shared.acquire(f"channel:{channel}", channel_rate(gap))
            try:
                yield
            finally:
                self._done[channel] = time.monotonic()


def channel_rate(gap: float) -> Rate:
    """One message per `gap` seconds as a whole-second window (one worker posts a
    channel at a time, so it is not divided among them)."""
    period = max(1, math.ceil(gap))
    return Rate(max(1, math.floor(period / gap)), period, contended=False)


_PACERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ChannelPacer] = \
    weakref.WeakKeyDictionary()


def process_pacer() -> ChannelPacer:
    """The process's one `ChannelPacer` (per event loop: its locks belong to one)."""
    loop = asyncio.get_running_loop()
    pacer = _PACERS.get(loop)
    if pacer is None:
        pacer = _PACERS[loop] = ChannelPacer()
    return pacer


async def method_turn(limiter: SharedLimiter, team: str, method: str) -> None:
    """Wait for `method`'s tier in workspace `team` (each workspace counted apart)."""
    rate = METHOD_TIERS.get(method)
    if rate is not None:
        await limiter.acquire(f"method:{team}:{method}", rate)
