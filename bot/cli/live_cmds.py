"""Commands: `build` (the digest of one announcement day from live sources)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import aiohttp
import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn

from bot.arxiv.days import feed_date
from bot.cli.app import app, err, fail, open_core, out, run
from bot.dates import LATEST, parse_date
from bot.render.common import paper_count, sources_line
from bot.settings import get_settings
from bot.signals.registry import make_sources, source_name

STATUS_STYLE = {"waiting": "dim", "running": "yellow", "done": "green", "failed": "red"}


def _date(word: str) -> dt.date:
    now = dt.datetime.now(dt.UTC)
    wanted = parse_date(word, today=now.date())
    if wanted == LATEST:  # the listing the arXiv feed shows now
        return feed_date(now)
    assert isinstance(wanted, dt.date)
    if wanted > now.date():
        fail(f"{wanted} is in the future; give today or a past date, e.g. --date 2021-08-06")
    return wanted


def _source_names(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [source_name(n) for n in text.split(",") if n.strip()]


class BuildProgress:
    """One line per stage (arXiv, each source): status and count so far."""

    def __init__(self, progress: Progress, stages: list[str]) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        for stage in stages:
            self._task(stage)

    def _task(self, stage: str) -> TaskID:
        if stage not in self.tasks:
            unit = "papers listed" if stage == "arxiv" else "posts"
            self.tasks[stage] = self.progress.add_task(
                stage, total=None, status="[dim]waiting[/]", unit=unit)
        return self.tasks[stage]

    def __call__(self, stage: str, status: str, count: int) -> None:
        style = STATUS_STYLE.get(status, "")
        task = self._task(stage)
        self.progress.update(task, completed=count, status=f"[{style}]{status}[/]")
        if status in ("done", "failed"):  # finished: the spinner stops
            self.progress.update(task, total=count)


@app.command()
def build(
    date: Annotated[
        str, typer.Option("--date", "-d", help="YYYY-MM-DD, today, yesterday or latest "
                          "(the day the arXiv feed shows now)")
    ] = LATEST,
    sources: Annotated[
        str | None, typer.Option(help="comma-separated sources to count: hn,hf,bluesky,x "
                                 "(default: every configured one)")
    ] = None,
) -> None:
    """Build and store the digest of one arXiv announcement day from live sources."""
    day = _date(date)
    names = _source_names(sources)

    async def go() -> None:
        from bot.digest import build_digest
        from bot.errors import BuildError

        settings = get_settings()
        async with open_core(load_sample=False) as core, aiohttp.ClientSession() as session:
            found, notices = make_sources(settings, session, names)
            for notice in notices:
                err.print(f"[yellow]note:[/] {notice}", markup=True, highlight=False)
            columns = (SpinnerColumn(), TextColumn("{task.description:<8}"),
                       TextColumn("{task.fields[status]:<8}"),
                       TextColumn("{task.completed:>7.0f} {task.fields[unit]}"))
            with Progress(*columns, console=err, transient=False) as progress:
                show = BuildProgress(progress, ["arxiv", *(s.name for s in found)])
                try:
                    result = await build_digest(day, settings=settings, session=session,
                                                store=core.store, sources=found, progress=show)
                except BuildError:
                    progress.stop()
                    raise
        digest = result.digest
        line = sources_line(digest)
        out.print(f"{digest.heading}: {paper_count(len(digest.papers))} stored"
                  + (f" ({line})" if line else ""), markup=False)
        for note in result.notes:
            out.print(f"  {note}", markup=False)
        for p in digest.papers[:10]:
            out.print(f"  {p.rank:>2}. [{p.score}] {p.paper.title} ({p.paper.arxiv_id})",
                      markup=False)

    run(go())
