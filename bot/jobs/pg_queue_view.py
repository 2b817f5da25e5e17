"""`QueueView` (`bot.fleet`) over procrastinate's tables: what `hotpapers jobs` lists
and retries. The one-line errors come from `hotpapers_job_errors` (migration 0009),
written by `bot.jobs.pg_queue` when a job fails."""

from __future__ import annotations

from typing import Any

from procrastinate import PsycopgConnector

from bot.errors import UsageError
from bot.fleet import JobInfo, QueueStats

STATUS = {"todo": "queued", "doing": "running", "failed": "failed", "succeeded": "done",
          "cancelled": "cancelled", "aborting": "running", "aborted": "cancelled"}
WANTED = {"queued": ("todo",), "running": ("doing", "aborting"), "failed": ("failed",),
          "done": ("succeeded",), "cancelled": ("cancelled", "aborted")}


class ProcrastinateQueue:
    """`QueueView` over procrastinate's tables."""

    def __init__(self, connector: PsycopgConnector) -> None:
        self.connector = connector

    async def stats(self) -> QueueStats:
        rows = await self.connector.execute_query_all_async(
            "SELECT status::text AS status, count(*) AS n FROM procrastinate_jobs "
            "WHERE status IN ('todo', 'doing', 'aborting', 'failed') GROUP BY status")
        n = {r["status"]: int(r["n"]) for r in rows}
        oldest = await self.connector.execute_query_one_async(
            "SELECT min(e.at) AS at FROM procrastinate_jobs j JOIN procrastinate_events e "
            "ON e.job_id = j.id AND e.type = 'deferred' WHERE j.status = 'todo'")
        return QueueStats(queued=n.get("todo", 0),
                          running=n.get("doing", 0) + n.get("aborting", 0),
                          failed=n.get("failed", 0), oldest_pending=oldest["at"],
                          backend="procrastinate")

    async def jobs(self, status: str | None = None, limit: int = 50) -> list[JobInfo]:
        """Jobs of `status` (queued, running, failed, done, cancelled), newest first;
        None: those queued, running or failed."""
        if status is not None and status not in WANTED:
            raise UsageError(f"unknown job status {status!r}; use one of "
                             + ", ".join(WANTED))
        wanted = list(WANTED[status] if status else ("todo", "doing", "aborting", "failed"))
        rows = await self.connector.execute_query_all_async(
            _SELECT + "WHERE j.status::text = ANY(%(wanted)s) ORDER BY j.id DESC "
            "LIMIT %(limit)s", wanted=wanted, limit=limit)
        return [_info(r) for r in rows]

    async def retry(self, job_id: str) -> JobInfo:
        """Queue a failed job again, now, with its attempts counted from 0."""
        if not job_id.isdigit():
            raise UsageError(f"not a job id: {job_id!r} (hotpapers jobs lists them)")
        rows = await self.connector.execute_query_all_async(
            _SELECT + "WHERE j.id = %(id)s", id=int(job_id))
        if not rows:
            raise UsageError(f"no job {job_id} (hotpapers jobs lists them)")
        if rows[0]["status"] != "failed":
            raise UsageError(f"job {job_id} is {STATUS.get(rows[0]['status'], '?')}, not "
                             "failed: only a failed job can be retried")
        await self.connector.execute_query_async(
            "UPDATE procrastinate_jobs SET status = 'todo', scheduled_at = NULL, "
            "attempts = 0 WHERE id = %(id)s AND status = 'failed'", id=int(job_id))
        rows = await self.connector.execute_query_all_async(
            _SELECT + "WHERE j.id = %(id)s", id=int(job_id))
        return _info(rows[0])


_SELECT = """
SELECT j.id, j.task_name, j.status::text AS status, j.args, j.attempts,
       (SELECT min(at) FROM procrastinate_events WHERE job_id = j.id
        AND type = 'deferred') AS queued_at,
       (SELECT max(at) FROM procrastinate_events WHERE job_id = j.id
        AND type = 'started') AS started_at,
       coalesce(x.error, '') AS error
FROM procrastinate_jobs j LEFT JOIN hotpapers_job_errors x ON x.job_id = j.id
"""


def _info(row: dict[str, Any]) -> JobInfo:
    return JobInfo(id=str(row["id"]), task=row["task_name"],
                   status=STATUS.get(row["status"], row["status"]), args=dict(row["args"]),
                   attempts=int(row["attempts"]), queued_at=row["queued_at"],
                   started_at=row["started_at"],
                   error=row["error"] if row["status"] != "succeeded" else "")
