"""Slack's pace: about one message per second per channel."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

PER_CHANNEL_RATE = 1.0  # messages per second per channel (Slack's documented pace)


class ChannelPacer:
    """One message at a time per channel, each `gap` seconds after the previous one was
    ACCEPTED; shared by every adapter of a process that posts to the same channels.

    A token bucket (aiolimiter) counts from when a send started, so after one 429 retry
    every later message of the channel arrives early and hits 429 too; counting from
    completion keeps a channel at Slack's pace after a retry.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._done: dict[str, float] = {}

    @asynccontextmanager
    async def turn(self, channel: str, gap: float) -> AsyncIterator[None]:
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = self._done.get(channel, -math.inf) + gap - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._done[channel] = time.monotonic()
