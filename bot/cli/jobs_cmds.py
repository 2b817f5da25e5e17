"""`hotpapers jobs`: the queue of the workers (PostgreSQL): queued, running and failed
jobs with their one-line errors; `hotpapers jobs retry ID` queues a failed one again. On
SQLite the jobs run in-process: one line says so."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from bot.cli.app import app, open_core, out, run
from bot.fleet import JobInfo, QueueStats
from bot.jobs import open_queue, uses_queue
from bot.jobs.in_process import IN_PROCESS

jobs_app = typer.Typer(help="The job queue of the workers (PostgreSQL).",
                       invoke_without_command=True)
app.add_typer(jobs_app, name="jobs")


def _when(at: dt.datetime | None) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if at else "-"


def _args(job: JobInfo) -> str:
    parts = []
    for name, value in job.args.items():
        if name == "timestamp":
            continue
        if isinstance(value, list):
            shown = ",".join(map(str, value[:3])) + (f",… ({len(value)})" if len(value) > 3
                                                      else "")
        else:
            shown = str(value)
        parts.append(f"{name}={shown}")
    return " ".join(parts)


def job_line(job: JobInfo) -> str:
    tries = f"{job.attempts} retr{'y' if job.attempts == 1 else 'ies'}" if job.attempts \
        else "first try"
    line = (f"{job.id:>6}  {job.status:<9} {job.task:<14} {_args(job)}  ({tries}; queued "
            f"{_when(job.queued_at)}")
    line += f", started {_when(job.started_at)})" if job.started_at else ")"
    return line + (f"\n        error: {job.error}" if job.error else "")


def stats_line(stats: QueueStats) -> str:
    oldest = f"; oldest queued since {_when(stats.oldest_pending)}" \
        if stats.oldest_pending else ""
    return (f"{stats.backend}: {stats.queued} queued, {stats.running} running, "
            f"{stats.failed} failed{oldest}")


async def _list(status: str | None, limit: int) -> None:
    async with open_core() as core:  # migrates: the queue's schema is ours
        if not uses_queue(core.settings.database_url):
            out.print(IN_PROCESS, markup=False, soft_wrap=True)
            return
        async with open_queue(core.settings) as queue:
            stats = await queue.stats()
            jobs = await queue.jobs(status, limit)
    out.print(stats_line(stats), markup=False, soft_wrap=True)
    for job in jobs:
        out.print(job_line(job), markup=False, soft_wrap=True)
    if not jobs:
        out.print(f"no {status or 'queued, running or failed'} job", markup=False)


async def _retry(job_id: str) -> None:
    async with open_core() as core, open_queue(core.settings) as queue:
        job = await queue.retry(job_id)  # a UsageError on SQLite says it in one line
    out.print(f"queued again: {job_line(job)}", markup=False, soft_wrap=True)


@jobs_app.callback(invoke_without_command=True)
def jobs_command(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(
        "--status", help="queued, running, failed, done or cancelled (default: the first "
                         "three)")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Jobs shown, newest first")
                     ] = 50,
) -> None:
    """List the queued, running and failed jobs, each failed one with its error."""
    if ctx.invoked_subcommand is None:
        run(_list(status, limit))


@jobs_app.command("retry")
def jobs_retry_command(
    job_id: Annotated[str, typer.Argument(help="the job's id (hotpapers jobs lists them)")],
) -> None:
    """Queue a failed job again, now."""
    run(_retry(job_id))
