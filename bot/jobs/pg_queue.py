"""The procrastinate backend (PostgreSQL): the jobs of `bot.jobs.work` as procrastinate
tasks, shared by every `hotpapers run` process on the database.

- `daily_tick`: a periodic task every `settings.tick_seconds` (procrastinate's periodic
  deferrer runs in every scheduler process; the database keeps one job per timestamp,
  so it is deferred once however many run), lock `tick` (one at a time) and queueing
  lock `tick` (ticks never pile up behind a slow one).
- `build_day`: lock and queueing lock `build:<date>`: one build of a day at a time, at
  most one waiting; the job itself does nothing for a handled day. `rebuild_day` (a
  partial day built again) shares the lock.
- `post_channels`: one per batch of channels, queueing lock `post:<date>:<first
  channel>`; an unfinished channel fails it and it is retried with backoff.
- A worker killed with -9 leaves its jobs `doing`: every worker process looks for the
  jobs of workers whose heartbeat stopped (procrastinate's `get_stalled_jobs`) and
  queues them again; the thread leases keep each message once.
- Jobs done are deleted after `KEEP_HOURS` (an hourly `prune_jobs`: procrastinate's
  `delete_old_jobs`); failed ones stay until retried.
- Failures are retried with backoff (`Backoff`: doubling from
  `settings.job_retry_seconds`, capped at 10 minutes); each job's last error, one line,
  is kept in `hotpapers_job_errors` for `hotpapers jobs`.

The connection comes from `HOTPAPERS_DATABASE_URL` (`conninfo`); the schema from
migration 0009 (procrastinate's own SQL, applied by our migrations).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Sequence
from types import TracebackType
from typing import Any

from procrastinate import App, BaseRetryStrategy, JobContext, PsycopgConnector, RetryDecision
from procrastinate import exceptions as pexc
from procrastinate.jobs import Job
from procrastinate.periodic import PeriodicDeferrer
from sqlalchemy.engine import make_url

from bot.fleet import ROLES, QueueView
from bot.jobs.pg_queue_view import ProcrastinateQueue
from bot.jobs.work import BUILD, POST, REBUILD, TICK, DailyWork
from bot.metrics import observe_job
from bot.schedule import RETRY_FOR, Scheduler

log = logging.getLogger("hotpapers.jobs")


class _NoTraceback(logging.Filter):
    """procrastinate logs a failed job with its traceback; ours is one line (`_recorded`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        return True


logging.getLogger("procrastinate.worker").addFilter(_NoTraceback())

METRIC_TASK = {BUILD: "build", REBUILD: "build", POST: "post", TICK: "tick"}
KEEP_HOURS = 72  # jobs done are kept this long (`hotpapers jobs --status done`), then pruned
MAX_WAIT = 600.0  # seconds: the longest wait between two attempts
POST_ATTEMPTS = int(RETRY_FOR.total_seconds() // MAX_WAIT) + 8  # about two days


def conninfo(database_url: str) -> str:
    """A libpq conninfo for psycopg from our SQLAlchemy URL
    (`postgresql+asyncpg://u:p@h:5432/db?ssl=require` -> `postgresql://u:p@h:5432/db
    ?sslmode=require`)."""
    url = make_url(database_url).set(drivername="postgresql")
    query = dict(url.query)
    if "ssl" in query:
        query["sslmode"] = query.pop("ssl")
    return url.set(query=query).render_as_string(hide_password=False)


def one_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Backoff(BaseRetryStrategy):
    """Doubling waits from `first` seconds, capped at `MAX_WAIT`, `attempts` in all."""

    def __init__(self, first: float, attempts: int) -> None:
        self.first, self.attempts = first, attempts

    def get_retry_decision(self, *, exception: BaseException, job: Job
                           ) -> RetryDecision | None:
        if job.attempts + 1 >= self.attempts:
            return None
        wait = min(MAX_WAIT, self.first * 2.0 ** job.attempts)
        return RetryDecision(retry_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=wait))


class ProcrastinateJobs:
    """The backend; also `Defer` for the work (it queues builds and posts)."""

    name = "procrastinate"
    work: DailyWork

    def __init__(self, settings: Any, roles: Sequence[str] = ROLES) -> None:
        self.settings, self.roles = settings, tuple(roles)
        self.heartbeat = float(settings.fleet_heartbeat)
        self.dead_after = float(settings.fleet_ttl)
        self.connector = PsycopgConnector(conninfo=conninfo(settings.database_url),
                                          min_size=1, max_size=settings.job_concurrency + 4)
        self.app = App(connector=self.connector)
        self.queue: QueueView = ProcrastinateQueue(self.connector)
        first = float(settings.job_retry_seconds)
        task = self.app.task

        @task(name=TICK, lock="tick", queueing_lock="tick", pass_context=True)
        async def daily_tick(context: JobContext, timestamp: int) -> None:
            await self._recorded(context, self.work.tick())

        @task(name=BUILD, pass_context=True, retry=Backoff(first, settings.build_attempts))
        async def build_day(context: JobContext, day: str) -> None:
            await self._recorded(context, self.work.build_day(dt.date.fromisoformat(day)))

        @task(name=REBUILD, pass_context=True)
        async def rebuild_day(context: JobContext, date: str) -> None:
            await self._recorded(context, self.work.rebuild(dt.date.fromisoformat(date)))

        @task(name=POST, pass_context=True, retry=Backoff(first, POST_ATTEMPTS))
        async def post_channels(context: JobContext, date: str, targets: list[str]) -> None:
            await self._recorded(context, self.work.post(dt.date.fromisoformat(date), targets))

        @task(name="prune_jobs", queueing_lock="prune")
        async def prune_jobs(timestamp: int) -> None:
            await self.app.job_manager.delete_old_jobs(nb_hours=KEEP_HOURS)

        self.build_task, self.rebuild_task, self.post_task = build_day, rebuild_day, post_channels
        if "scheduler" in self.roles:
            cron = "* * * * *" if settings.tick_seconds >= 60 else \
                f"* * * * * */{settings.tick_seconds}"
            self.app.periodic(cron=cron, periodic_id="daily")(daily_tick)
            self.app.periodic(cron="7 * * * *", periodic_id="prune")(prune_jobs)

    async def __aenter__(self) -> ProcrastinateJobs:
        await self.app.open_async()
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.app.close_async()

    async def _recorded(self, context: JobContext, work: Awaitable[object]) -> None:
        """Run a job's work; its failure is kept (one line) for `hotpapers jobs`; its
        latency, queued to done, goes to the metrics (`bot.metrics.observe_job`)."""
        job = context.job
        try:
            result = await work
        except BaseException as exc:
            await self._observe(job, "failed" if isinstance(exc, Exception) else "cancelled")
            if not isinstance(exc, Exception):
                raise
            line = one_line(exc)
            log.warning("job %s[%s] failed: %s", job.task_name, job.id, line)
            with contextlib.suppress(Exception):
                await self.connector.execute_query_async(
                    "INSERT INTO hotpapers_job_errors (job_id, error, at) "
                    "VALUES (%(id)s, %(error)s, NOW()) ON CONFLICT (job_id) DO UPDATE "
                    "SET error = EXCLUDED.error, at = EXCLUDED.at",
                    id=job.id, error=line)
            raise
        await self._observe(job, "ok")
        if result:
            log.info("job %s[%s]: %s", job.task_name, job.id, result)

    async def _observe(self, job: Job, outcome: str) -> None:
        with contextlib.suppress(Exception):  # metrics never fail a job
            row = await self.connector.execute_query_one_async(
                "SELECT min(at) AS at FROM procrastinate_events WHERE job_id = %(id)s "
                "AND type = 'deferred'", id=job.id)
            if row["at"] is not None:
                observe_job(METRIC_TASK.get(job.task_name, job.task_name), row["at"],
                            outcome=outcome)

    # --- Defer ---------------------------------------------------------------------------
    async def build(self, day: dt.date) -> bool:
        date = Scheduler.digest_date(day).isoformat()  # run day -> its digest's date
        return await _defer_once(self.build_task, f"build:{date}", f"build:{date}",
                                 day=day.isoformat())

    async def rebuild(self, date: dt.date) -> bool:
        return await _defer_once(self.rebuild_task, f"build:{date}", f"rebuild:{date}",
                                 date=date.isoformat())

    async def posts(self, date: dt.date, batches: Sequence[Sequence[str]]) -> int:
        queued = 0
        for batch in batches:
            try:
                await self.post_task.configure(
                    queueing_lock=f"post:{date.isoformat()}:{batch[0]}").defer_async(
                    date=date.isoformat(), targets=list(batch))
                queued += 1
            except pexc.AlreadyEnqueued:  # a build run again: that batch is waiting
                continue
        return queued

    async def posting(self) -> int:
        """Post jobs at their first attempt, queued or running (the retried ones of an
        earlier day don't hold the next day back)."""
        row = await self.connector.execute_query_one_async(
            "SELECT count(*) AS n FROM procrastinate_jobs WHERE task_name = %(task)s "
            "AND status IN ('todo', 'doing') AND attempts = 0", task=POST)
        return int(row["n"])

    # --- running -------------------------------------------------------------------------
    async def serve(self) -> None:
        """The worker role runs jobs (and, with the scheduler role, the periodic
        deferrer); the scheduler role alone only defers the tick. Every worker process
        also queues again the jobs of dead workers."""
        hb = self.heartbeat
        if "worker" in self.roles:
            requeue = asyncio.create_task(self._requeue_stalled(), name="requeue-stalled")
            try:  # cancelled: procrastinate's worker finishes its shutdown before we go on
                await self.app.run_worker_async(
                    concurrency=self.settings.job_concurrency, install_signal_handlers=False,
                    fetch_job_polling_interval=self.settings.job_poll_seconds,
                    abort_job_polling_interval=max(self.settings.job_poll_seconds, 1.0),
                    update_heartbeat_interval=hb, stalled_worker_timeout=self.dead_after,
                    shutdown_graceful_timeout=5.0, listen_notify=True)
            finally:
                requeue.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await requeue
        elif "scheduler" in self.roles:
            await PeriodicDeferrer(self.app.periodic_registry).worker()
        await asyncio.Event().wait()  # a gateway alone: no job runs here

    async def _requeue_stalled(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            try:
                for job in await self.app.job_manager.get_stalled_jobs(
                        seconds_since_heartbeat=self.dead_after):
                    with contextlib.suppress(Exception):  # another worker was first
                        await self.app.job_manager.retry_job(job)
                        log.warning("job %s[%s] of a dead worker queued again",
                                    job.task_name, job.id)
            except Exception as exc:  # the database is away: next time
                log.warning("could not look for stalled jobs: %s", one_line(exc))


async def _defer_once(task: Any, lock: str, queueing_lock: str, **args: Any) -> bool:
    """Queue `task` under its lock unless one is queued already (False then): a
    day's build (or rebuild) is queued once however many ticks ask for it."""
    try:
        await task.configure(lock=lock, queueing_lock=queueing_lock).defer_async(**args)
    except pexc.AlreadyEnqueued:
        return False
    return True
