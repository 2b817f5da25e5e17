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
from bot.provenance import kept_line
from bot.render.common import paper_count, sources_line
from bot.settings import get_settings
from bot.signals.registry import make_sources, source_name

STATUS_STYLE = {"waiting": "dim", "running": "yellow", "done": "green", "failed": "red",
                "out of reach": "dim", "retrying": "yellow"}


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
        if status in ("done", "failed", "out of reach"):  # finished: the spinner stops
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
    replace: Annotated[bool, typer.Option(
        "--replace", help="store this build even over a better stored digest (an imported "
        "one, a complete one, one with more sources answering)")] = False,
) -> None:
    """Build and store the digest of one arXiv announcement day from live sources. A
    better stored digest is kept (one line says why; --replace stores the build anyway);
    when no source answered nothing is stored and the exit code is 1."""
    day = _date(date)
    names = _source_names(sources)

    async def go() -> None:
        from bot.digest import build_digest
        from bot.errors import BuildError

        settings = get_settings()
        async with open_core() as core, aiohttp.ClientSession() as session:
            stored = await core.store.get_digest(day)
            if stored is not None and stored.is_imported and not replace:
                out.print(kept_line(stored, "", usable=True), markup=False, soft_wrap=True)
                return
            columns = (SpinnerColumn(), TextColumn("{task.description:<8}"),
                       TextColumn("{task.fields[status]:<12}"),
                       TextColumn("{task.completed:>7.0f} {task.fields[unit]}"))
            with Progress(*columns, console=err, transient=False) as progress:

                def notice(line: str) -> None:  # a long retry says what is happening
                    progress.console.print(f"[yellow]retrying:[/] {line}", markup=True,
                                           highlight=False)

                found, notices = make_sources(settings, session, names, notice=notice)
                for skipped in notices:
                    progress.console.print(f"[yellow]note:[/] {skipped}", markup=True,
                                           highlight=False)
                show = BuildProgress(progress, ["arxiv", *(s.name for s in found)])
                try:
                    result = await build_digest(day, settings=settings, session=session,
                                                store=core.store, sources=found, progress=show,
                                                replace=replace, notice=notice)
                except BuildError:
                    progress.stop()
                    raise
        digest = result.digest
        if not result.stored:  # the better stored digest was kept: say why, first
            out.print(result.notes[0], markup=False, soft_wrap=True)
            for note in result.notes[1:]:
                out.print(f"  {note}", markup=False)
            return
        line = sources_line(digest)
        state = f", {digest.status}" if digest.status != "complete" else ""
        out.print(f"{digest.heading}: {paper_count(len(digest.papers))} stored{state}"
                  + (f" ({line})" if line else ""), markup=False)
        for note in result.notes:
            out.print(f"  {note}", markup=False)
        for p in digest.papers[:10]:
            out.print(f"  {p.rank:>2}. [{p.score}] {p.paper.title} ({p.paper.arxiv_id})",
                      markup=False)

    run(go())
