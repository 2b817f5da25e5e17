"""`bot.platforms.Supervisor`: a platform that fails is started again with backoff and
its state recorded for `hotpapers status`; a refused configuration stops it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.errors import ConfigurationError
from bot.platforms import Supervisor, platform_states
from bot.store import Store


class Platform:
    """start() fails with `failures` in turn, then runs until closed."""

    def __init__(self, *failures: BaseException, run_for: float = 0.0) -> None:
        self.failures = list(failures)
        self.starts = self.closes = 0
        self.run_for = run_for
        self.closed = asyncio.Event()

    async def start(self) -> None:
        self.starts += 1
        if self.failures:
            raise self.failures.pop(0)
        if self.run_for:
            await asyncio.sleep(self.run_for)
            return
        await self.closed.wait()

    async def close(self) -> None:
        self.closes += 1
        self.closed.set()


async def test_a_failing_platform_is_started_again_with_backoff(
        sqlite_store: Store, caplog: pytest.LogCaptureFixture) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    supervisor = Supervisor(sqlite_store, backoff=1.0, max_backoff=4.0, healthy_after=0.05,
                            sleep=sleep)
    platform = Platform(OSError("connection refused"), OSError("connection refused"),
                        TimeoutError(), OSError("connection refused"))
    caplog.set_level(logging.INFO)
    task = asyncio.create_task(supervisor.keep_running("discord", platform.start,
                                                       platform.close))
    for _ in range(100):
        states = await platform_states(sqlite_store)
        if states.get("discord") and states["discord"].state == "running":
            break
        await asyncio.sleep(0.02)
    assert waits == [1.0, 2.0, 4.0, 4.0]  # doubling, capped
    state = (await platform_states(sqlite_store))["discord"]
    assert state.state == "running" and state.failures == 0
    assert state.error == "OSError: connection refused"  # the last error is kept
    lines = [r.getMessage() for r in caplog.records if r.name == "hotpapers.platforms"]
    assert lines[0] == "discord failed: OSError: connection refused; starting it again in 1 s"
    assert all("\n" not in line for line in lines) and not any(r.exc_info
                                                               for r in caplog.records)
    await platform.close()
    final = await asyncio.wait_for(task, 1)
    assert final.state == "running" and platform.starts == 5


async def test_a_refused_configuration_stops_only_that_platform(sqlite_store: Store) -> None:
    supervisor = Supervisor(sqlite_store, healthy_after=0.05)
    bad = Platform(ConfigurationError("DISCORD_TOKEN was rejected by Discord (401)"))
    good = Platform()
    tasks = [asyncio.create_task(supervisor.keep_running(name, p.start, p.close))
             for name, p in (("discord", bad), ("slack", good))]
    stopped = await asyncio.wait_for(tasks[0], 1)
    assert stopped.state == "stopped" and "401" in stopped.error and bad.starts == 1
    await asyncio.sleep(0.1)
    states = await platform_states(sqlite_store)
    assert states["slack"].state == "running" and states["discord"].state == "stopped"
    assert not tasks[1].done()
    await good.close()
    await asyncio.wait_for(tasks[1], 1)


async def test_a_healthy_run_starts_the_backoff_over(sqlite_store: Store) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    class Flaky(Platform):
        async def start(self) -> None:
            self.starts += 1
            if self.starts in (1, 2):
                raise OSError("down")
            if self.starts == 3:
                await asyncio.sleep(0.1)  # up long enough to count as healthy
                raise OSError("dropped")
            await self.closed.wait()

    platform = Flaky()
    supervisor = Supervisor(sqlite_store, backoff=1.0, healthy_after=0.05, sleep=sleep)
    task = asyncio.create_task(supervisor.keep_running("slack", platform.start, platform.close))
    for _ in range(100):
        if platform.starts == 4:
            break
        await asyncio.sleep(0.02)
    assert waits == [1.0, 2.0, 1.0]
    platform.closed.set()
    await asyncio.wait_for(task, 1)
