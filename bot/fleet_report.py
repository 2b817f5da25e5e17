"""One report of the fleet, for `hotpapers status`, `/healthz` and `/metrics`: the live
workers (their heartbeats in the store, `bot.fleet.Fleet`) and what the job backend
shows of its queue (`bot.fleet.QueueView`: queued, running and failed jobs, the oldest
pending one, the failed jobs' one-line errors). Without a queue view (`None`) the jobs
run inside each `hotpapers run` process and nothing waits in a queue: the report says so.

`FleetCollector` turns a report into Prometheus gauges; `/metrics` reads a fresh report
at every scrape (`bot.metrics.exposition(FleetCollector(report))`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from bot.fleet import ROLES, TTL, JobInfo, QueueStats, QueueView
from bot.store import Store
from bot.store.fleet import WorkerRow

log = logging.getLogger("hotpapers.fleet")

LIVE_TTL = TTL  # seconds: a worker seen within this is live (the fleet's default ttl)
FAILED_SHOWN = 20  # failed jobs listed
IN_PROCESS = "in-process"
IN_PROCESS_NOTE = ("jobs run inside each hotpapers run process (no job queue: SQLite, or no "
                   "queue backend configured)")


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)  # SQLite: naive


def _iso(when: dt.datetime | None) -> str | None:
    return _aware(when).isoformat(timespec="seconds") if when is not None else None


@dataclass(frozen=True)
class FleetReport:
    workers: tuple[WorkerRow, ...]
    queue: QueueStats | None  # None: jobs run in-process
    failed_jobs: tuple[JobInfo, ...]
    at: dt.datetime
    queue_error: str = ""  # the queue could not be read (one line)

    @property
    def backend(self) -> str:
        return self.queue.backend if self.queue is not None else IN_PROCESS

    @property
    def oldest_pending_seconds(self) -> float | None:
        if self.queue is None or self.queue.oldest_pending is None:
            return None
        return max(0.0, (self.at - _aware(self.queue.oldest_pending)).total_seconds())

    def by_role(self) -> dict[str, int]:
        return {role: sum(1 for w in self.workers if role in w.roles) for role in ROLES}

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON: `workers`, `workers_by_role`, `queue`, `failed_jobs`."""
        q = self.queue
        queue: dict[str, Any] = {
            "backend": self.backend,
            "queued": q.queued if q else None, "running": q.running if q else None,
            "failed": q.failed if q else None,
            "oldest_pending": _iso(q.oldest_pending) if q else None,
            "oldest_pending_seconds": self.oldest_pending_seconds,
        }
        if q is None:
            queue["note"] = IN_PROCESS_NOTE
        if self.queue_error:
            queue["error"] = self.queue_error
        return {
            "workers": [{"id": w.id, "host": w.host, "pid": w.pid, "roles": list(w.roles),
                         "started_at": _iso(w.started_at), "last_seen": _iso(w.last_seen)}
                        for w in self.workers],
            "workers_by_role": self.by_role(),
            "queue": queue,
            "failed_jobs": [{"id": j.id, "task": j.task, "attempts": j.attempts,
                             "queued_at": _iso(j.queued_at), "error": j.error}
                            for j in self.failed_jobs],
        }


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]


async def fleet_report(store: Store, queue: QueueView | None = None, *, ttl: float = LIVE_TTL,
                       now: dt.datetime | None = None) -> FleetReport:
    """The live workers (seen within `ttl` seconds) and `queue`'s stats and failed jobs.
    A queue that cannot be read is one line in the report (the workers still shown); a
    store that cannot be read raises."""
    now = now or dt.datetime.now(dt.UTC)
    workers = tuple(await store.live_workers(now - dt.timedelta(seconds=ttl)))
    stats: QueueStats | None = None
    failed: tuple[JobInfo, ...] = ()
    error = ""
    if queue is not None:
        try:
            stats = await queue.stats()
            if stats.failed:
                failed = tuple(await queue.jobs("failed", limit=FAILED_SHOWN))
        except Exception as exc:  # the queue is away: say so, show the rest
            error = _one_line(exc)
            log.warning("cannot read the job queue: %s", error)
            stats = QueueStats(backend="unreadable")
    return FleetReport(workers, stats, failed, now, error)


class FleetCollector(Collector):
    """A report's numbers as gauges; `report` None: the database could not be read
    (`hotpapers_fleet_up 0`)."""

    def __init__(self, report: FleetReport | None) -> None:
        self.report = report

    def collect(self) -> Iterator[Metric]:
        r = self.report
        yield GaugeMetricFamily("hotpapers_fleet_up",
                                "1 when the fleet's state could be read from the database.",
                                value=0 if r is None else 1)
        if r is None:
            return
        yield GaugeMetricFamily("hotpapers_fleet_live_workers",
                                "Workers whose heartbeat is recent.", value=len(r.workers))
        roles = GaugeMetricFamily("hotpapers_fleet_live_workers_by_role",
                                  "Live workers holding each role.", labels=["role"])
        for role, n in r.by_role().items():
            roles.add_metric([role], n)
        yield roles
        if r.queue is None:
            return
        jobs = GaugeMetricFamily("hotpapers_queue_jobs", "Jobs in the queue by status.",
                                 labels=["status", "backend"])
        for status in ("queued", "running", "failed"):
            jobs.add_metric([status, r.backend], getattr(r.queue, status))
        yield jobs
        yield GaugeMetricFamily("hotpapers_queue_oldest_pending_seconds",
                                "Age of the oldest queued job (0: none queued).",
                                value=r.oldest_pending_seconds or 0.0)
