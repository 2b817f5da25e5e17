"""Jobs: the daily work of `hotpapers run`, behind one interface with two backends.

- **in-process** (SQLite, the default; `bot.jobs.in_process`): the scheduler runs in the
  one `hotpapers run` process and does everything itself, exactly as before: no queue,
  no setup.
- **procrastinate** (PostgreSQL; `bot.jobs.pg_queue`): the daily tick is a periodic
  task (deferred once however many workers run), building a day is a job with a
  queueing lock per date, the fan-out is one job per batch of channels; retries with
  backoff; N identical `hotpapers run` processes share the work. Its schema is applied
  by our migrations (0009).

`JobBackend` is what `hotpapers run` drives; `QueueView` (`bot.fleet`) is what
`hotpapers jobs` (and status / healthz) show of the queue.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Protocol

from bot.fleet import ROLES, JobInfo, QueueStats, QueueView

if TYPE_CHECKING:
    from bot.jobs.work import JobScheduler
    from bot.schedule import Scheduler
    from bot.settings import Settings

__all__ = ["ROLES", "JobBackend", "JobInfo", "QueueStats", "QueueView", "backend_name",
           "open_backend", "open_queue", "shared_queue", "uses_queue"]


class JobBackend(Protocol):
    name: str
    queue: QueueView

    async def serve(self) -> None:
        """Run this process's job roles (scheduler, worker) until cancelled."""
        ...


def uses_queue(database_url: str) -> bool:
    """PostgreSQL: jobs go through procrastinate; anything else runs them in-process."""
    return database_url.startswith(("postgresql", "postgres:"))


def backend_name(database_url: str) -> str:
    return "procrastinate" if uses_queue(database_url) else "in-process"


@contextlib.asynccontextmanager
async def open_backend(settings: Settings, scheduler: Scheduler | JobScheduler,
                       roles: Sequence[str] = ROLES) -> AsyncIterator[JobBackend]:
    """The backend of `settings.database_url` for `scheduler` (a `JobScheduler` on
    PostgreSQL: see `bot.jobs.work`), running the `roles` of this process."""
    if not uses_queue(settings.database_url):
        from bot.jobs.in_process import InProcessJobs

        yield InProcessJobs(scheduler, roles)
        return
    from bot.jobs.pg_queue import ProcrastinateJobs
    from bot.jobs.work import DailyWork, JobScheduler

    assert isinstance(scheduler, JobScheduler)
    jobs = ProcrastinateJobs(settings, roles)
    jobs.work = DailyWork(scheduler, jobs, batch=settings.job_batch)
    async with jobs:
        yield jobs


@contextlib.asynccontextmanager
async def open_queue(settings: Settings) -> AsyncIterator[QueueView]:
    """The queue as `hotpapers jobs` shows it (no job runs here)."""
    if not uses_queue(settings.database_url):
        from bot.jobs.in_process import InProcessQueue

        yield InProcessQueue()
        return
    from bot.jobs.pg_queue import ProcrastinateJobs

    async with ProcrastinateJobs(settings, roles=()) as jobs:
        yield jobs.queue


@contextlib.asynccontextmanager
async def shared_queue(settings: Settings) -> AsyncIterator[QueueView | None]:
    """The queue for `hotpapers status`, `serve`'s /healthz and /metrics: None when the
    jobs run in-process (SQLite)."""
    if not uses_queue(settings.database_url):
        yield None
        return
    async with open_queue(settings) as queue:
        yield queue
