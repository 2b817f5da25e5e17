"""The fleet in `hotpapers status`: a table of the live workers, one line for the job
queue, and the failed jobs with their one-line errors (`bot.fleet_report`)."""

from __future__ import annotations

import datetime as dt

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.fleet_report import IN_PROCESS_NOTE, FleetReport


def _when(at: dt.datetime | None) -> str:
    if at is None:
        return "-"
    at = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    return f"{at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}"


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def print_fleet(out: Console, report: FleetReport) -> None:
    if report.workers:
        table = Table(title=f"Live workers ({len(report.workers)})", title_justify="left")
        table.add_column("worker", no_wrap=True, overflow="ignore",
                         min_width=max(len(w.id) for w in report.workers))
        for col in ("host", "pid", "roles", "started (UTC)", "last seen (UTC)"):
            table.add_column(col, overflow="fold")
        for w in report.workers:
            table.add_row(w.id, w.host, str(w.pid), ",".join(w.roles) or "-",
                          _when(w.started_at), _when(w.last_seen))
        out.print(table)
    else:
        out.print("[bold]live workers[/]: none (each hotpapers run registers itself and "
                  "beats while it runs)")
    q = report.queue
    if report.queue_error:
        out.print(Text.assemble(("job queue", "bold"), ": ", ("cannot be read", "red"),
                                f" ({report.queue_error})"), soft_wrap=True)
    elif q is None:
        out.print(f"[bold]job queue[/]: none; {IN_PROCESS_NOTE}", soft_wrap=True)
    else:
        oldest = report.oldest_pending_seconds
        pending = (f"oldest pending queued {_when(q.oldest_pending)} ({_age(oldest)} ago)"
                   if oldest is not None else "nothing pending")
        line = Text.assemble(("job queue", "bold"), f" ({q.backend}): {q.queued} queued, "
                             f"{q.running} running, ",
                             (f"{q.failed} failed", "red" if q.failed else ""), f"; {pending}")
        out.print(line, soft_wrap=True)
    for job in report.failed_jobs:
        out.print(Text.assemble(("failed job", "red"),
                                f" {job.id} {job.task} (attempts {job.attempts}, queued "
                                f"{_when(job.queued_at)}): {job.error or '-'}"), soft_wrap=True)
