"""One poster per thread across processes: a lease row per thread in the store.

`Claims` is what one fan-out holds: it takes the leases of its threads 500 a statement
(`Store.acquire_leases`: each atomic on SQLite and PostgreSQL), renews all of
them with one statement every `ttl / 4` seconds while it sends, and releases them at
the end. A lease not renewed (the poster crashed, or was cut off from the database)
expires after `ttl` seconds and the next poster takes the thread over, settling what
the crashed one left in doubt.

A thread's worker calls `check(key)` before every send: it raises `ClaimLost` when the
lease was taken over, or when its last renewal is so old that fewer than `margin`
seconds are left, so a send is only ever started with time to finish under the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Iterable
from types import TracebackType

from bot.errors import ClaimLost
from bot.store import Store
from bot.store.threads import ThreadKey

log = logging.getLogger("hotpapers.leases")

DEFAULT_TTL = 90.0  # seconds a lease lasts without renewal
MAX_SEND_SECONDS = 30.0  # a send started with less left than this is not started


def new_holder() -> str:
    """Who holds a lease: host, process and a random part (one per fan-out)."""
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{secrets.token_hex(4)}"


class Claims:
    """The leases of one fan-out. Use as `async with Claims(store, ttl=...) as claims`."""

    def __init__(self, store: Store, *, ttl: float = DEFAULT_TTL, holder: str | None = None
                 ) -> None:
        self.store = store
        self.ttl = ttl
        self.margin = min(MAX_SEND_SECONDS, ttl / 2)
        self.holder = holder or new_holder()
        self.held: set[ThreadKey] = set()
        self._renewed_at = -float("inf")  # monotonic time of the last successful renewal
        self._task: asyncio.Task[None] | None = None

    async def acquire(self, keys: Iterable[ThreadKey]) -> set[ThreadKey]:
        """Take what is free (or expired); returns the keys now held."""
        wanted = set(keys) - self.held
        if not wanted:
            return set()
        started = time.monotonic()
        got = await self.store.acquire_leases(wanted, self.holder, self.ttl)
        if got:
            self._renewed_at = min(self._renewed_at, started) if self.held else started
            self.held |= got
        return got

    def check(self, key: ThreadKey) -> None:
        """Raise ClaimLost unless `key` is held with time for one more send."""
        if key not in self.held:
            raise ClaimLost(f"{key[1]}:{key[2]}: another process took this thread over")
        left = self._renewed_at + self.ttl - time.monotonic()
        if left < self.margin:
            raise ClaimLost(f"{key[1]}:{key[2]}: the lease on this thread could not be "
                            f"renewed in time ({max(0.0, left):.1f} s left)")

    async def renew(self) -> None:
        if not self.held:
            return
        started = time.monotonic()
        still = await self.store.renew_leases(self.holder, self.ttl)
        lost = self.held - still
        if lost:
            log.warning("lost the lease on %d thread(s) to another process", len(lost))
        self.held &= still
        self._renewed_at = started

    async def release(self, keys: Iterable[ThreadKey] | None = None) -> None:
        done = self.held if keys is None else set(keys) & self.held
        if not done:
            return
        await self.store.release_leases(self.holder, None if keys is None else done)
        self.held -= done

    async def _keep(self) -> None:
        # Every ttl/4 counted from the last renewal, or from the acquisition: when taking
        # thousands of leases takes longer than ttl/4 (other posters waiting on the same
        # rows), a fixed ttl/4 tick finds nothing held yet, and the next one comes when
        # only the margin is left, so every thread would be given up.
        step = min(1.0, self.ttl / 8)
        while True:
            await asyncio.sleep(step)
            if not self.held or time.monotonic() - self._renewed_at < self.ttl / 4:
                continue
            try:
                await self.renew()
            except Exception as exc:  # the database is away: sends stop when time runs out
                log.warning("could not renew thread leases: %s",
                            (str(exc).splitlines() or [type(exc).__name__])[0])

    async def __aenter__(self) -> Claims:
        self._task = asyncio.create_task(self._keep(), name="lease-renewal")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self.release()
        except Exception as error:  # they expire by themselves
            log.warning("could not release thread leases: %s", type(error).__name__)
