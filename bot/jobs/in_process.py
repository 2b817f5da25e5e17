"""The in-process backend (SQLite, one machine): the scheduler does the work itself in
the `hotpapers run` process, as it always did (`Scheduler.run_forever`). There is no
queue: `hotpapers jobs` says so in one line."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.errors import UsageError
from bot.fleet import JobInfo, QueueStats, QueueView
from bot.schedule import Scheduler

IN_PROCESS = ("jobs run in-process on SQLite (one hotpapers run does the schedule, the "
              "builds and the posts): there is no queue; use PostgreSQL to share the work "
              "among several workers")


class InProcessQueue:
    """The QueueView of the in-process backend: always empty."""

    async def stats(self) -> QueueStats:
        return QueueStats(backend="in-process")

    async def jobs(self, status: str | None = None, limit: int = 50) -> list[JobInfo]:
        return []

    async def retry(self, job_id: str) -> JobInfo:
        raise UsageError(IN_PROCESS)


class InProcessJobs:
    name = "in-process"

    def __init__(self, scheduler: Scheduler, roles: Sequence[str]) -> None:
        self.scheduler, self.roles = scheduler, tuple(roles)
        self.queue: QueueView = InProcessQueue()

    async def serve(self) -> None:
        """The schedule does its own work: it runs for the scheduler or the worker role
        (on one machine they are one)."""
        if "scheduler" in self.roles or "worker" in self.roles:
            await self.scheduler.run_forever()
        await asyncio.Event().wait()  # a gateway alone: nothing to run here
