"""A controllable clock for the scheduler: tests set the time; `sleep_until` returns
when the test has moved the clock past the wake-up time (no real sleeping)."""

from __future__ import annotations

import asyncio
import datetime as dt


class FakeClock:
    def __init__(self, start: dt.datetime) -> None:
        self._now = start
        self._wake = asyncio.Event()
        self.sleeping = asyncio.Event()  # set while the scheduler waits for the clock
        self.sleeps: list[dt.datetime] = []

    def now(self) -> dt.datetime:
        return self._now

    async def sleep_until(self, when: dt.datetime) -> None:
        self.sleeps.append(when)
        while self._now < when:
            self._wake.clear()
            self.sleeping.set()
            await self._wake.wait()

    def set(self, when: dt.datetime) -> None:
        self._now = when

    async def advance_to(self, when: dt.datetime, limit: float = 5.0) -> None:
        """Move the clock and wait until the scheduler sleeps again."""
        self.sleeping.clear()
        self._now = when
        self._wake.set()
        await asyncio.wait_for(self.sleeping.wait(), limit)
