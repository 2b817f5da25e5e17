"""Command: `explain` (why a paper ranks where it does: every post counted, or not)."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Annotated

import typer

from bot.cli.app import app, open_core, out, run
from bot.dates import parse_date
from bot.errors import UsageError
from bot.lookup import explain as explain_paper


class ExplainFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def explain(
    paper: Annotated[str, typer.Argument(help="an arXiv id, like 2108.02774")],
    date: Annotated[str | None, typer.Option(
        "--date", "-d", help="the digest's day (default: the latest listing the paper)")] = None,
    fmt: Annotated[ExplainFormat, typer.Option("--format", "-f")] = ExplainFormat.text,
) -> None:
    """Why a paper ranks where it does: its score per source, every post counted with
    what it added, and every post counted down or not counted, and why."""

    async def go() -> None:
        day: dt.date | None = None
        if date is not None:
            value = parse_date(date)
            if not isinstance(value, dt.date):
                raise UsageError(f"--date needs a day like 2021-08-06, not '{date}'")
            day = value
        async with open_core() as core:
            found = await explain_paper(core.store, paper, day)
        if fmt is ExplainFormat.json:
            from bot.render.explain import explain_to_dict

            out.file.write(json.dumps(explain_to_dict(found), ensure_ascii=False, indent=2)
                           + "\n")
            return
        from bot.render.explain import explain_lines

        out.file.write("".join(line + "\n" for line in explain_lines(found)))

    run(go())
