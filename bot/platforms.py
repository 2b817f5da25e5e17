"""The worker's chat platforms, each kept running on its own: one that fails (its API
unreachable, its connection dropped) is logged in one line and started again with
backoff while the schedule and the other platforms go on; one whose configuration is
refused (a revoked token) is stopped, and the worker ends only when every platform has
stopped so. Each platform's state and last error are recorded in the store (kv
`platforms.state`) for `hotpapers status`, which runs in another process.

States: `starting` (connecting), `running` (up for `healthy_after` seconds, or ended
cleanly), `retrying` (failed; the next start is due), `stopped` (its configuration is
refused: fix it and restart the worker).

The loop is our own rather than tenacity's (which `bot.retry` uses for single calls): a
platform runs for days between failures, so the backoff starts over after a healthy run,
there is no last attempt, and every transition is recorded for another process to read.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from bot.errors import ConfigurationError, HotpapersError
from bot.store import Store

log = logging.getLogger("hotpapers.platforms")

STATE_KEY = "platforms.state"
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PlatformState:
    state: str
    since: str  # UTC, ISO 8601 to the second
    error: str = ""  # the last error, one line ("" when none yet)
    failures: int = 0  # failed starts in a row


def one_line(exc: BaseException) -> str:
    """What went wrong, in one line (a platform error's own line, else the type too)."""
    if isinstance(exc, HotpapersError):
        return exc.one_line()
    text = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def platform_states(store: Store) -> dict[str, PlatformState]:
    """What the worker last recorded for each platform (empty before its first start)."""
    raw = await store.get_value(STATE_KEY)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
        return {name: PlatformState(**value) for name, value in data.items()}
    except (ValueError, TypeError):
        return {}


class Supervisor:
    """Keeps each platform's `start()` running (see the module docstring)."""

    def __init__(self, store: Store, *, backoff: float = 1.0, max_backoff: float = 300.0,
                 healthy_after: float = 5.0, sleep: Sleep = asyncio.sleep) -> None:
        self.store = store
        self.backoff, self.max_backoff = backoff, max_backoff
        self.healthy_after = healthy_after
        self.sleep = sleep
        self.states: dict[str, PlatformState] = {}
        self._lock = asyncio.Lock()

    async def record(self, name: str, state: str, error: str = "", failures: int = 0) -> None:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        self.states[name] = PlatformState(state, now, error, failures)
        async with self._lock:  # one read-modify-write of the shared row at a time
            try:
                stored = await platform_states(self.store)
                stored[name] = self.states[name]
                await self.store.set_value(STATE_KEY, json.dumps(
                    {k: asdict(v) for k, v in sorted(stored.items())}))
            except Exception as exc:  # the database is down: the platform goes on
                log.warning("could not record the state of %s: %s", name, one_line(exc))

    def wait_after(self, failures: int) -> float:
        return float(min(self.max_backoff, self.backoff * 2.0 ** (failures - 1)))

    async def keep_running(self, name: str, start: Callable[[], Awaitable[None]],
                           close: Callable[[], Awaitable[None]]) -> PlatformState:
        """Run `start()` until it returns; start it again after a failure (backoff
        doubling from `backoff` to `max_backoff`; the count starts over after a run that
        was healthy). Returns the final state: `running` (ended cleanly) or `stopped`."""
        failures = 0
        last_error = ""
        while True:
            await self.record(name, "starting", last_error, failures)
            began = time.monotonic()
            task = asyncio.ensure_future(start())
            try:
                done, _ = await asyncio.wait({task}, timeout=self.healthy_after)
                if not done:
                    await self.record(name, "running", last_error, 0)
                await task
                await self.record(name, "running", last_error, 0)
                return self.states[name]
            except asyncio.CancelledError:
                task.cancel()
                raise
            except ConfigurationError as exc:
                last_error = one_line(exc)
                log.error("%s stopped: %s", name, last_error)
                await self.record(name, "stopped", last_error, failures + 1)
                with contextlib.suppress(Exception):
                    await close()
                return self.states[name]
            except Exception as exc:
                healthy = time.monotonic() - began >= self.healthy_after
                failures = 1 if healthy else failures + 1
                last_error = one_line(exc)
                wait = self.wait_after(failures)
                log.warning("%s failed: %s; starting it again in %.3g s", name, last_error,
                            wait)
                await self.record(name, "retrying", last_error, failures)
                with contextlib.suppress(Exception):
                    await close()
                await self.sleep(wait)


__all__ = ["PlatformState", "Supervisor", "one_line", "platform_states"]
