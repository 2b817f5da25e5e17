"""Commands: `import` (Hot Papers posts into the store) and `export` (a stored digest as
markdown, text or JSON)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.archive.importer import ImportReport, find_posts, import_paths
from bot.cli.app import app, err, fail, open_core, out, run, stored_digest
from bot.dates import LATEST
from bot.filters import by_categories
from bot.models import Digest

PROGRESS_FROM = 20  # files; smaller imports finish before a bar would be useful


class ExportFormat(StrEnum):
    markdown = "markdown"
    text = "text"
    json = "json"


def render_as(digest: Digest, fmt: ExportFormat) -> str:
    if fmt is ExportFormat.markdown:
        from bot.render.markdown import render_markdown

        return render_markdown(digest)
    if fmt is ExportFormat.json:
        from bot.render.json_render import digest_to_dict

        return json.dumps(digest_to_dict(digest), ensure_ascii=False, indent=2) + "\n"
    from bot.render.text import render_text

    return render_text(digest)


@app.command("import")
def import_cmd(
    paths: Annotated[
        list[Path], typer.Argument(help="post files or folders (every *.md below them)")
    ],
    replace: Annotated[bool, typer.Option(
        "--replace", help="replace a stored day whose digest differs from its post")] = False,
) -> None:
    """Import Hot Papers blog posts into the store (again: changes nothing). A post for
    a day already stored with other content is reported and not applied (--replace
    applies it)."""

    async def go() -> ImportReport:
        async with open_core() as core:
            files, _ = find_posts(paths)
            if len(files) < PROGRESS_FROM or not err.is_terminal:
                return await import_paths(core.store, paths, replace=replace)
            columns = (TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn())
            with Progress(*columns, console=err, transient=True) as bar:
                task = bar.add_task("reading", total=len(files))

                def step(stage: str, done: int, total: int) -> None:
                    bar.update(task, description=stage, completed=done, total=total)

                return await import_paths(core.store, paths, replace=replace,
                                          progress=step)

    report = run(go())
    for line in report.errors:
        err.print(f"error: {line}", markup=False, highlight=False)
    out.print(report.summary(), markup=False)
    if report.errors:
        raise typer.Exit(1)


@app.command("export")
def export_cmd(
    date: Annotated[
        str, typer.Option("--date", "-d", help="YYYY-MM-DD, today, yesterday or latest")
    ] = LATEST,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.markdown,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write to FILE instead of stdout")
    ] = None,
    category: Annotated[
        list[str] | None,
        typer.Option("--category", "-c", help="keep papers in this category or archive (cs)"),
    ] = None,
) -> None:
    """Write a stored digest as the blog post (markdown), text or JSON."""

    async def go() -> str:
        async with open_core() as core:
            found = await stored_digest(core.store, date)
        view = by_categories(found, category or ())
        return render_as(view, fmt)

    text = run(go())
    if output is None:
        out.file.write(text)
        out.file.flush()
        return
    try:
        output.write_bytes(text.encode("utf-8"))
    except OSError as exc:
        fail(f"cannot write {output} ({exc.strerror or exc}); pass another path to -o")
    err.print(f"wrote {output}", markup=False, highlight=False)
