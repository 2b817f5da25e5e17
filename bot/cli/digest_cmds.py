"""Commands: `digest`, `categories`, `db upgrade`, `db current`."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from bot.archive.bundled import SAMPLE_DATE, sample_digest
from bot.arxiv.taxonomy import taxonomy
from bot.cli.app import app, db_app, err, fail, open_core, out, run
from bot.commands import digest_for
from bot.core import Core
from bot.dates import LATEST, looks_like_window, parse_date, window_between
from bot.errors import UsageError
from bot.filters import by_categories
from bot.lookup import resolve_window, window_for
from bot.models import SAMPLE, Digest, Window


class Format(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


def render(digest: Digest, fmt: Format) -> str | None:
    """The digest as text in `fmt`; None for `text`, which prints with colours."""
    if fmt is Format.markdown:
        from bot.render.markdown import render_markdown

        return render_markdown(digest)
    if fmt is Format.json:
        from bot.render.json_render import digest_to_dict

        return json.dumps(digest_to_dict(digest), ensure_ascii=False, indent=2) + "\n"
    return None


def _day(word: str, option: str) -> dt.date:
    value = parse_date(word)
    if not isinstance(value, dt.date):
        raise UsageError(f"{option} needs a day like 2021-08-02, not '{word}'")
    return value


def _range(start: str | None, end: str | None) -> Window | None:
    """The window of `--from`/`--to` (both needed), or None."""
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise UsageError("give both --from and --to, e.g. --from 2021-08-02 --to 2021-08-06")
    return window_between(_day(start, "--from"), _day(end, "--to"))


@app.command()
def digest(
    date: Annotated[str, typer.Argument(
        help="YYYY-MM-DD, today, yesterday, latest; a window: 2021-W31, 2021-08, week, month"
    )] = "latest",
    start: Annotated[str | None, typer.Option("--from", help="a window's first day")] = None,
    end: Annotated[str | None, typer.Option("--to", help="a window's last day")] = None,
    category: Annotated[
        list[str] | None,
        typer.Option("--category", "-c", help="keep papers in this category or archive (cs)"),
    ] = None,
    top: Annotated[int | None, typer.Option(min=1, help="show only the first N papers")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
    build: Annotated[
        bool, typer.Option(help="build a missing past day from the live sources")
    ] = True,
) -> None:
    """Print the Hot Papers digest of one announcement day, or of a week, a month or
    any span of days (--from/--to): each paper once, with its best day. A past day not
    stored yet is built from the sources with history (not with --no-build). On a store
    without it, 2021-08-06 (and latest, on an empty store) is the bundled sample,
    labelled so."""

    def notice(line: str) -> None:  # a long retry says what is happening
        err.print(f"[yellow]retrying:[/] {line}", markup=True, highlight=False)

    async def go() -> None:
        window = _range(start, end)
        if window is not None and date != "latest":
            raise UsageError(f"ask for a day ('{date}') or --from/--to, not both")
        async with open_core(with_builder=build and window is None
                             and not looks_like_window(date), notice=notice) as core:
            if window is None and looks_like_window(date):
                window = await resolve_window(core.store, date)
            if window is not None:
                found, notes = await window_for(core.store, core.settings, window,
                                                ask="hotpapers digest")
            else:
                found, notes = await _digest_or_sample(core, date, build)
            label = SAMPLE_LABEL if found.status == SAMPLE else ""
            if label and fmt is not Format.text:
                err.print(label, markup=False, highlight=False)
            elif label:
                out.print(f"[dim]{label}[/dim]", highlight=False)
            view = by_categories(found, category or ())
            if top is not None:
                view = view.with_papers(view.papers[:top], renumber=False)
            text = render(view, fmt)
            if text is None:
                from bot.render.text import print_digest

                print_digest(out, view)
                for note in notes:
                    out.print(f"[dim]{note}[/dim]")
            else:
                out.file.write(text)

    run(go())


SAMPLE_LABEL = ("The bundled sample (demo data shipped with hotpapers, not in your store); "
                "store real digests with hotpapers build or hotpapers import PATH.")


async def _digest_or_sample(core: Core, word: str, build: bool
                            ) -> tuple[Digest, tuple[str, ...]]:
    """What `hotpapers digest WORD` shows: the stored (or built) digest; the bundled
    sample for its own day when the store has none (for latest: an empty store)."""
    wanted = parse_date(word)
    store = core.store
    if wanted == LATEST and await store.latest_date() is None:
        return sample_digest(), ()
    if wanted == SAMPLE_DATE and await store.get_digest(SAMPLE_DATE) is None:
        return sample_digest(), ()
    if build and isinstance(wanted, dt.date) and await store.get_digest(wanted) is None:
        with err.status(f"building {wanted} from the sources with history…"):
            return await digest_for(core, word, ask="hotpapers digest")
    return await digest_for(core, word, ask="hotpapers digest")


@app.command()
def categories(
    query: Annotated[str, typer.Argument(help="part of a code or name, e.g. vision")] = "",
) -> None:
    """List the arXiv categories (code, name, archive), optionally matching QUERY."""
    found = taxonomy().search(query)
    if not found:
        fail(f"no arXiv category matches '{query}'; try `hotpapers categories learning`")
    table = Table("code", "name", "archive", box=None, header_style="bold")
    for c in found:
        alias = f" (alias of {c.alias_of})" if c.alias_of else ""
        table.add_row(c.code, c.name + alias, c.archive_name)
    out.print(table)
    n = len(found)
    out.print(f"[dim]{n} categor{'y' if n == 1 else 'ies'}[/dim]")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (also done on every start)."""

    async def go() -> None:
        async with open_core() as core:
            from bot.store.migrate import current

            async with core.store.engine.connect() as conn:
                rev = await conn.run_sync(current)
            out.print(f"database is at revision {rev}")

    run(go())
